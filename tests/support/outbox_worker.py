"""A crmtui session in its own process, for the SIGKILL test: queue notes and send them.

    python -m tests.support.outbox_worker queue CONTACT_ID COUNT   # prints "QUEUED i" as each is durable
    python -m tests.support.outbox_worker drain                    # sends what is left, prints a JSON summary
    python -m tests.support.outbox_worker window                   # a crmtui window: commands on stdin (see `window`)

The sandbox address, credentials and outbox file come from CRMTUI_TEST_BASE_URL, CRMTUI_TEST_USER,
CRMTUI_TEST_KEY and CRMTUI_TEST_OUTBOX.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from crmtui.backends.http import RetryPolicy
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.service import Session
from crmtui.service.contact_history import AddNote
from crmtui.service.outbox import Outbox
from crmtui.store import OutboxStore
from tests.support.waits import HANG_GUARD


async def main(argv: list[str]) -> int:
    env = os.environ
    client = OnePageCRMClient(
        env["CRMTUI_TEST_USER"], env["CRMTUI_TEST_KEY"], base_url=env["CRMTUI_TEST_BASE_URL"],
        retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, budget=1.0),
    )
    backend = OnePageCRMBackend(client)
    outbox = Outbox(backend, OutboxStore(Path(env["CRMTUI_TEST_OUTBOX"])), base_delay=0.01, max_delay=0.2)
    session = Session(backend, outbox=outbox)
    await session.connect()
    await outbox.open()
    outbox.start()
    if argv[0] == "window":
        await window(session, outbox)
    elif argv[0] == "queue":
        contact_id, count = argv[1], int(argv[2])
        for i in range(count):
            await session.run(AddNote(contact_id=contact_id, text=f"kill note {i}"), record=False)
            print(f"QUEUED {i}", flush=True)  # only now is it shown as made
        await session.settled(None)
        print("DRAINED", flush=True)
    else:
        await session.settled(HANG_GUARD)
        summary = {"reconciled": outbox.reconciled, "sent": outbox.sent_count, "pending": outbox.pending,
                   "failed": outbox.failed}
        print(json.dumps(summary), flush=True)
    await session.close()
    return 0


def status(outbox: Outbox) -> dict[str, object]:
    return {
        "claimed": outbox.store._lock_file is not None, "pending": outbox.pending, "sent": outbox.sent_count,
        "sent_elsewhere": outbox.sent_elsewhere,
        "unsent": [getattr(command, "text", command.kind) for _change, command in outbox.unsettled_changes()],
    }


async def window(session: Session, outbox: Outbox) -> None:
    """One crmtui window of a profile, driven line by line on stdin, answering one JSON line each:

    `note CONTACT_ID TEXT` adds a note (answered once it is durable), `status` says what this window
    lists and whether it sends the profile's changes, `quit` closes it as the app does and answers
    with what it says of the changes left unsent.
    """
    loop = asyncio.get_running_loop()
    while outbox.store._lock_file is None and outbox.claimed:  # the sender's first look at the claim
        await asyncio.sleep(0.01)
    print(json.dumps(status(outbox)), flush=True)
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line.startswith("note "):
            _, contact_id, text = line.split(" ", 2)
            await session.run(AddNote(contact_id=contact_id, text=text), record=False)
            print(json.dumps({"queued": text}), flush=True)
        elif line == "status":
            print(json.dumps(status(outbox)), flush=True)
        else:  # quit, or stdin closed
            await outbox.stop()
            print(json.dumps({"leaving": outbox.leaving_note()}), flush=True)
            return


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
