"""Imports every module that defines commands, so each kind is known to `command_from_dict`."""

from crmtui.service import commands, contact_commands, contact_history, deal_commands, notification_commands  # noqa: F401
