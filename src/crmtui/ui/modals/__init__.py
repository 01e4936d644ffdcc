"""Modal screens: next action, pickers, confirmations, preview."""
