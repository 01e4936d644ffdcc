"""A Pipedrive API v1 sandbox: a loopback server with seeded data, limits and chaos (leads, filters, search, files, goals, teams)."""
