"""What the app shows when it cannot connect on start: the reason, retry (r) and quit (q)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Label, Static

from crmtui.backends.errors import (
    AuthError,
    BackendError,
    MalformedResponse,
    NotFound,
    Offline,
    PermissionDenied,
    RateLimited,
    TooSlow,
)
from crmtui.connection_help import explain
from crmtui.ui.screens.base import CrmScreen
from crmtui.ui.widgets.footer import KeyFooter

_ADDRESS_HINT = "The address comes from --base-url, CRMTUI_BASE_URL or the profile; fix it, then retry."

# On the first connection these mean the address (or the account) is wrong, not that a record is
# gone: they get the sentence `crmtui login` prints for the same answer.
_EXPLAINED: list[tuple[type[BackendError], str, str]] = [
    (NotFound, "No CRM API at this address", _ADDRESS_HINT),
    (MalformedResponse, "The server sent something unexpected", _ADDRESS_HINT),
    (PermissionDenied, "This account may not use the API", "Ask your account's administrator, then retry."),
]

_HINTS: list[tuple[type[BackendError], str, str]] = [
    (AuthError, "Sign-in failed", "Sign in again with crmtui login (and the same --backend), then retry."),
    (TooSlow, "The server is too slow", "It did not finish answering in time; check your connection, then retry."),
    (Offline, "Cannot reach the server", "Check your connection or the server address, then retry."),
    (RateLimited, "The server is throttling requests", "Wait a little, then retry."),
    (MalformedResponse, "The server sent something unexpected", "The API may have changed; retry or report it."),
]


def describe_error(error: BaseException, base_url: str | None = None) -> tuple[str, str, str]:
    """(title, message, hint) for an error of the first connection to `base_url`, never a traceback."""
    for kind, title, hint in _EXPLAINED:
        if isinstance(error, kind):
            address = base_url or "this address"
            sentence = explain(error, address)
            if not sentence.startswith(address):  # a URL keeps its case
                sentence = sentence[:1].upper() + sentence[1:]
            return title, sentence + ".", hint
    for kind, title, hint in _HINTS:
        if isinstance(error, kind):
            message = error.user_message
            if isinstance(error, RateLimited) and error.retry_after:
                hint = f"Wait {error.retry_after:g}s, then retry."
            return title, message, hint
    if isinstance(error, BackendError):
        return "Could not load your CRM", error.user_message, "Retry, or quit and try again later."
    return "Could not load your CRM", f"Unexpected problem ({type(error).__name__}).", "Retry, or quit and report it."


class ConnectionErrorScreen(CrmScreen[None]):
    """Full-screen explanation of why the first connection failed."""

    BINDINGS = [
        Binding("r", "retry", "Retry"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    @property
    def address(self) -> str:
        """The server the app tried (named on the screen: which one failed is half the answer)."""
        return str(self.app.session.backend.address or "")

    def _describe(self, error: BaseException) -> tuple[str, str, str]:
        return describe_error(error, self.address or None)

    def compose(self) -> ComposeResult:
        title, message, hint = self._describe(self.error)
        with Center(id="error-center"):
            with Vertical(id="error-box", classes="dialog"):
                yield Label(title, id="error-title", classes="dialog-title")
                yield Static(f"Server: {self.address or 'unknown'}", id="error-address", markup=False)
                yield Static(message, id="error-message", markup=False)
                yield Static(hint, id="error-hint", markup=False)
                yield Static("r retry · q quit", classes="dialog-hint")
        yield KeyFooter()

    def show_error(self, error: BaseException) -> None:
        self.error = error
        title, message, hint = self._describe(error)
        self.query_one("#error-title", Label).update(title)
        self.query_one("#error-message", Static).update(message)
        self.query_one("#error-hint", Static).update(hint)

    def action_retry(self) -> None:
        self.query_one("#error-hint", Static).update("Connecting…")
        self.app.call_later(self.app.action_retry_connect)

    def action_quit(self) -> None:
        self.app.exit(1)
