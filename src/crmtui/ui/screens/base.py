"""The base of crmtui's screens: a Screen that knows it runs inside CrmApp."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual.screen import Screen

if TYPE_CHECKING:
    from textual import getters

    from crmtui.ui.app import CrmApp

ResultT = TypeVar("ResultT")


class CrmScreen(Screen[ResultT]):
    """A screen of CrmApp: `self.app` is typed as the CrmApp it runs in (Textual types it App[Any])."""

    if TYPE_CHECKING:  # at run time Textual's own `app` property answers, unchanged
        app = getters.app(CrmApp)
