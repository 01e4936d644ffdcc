"""Every route of the Pipedrive sandbox, registered: the core routes (users, leads, labels, sources,
persons, organizations) and the modules of the rest (filters, item search, files, goals, teams,
a lead's permitted users, activities).

The server imports this module; the route modules import `routes` for its helpers, never this one.
"""

from __future__ import annotations

from crmtui.sandbox.pipedrive import activities, files, filters, goals, itemsearch, permitted, routes, teams
from crmtui.sandbox.pipedrive.routes import ROUTES, match

MODULES = (routes, filters, itemsearch, files, goals, teams, permitted, activities)
"""The modules whose routes are registered (imported for that)."""

__all__ = ["MODULES", "ROUTES", "match"]
