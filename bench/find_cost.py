"""What "find anyone" (f) costs: matching a query against the stream loaded, and the server's search.

Seeds a sandbox in this process with --contacts N (default 20,000: 8,174 contacts in the main user's
stream), loads the stream into a Session as the app does, then times:

- the first query, which builds each entry's normalised haystack (done once until an entry changes),
- each later keystroke's local match over the whole stream (the median of --repeats runs per query),
- the palette's local match with its limit of 10,
- the server's search of the whole account for one query (loopback HTTP, no added latency).

    .venv/bin/python bench/find_cost.py --contacts 20000 --repeats 20
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from crmtui.backends.registry import Connection, create_backend
from crmtui.sandbox.onepagecrm.server import SandboxOptions, start_sandbox
from crmtui.service.find import ContactFinder
from crmtui.service.session import Session

QUERIES = ("a", "qu", "quinn", "zoe qu", "nova travel", "kowalski2@", "+353 86", "zzzz")
"""From one letter (most of the stream matches) to nothing matching; a company, an email, a phone."""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def run(contacts: int, repeats: int) -> None:
    started = time.perf_counter()
    sandbox = start_sandbox(SandboxOptions(contacts=contacts, today=dt.date(2026, 3, 10)))
    print(f"sandbox seeded with {contacts:,} contacts in {time.perf_counter() - started:.1f} s")
    backend = create_backend(Connection("onepagecrm", sandbox.base_url, sandbox.user_id, sandbox.api_key))
    session = Session(backend)
    try:
        await session.load_stream()
        entries = len(session.entries)
        print(f"stream loaded: {entries:,} contacts\n")
        finder = ContactFinder(session)

        began = time.perf_counter()
        first = finder.find("quinn")
        print(f"first query (builds {finder.built:,} haystacks): {ms(time.perf_counter() - began)}, {first.total} found")

        print(f"\n| query | found in the stream | local match, median of {repeats} |")
        print("| --- | ---: | ---: |")
        for query in QUERIES:
            times = []
            for _ in range(repeats):
                began = time.perf_counter()
                result = finder.find(query, limit=100)
                times.append(time.perf_counter() - began)
            print(f"| `{query}` | {result.total:,} | {ms(statistics.median(times))} |")

        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            finder.local("quinn", limit=10)
            times.append(time.perf_counter() - began)
        print(f"\npalette (local, at most 10), `quinn`: {ms(statistics.median(times))}")

        changed = session.entries[0].contact.id
        session.changes.emit(frozenset({changed}))
        built = finder.built
        began = time.perf_counter()
        finder.find("quinn")
        print(f"after one contact changed: {finder.built - built} haystack rebuilt, {ms(time.perf_counter() - began)}")

        finder.find("quinn")
        began = time.perf_counter()
        answer = await finder.ask_server("quinn")
        assert answer is not None
        print(
            f"server search of the whole account, `quinn`: {ms(time.perf_counter() - began)}, "
            f"{answer.from_stream} from the stream + {answer.from_server} from the server"
        )
    finally:
        await session.close()
        sandbox.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.contacts, args.repeats))


if __name__ == "__main__":
    main()
