"""crmtui: a keyboard-driven terminal CRM client."""

__version__ = "0.1.0"
