"""A Pipedrive API v1 sandbox: a loopback server with seeded data, limits and chaos (first slice: leads)."""
