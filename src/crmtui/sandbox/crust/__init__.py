"""The Crust CRM sandbox: modules and records over the real server's API (crust-server at 73728bcf), errors as HTTP 200."""
