"""Backend-neutral models the UI works with. No backend's wire format leaks past the adapters."""
