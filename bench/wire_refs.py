"""Reference apps for `tmux_wire.py`: what plain Textual writes to the terminal, measured the same way.

    .venv/bin/python bench/wire_refs.py bare              # one static line
    .venv/bin/python bench/wire_refs.py datatable --rows 200

`datatable` is a Textual DataTable (cursor by row) holding rows shaped like the action stream's
(a due date, a name, a company, the next action's text, a deal total), with a one-line header and
footer like crmtui's, so a cursor step and an idle spell cost what Textual itself costs for them.
"""

from __future__ import annotations

import argparse
import random

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Static

READY = "wire-ref ready"
"""Shown by both apps once drawn (the bench waits for it)."""

_FIRST = ("Ann", "Bríd", "Carlos", "Dana", "Erik", "Fiona", "Gustav", "Hana", "Ivan", "Joanna", "Kofi", "Lena")
_LAST = ("Murphy", "García", "Kowalski", "Nguyen", "O'Brien", "Schmidt", "Rossi", "Tanaka", "Okafor", "Quinn")
_COMPANIES = ("Nova Travel", "Acme Ltd", "Blue Harbour", "Kestrel Foods", "Larch & Co", "Meridian Health")
_ACTIONS = ("Call back about the renewal", "Send the proposal", "Follow up on the demo", "Email the quote",
            "Book a meeting next week", "Check in after the trial")


def stream_like_rows(count: int) -> list[tuple[str, str, str, str, str]]:
    rng = random.Random(42)
    rows = []
    for i in range(count):
        rows.append((
            f"{rng.randint(1, 28):02d}/03", f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", rng.choice(_COMPANIES),
            rng.choice(_ACTIONS), f"€{rng.randint(0, 90) * 500:,}" if i % 3 else "",
        ))
    return rows


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static(READY)


class TableApp(App[None]):
    CSS = "#title { height: 1; background: $panel; } DataTable { height: 1fr; }"
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield Static(f"{READY} · {self.rows} rows", id="title")
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Due", "Name", "Company", "Next action", "Deals")
        table.add_rows(stream_like_rows(self.rows))
        table.focus()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", choices=("bare", "datatable"))
    parser.add_argument("--rows", type=int, default=200)
    args = parser.parse_args()
    (BareApp() if args.app == "bare" else TableApp(args.rows)).run()


if __name__ == "__main__":
    main()
