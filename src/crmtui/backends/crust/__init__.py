"""Crust CRM API (crust-server at 73728bcf): client, JWT reading, wire models and the adapter to the domain."""
