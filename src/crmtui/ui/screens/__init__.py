"""Top-level and full screens."""
