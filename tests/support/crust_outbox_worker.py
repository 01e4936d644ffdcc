"""A crmtui session on Crust in its own process, for the SIGKILL test: queue record changes and send them.

    python -m tests.support.crust_outbox_worker queue MODULE PATTERN   # one change per letter of PATTERN:
        c a new record (subject "kill case i"), e an edit of the module's i-th record (description
        "kill edit i"); prints "QUEUED i" as each is durable
    python -m tests.support.crust_outbox_worker drain                  # sends what is left, prints a JSON summary

The sandbox address, token and outbox file come from CRMTUI_TEST_BASE_URL, CRMTUI_TEST_TOKEN and
CRMTUI_TEST_OUTBOX (the token is never printed).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from crmtui.backends.crust.adapter import CrustBackend
from crmtui.backends.crust.client import CrustClient
from crmtui.backends.http import RetryPolicy
from crmtui.domain.records import RecordValue
from crmtui.service.outbox import Outbox
from crmtui.service.session import Session
from crmtui.store import OutboxStore
from tests.support.waits import HANG_GUARD


async def main(argv: list[str]) -> int:
    env = os.environ
    token = env["CRMTUI_TEST_TOKEN"]
    client = CrustClient(
        token, base_url=env["CRMTUI_TEST_BASE_URL"], retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, budget=1.0)
    )
    backend = CrustBackend(client, token)
    outbox = Outbox(backend, OutboxStore(Path(env["CRMTUI_TEST_OUTBOX"])), base_delay=0.01, max_delay=0.2)
    session = Session(backend, outbox=outbox)
    await session.connect()
    await outbox.open()
    outbox.start()
    if argv[0] == "queue":
        name, pattern = argv[1], argv[2]
        records = session.records
        await records.load_modules()
        records.choose_module(next(m.id for m in records.modules if m.name == name))
        await records.load()
        targets = sorted(records.items, key=lambda r: int(r.id))
        for i, kind in enumerate(pattern):
            if kind == "c":
                await records.create({"subject": RecordValue(value=f"kill case {i}"), "status": RecordValue(value="New")})
            else:
                await records.update(targets[i].id, {"description": RecordValue(value=f"kill edit {i}")})
            print(f"QUEUED {i}", flush=True)  # only now is it shown as made
        await session.settled(None)
        print("DRAINED", flush=True)
    else:
        await session.settled(HANG_GUARD)
        summary = {"reconciled": outbox.reconciled, "sent": outbox.sent_count, "pending": outbox.pending,
                   "failed": outbox.failed, "review": [c.label for c, _k in outbox.review()]}
        print(json.dumps(summary), flush=True)
    await session.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
