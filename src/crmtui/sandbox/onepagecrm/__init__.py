"""A OnePageCRM API v3 sandbox: in-memory state with SQLite write-through, served over HTTP."""
