"""OnePageCRM API v3: the async client, its wire models, and the adapter to the domain models."""
