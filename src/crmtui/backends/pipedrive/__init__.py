"""Pipedrive API v1: client, rate governor, wire models and the adapter to the domain."""
