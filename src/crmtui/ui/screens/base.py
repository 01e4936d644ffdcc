"""The base of crmtui's screens: a Screen that knows it runs inside CrmApp."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual.screen import Screen

if TYPE_CHECKING:
    from textual import getters

    from crmtui.ui.app import CrmApp

ResultT = TypeVar("ResultT")


class CrmScreen(Screen[ResultT]):
    """A screen of CrmApp: `self.app` is typed as the CrmApp it runs in (Textual types it App[Any])."""

    FOOTER_ORDER: ClassVar[tuple[str, ...]] = ()
    """The actions of the keys most used here, most used first: the footer shows them in this order,
    as many as fit, then the screen's other shown keys (`KeyFooter`); help lists every key."""

    if TYPE_CHECKING:  # at run time Textual's own `app` property answers, unchanged
        app = getters.app(CrmApp)
