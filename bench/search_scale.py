"""Search at scale (issue 13): what one keystroke costs when typing into the finder (`f`) over 10,000,
50,000 and 100,000 contacts, and into `/` on the Pipedrive leads inbox and the Crust records list at
20,000 items.

Each query is typed letter by letter, as the finder's dialog asks (`find(text, limit=100)`, the server
left out: it is asked only after a pause); a query typed again starts from an empty box. The
reference, timed in the same run over the same rows: a plain scan, `[t for t in texts if q in t]` over
each row's text casefolded beforehand (the floor of any Python pass over every row).

The contacts come from the OnePageCRM sandbox's seeding (`seed_account`), mapped to the domain
models the finder reads; a share of them get accents (Zoë, López, Ó Briain), found by typing plain.
The leads come from the Pipedrive sandbox through the real client (the inbox's `load`); the records
are the Crust sandbox's contacts read through the real client, copied up to 20,000 with their names
shuffled.

`--only open`: the finder's dialog pushed over 10,000-100,000 contacts in a headless Textual app and
`kowalski` typed at once (each letter set into the input, its answer polled; Textual's `pilot.press`
waits until the process is idle, which a fold in a thread is not): the event loop's longest stall (how
late a 2 ms tick woke) from the push until every contact is indexed, each letter's answer time, the
time to the index. The reference, the same run: a bare modal with an input, pushed and typed into alike.

`--src PATH` runs the code of another checkout (e.g. the commit before, exported with `git archive`),
so that before and after can be run one after the other on the same data:

    .venv/bin/python bench/search_scale.py --repeats 5
    git archive HEAD~3 src | tar -x -C /tmp/before && .venv/bin/python bench/search_scale.py --src /tmp/before/src
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SRC = str(ROOT / "src")
for i, arg in enumerate(sys.argv):  # before anything of crmtui is imported
    if arg == "--src" and i + 1 < len(sys.argv):
        SRC = sys.argv[i + 1]
sys.path.insert(0, SRC)
sys.path.insert(0, str(ROOT / "bench"))

CONTACT_QUERIES = {
    "a name, letter by letter": "kowalski",
    "first and last name": "liam mur",
    "an accented name typed plain": "zoe lopez",
    "an email fragment": "quinn.adams",
    "a phone fragment": "+353 86 9",
    "a company": "nova travel",
    "one common letter": "a",
}
LEAD_QUERIES = {"a title word": "renewal", "an organization": "nova", "two words": "acme office"}
RECORD_QUERIES = {
    "a last name": "murphy",
    "an email fragment": "kelly@example",
    "an accented name typed plain": "zoe",
    "a phone fragment": "+353 1 55",
}
SIZES = (10_000, 50_000, 100_000)
RESET = "#"
"""Asked before each query is typed again: matches nothing and no query goes on from it, so the first
letter scans every row again (as a new dialog would), with what was folded kept."""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def typed(text: str) -> list[str]:
    return [text[: n + 1] for n in range(len(text))]


def per_key(run: Callable[[str], object], text: str, repeats: int, reset: Callable[[], object]) -> list[float]:
    """The time of each keystroke of `text`, typed `repeats` times from an empty box."""
    times: list[float] = []
    for _ in range(repeats):
        reset()
        for prefix in typed(text):
            began = time.perf_counter()
            run(prefix)
            times.append(time.perf_counter() - began)
    return times


def reference(texts: Sequence[str], text: str, repeats: int) -> list[float]:
    times: list[float] = []
    for _ in range(repeats):
        for prefix in typed(text):
            q = prefix.casefold()
            began = time.perf_counter()
            [t for t in texts if q in t]
            times.append(time.perf_counter() - began)
    return times


def row(what: str, query: str, found: int, mine: list[float], ref: list[float]) -> str:
    return (
        f"| {what} | `{query}` | {found:,} | {ms(statistics.median(mine))} | {ms(max(mine))} "
        f"| {ms(statistics.median(ref))} | {ms(max(ref))} |"
    )


HEAD = "| what | typed | found | median ms/key | max ms/key | reference median | reference max |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |"


# -- OnePageCRM: the finder ----------------------------------------------------------------------------


def accented(first: str, last: str, n: int) -> tuple[str, str]:
    if n % 2:
        first = {"Zoe": "Zoë", "Chloe": "Chloë"}.get(first, first)
        last = {"Lopez": "López", "O'Brien": "Ó Briain", "Garcia": "García", "Dubois": "Dubóis"}.get(last, last)
    return first, last


def contacts(count: int) -> list[Any]:
    from crmtui.domain.models import Contact, Email, Phone, StreamEntry
    from crmtui.sandbox.onepagecrm.seed import seed_account

    tables, _facts = seed_account(seed=42, contacts=count, today=dt.date(2026, 3, 10))
    entries = []
    for n, doc in enumerate(tables["contacts"].values()):
        first, last = accented(doc["first_name"], doc["last_name"], n)
        contact = Contact(
            id=doc["id"],
            first_name=first,
            last_name=last,
            company_name=doc.get("company_name", ""),
            emails=[Email(type=e["type"], value=e["value"]) for e in doc.get("emails", [])],
            phones=[Phone(type=p["type"], value=p["value"]) for p in doc.get("phones", [])],
        )
        entries.append(StreamEntry(contact=contact))
    return entries


def finder_over(entries: list[Any]) -> tuple[Any, Any]:
    from crmtui.backends.registry import Connection, create_backend
    from crmtui.service.find import ContactFinder
    from crmtui.service.session import Session

    session = Session(create_backend(Connection("onepagecrm", "http://127.0.0.1:9/api/v3", "u", "k")))  # never asked
    session.entries = entries
    return session, ContactFinder(session)


def contact_text(entry: Any) -> str:
    c = entry.contact
    return "\n".join(
        [c.first_name, c.last_name, c.company_name, *(e.value for e in c.emails), *(p.value for p in c.phones)]
    ).casefold()


def bench_finder(repeats: int, sizes: Sequence[int]) -> None:
    began = time.perf_counter()
    everyone = contacts(max(sizes))
    print(f"{len(everyone):,} contacts seeded and mapped in {time.perf_counter() - began:.1f} s")
    for size in sizes:
        entries = everyone[:size]
        session, finder = finder_over(entries)
        find, local = finder.find, finder.local
        texts = [contact_text(e) for e in entries]
        began = time.perf_counter()
        finder.find("x", limit=100)
        first = time.perf_counter() - began
        print(
            f"\n### {size:,} contacts: the finder (`find(text, limit=100)`), first query (folds every contact) {ms(first)} ms\n"
        )
        print(HEAD)
        for what, text in CONTACT_QUERIES.items():
            mine = per_key(lambda q: find(q, limit=100), text, repeats, lambda: find(RESET, limit=100))  # noqa: B023
            found = finder.find(text, limit=100).total
            print(row(what, text, found, mine, reference(texts, text, repeats)))
        palette = per_key(lambda q: local(q, limit=10), "kowalski", repeats, lambda: local(RESET, limit=10))  # noqa: B023
        print(
            row(
                "the palette (at most 10)",
                "kowalski",
                finder.local("kowalski").total,
                palette,
                reference(texts, "kowalski", repeats),
            )
        )
        changed = []
        for n in range(repeats):
            old = session.entries[n * 7]
            renamed = old.model_copy(update={"contact": old.contact.model_copy(update={"last_name": f"Zwicky{n}"})})
            session.entries = [renamed if e is old else e for e in session.entries]
            session.changes.emit(frozenset({old.contact.id}))
            began = time.perf_counter()
            result = finder.find(f"zwicky{n}", limit=100)
            changed.append(time.perf_counter() - began)
            assert [f.contact_id for f in result.found] == [old.contact.id], (
                "a renamed contact must be found by its new name"
            )
        print(
            f"\none contact renamed (the list replaced, one signal), then a query: median {ms(statistics.median(changed))} ms, max {ms(max(changed))} ms"
        )
        finder.close()


# -- OnePageCRM: opening the finder's dialog (the UI thread's longest stall) ----------------------------


class LoopLag:
    """The event loop's lag: a task that asks to wake every `tick` seconds and records how late it was
    woken (the longest stall of the loop, and so of the screen and the keyboard)."""

    def __init__(self, tick: float = 0.002) -> None:
        self.tick = tick
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(self.tick)
            self.lags.append(time.perf_counter() - began - self.tick)

    def start(self) -> None:
        self.lags.clear()
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> float:
        """The longest stall since `start`."""
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return max(self.lags, default=0.0)


async def typed_into(modal: Any, text: str, answered: Callable[[str], bool]) -> list[float]:
    """Type `text` letter by letter into the dialog's input (as a keystroke sets it) and, for each
    letter, the time until the dialog answered it (polled every millisecond on the loop). Textual's
    `pilot.press` is not used: it waits until the process is idle, which a fold in a thread is not."""
    from textual.widgets import Input

    box = modal.query_one(Input)
    times = []
    for prefix in typed(text):
        began = time.perf_counter()
        box.value = prefix
        while not answered(prefix):  # polled: the code measured (an earlier tree too) signals nothing  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        times.append(time.perf_counter() - began)
    return times


async def open_finder(entries: list[Any], typed_text: str) -> tuple[float, float, float, float]:
    """Push the finder's dialog over a session holding `entries`, type `typed_text` at once, and wait
    until every contact is indexed: the loop's longest stall from the push until then, the time the
    first letter's answer took, the slowest letter, and the time from the push to the index."""
    from textual.app import App

    from crmtui.ui.modals.find_contact import FindContactModal

    session, finder = finder_over(entries)
    lag = LoopLag()
    async with App().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        lag.start()
        began = time.perf_counter()
        modal = FindContactModal(finder)
        await pilot.app.push_screen(modal)
        keys = await typed_into(modal, typed_text, lambda prefix: modal.result.query == prefix)
        while finder.built < len(entries):  # polled: an earlier tree's finder has no `indexed`  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        ready = time.perf_counter() - began
        stall = await lag.stop()
        assert finder.find(typed_text, limit=100).total > 0
    finder.close()
    del session
    return stall, keys[0], max(keys), ready


async def open_bare(typed_text: str) -> tuple[float, float, float]:
    """The reference: a bare Textual modal with an input, pushed and typed into the same way (answered
    once its input says the letter)."""
    from textual.app import App, ComposeResult
    from textual.screen import ModalScreen
    from textual.widgets import Input

    class Bare(ModalScreen[None]):
        said = ""

        def compose(self) -> ComposeResult:
            yield Input()

        def on_input_changed(self, event: Input.Changed) -> None:
            self.said = event.value

    lag = LoopLag()
    async with App().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        lag.start()
        modal = Bare()
        await pilot.app.push_screen(modal)
        keys = await typed_into(modal, typed_text, lambda prefix: modal.said == prefix)
        return await lag.stop(), keys[0], max(keys)


def bench_open(repeats: int, sizes: Sequence[int]) -> None:
    everyone = contacts(max(sizes))
    typed_text = "kowalski"
    print(
        f"\n### Opening the finder (`f`) and typing `{typed_text}` at once, until every contact is indexed: "
        "the event loop's longest stall (a 2 ms tick's lateness), ms; median / max over the repeats\n"
    )
    print(
        "| contacts | longest stall | first letter | slowest letter | index ready | reference: bare modal, stall | first letter |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in sizes:
        runs = [asyncio.run(open_finder(everyone[:size], typed_text)) for _ in range(repeats)]
        refs = [asyncio.run(open_bare(typed_text)) for _ in range(repeats)]

        def both(values: list[float]) -> str:
            return f"{ms(statistics.median(values))} / {ms(max(values))}"

        print(
            f"| {size:,} | {both([r[0] for r in runs])} | {both([r[1] for r in runs])} | {both([r[2] for r in runs])} "
            f"| {both([r[3] for r in runs])} | {both([r[0] for r in refs])} | {both([r[1] for r in refs])} |"
        )


# -- OnePageCRM: the directory (every contact kept here) ------------------------------------------------


STREAM_SHARE = 0.41
"""The share of the account in the user's stream (8,174 of 20,000 in the sandbox)."""


def directory_over(everyone: list[Any], cache_dir: Path) -> tuple[Any, Any, Any, float]:
    """A session whose stream holds the first `STREAM_SHARE` of `everyone` and whose directory holds all
    of them, put in a cache file and read back through the directory service (its `load`, in the
    cache's thread): the session, its finder, the directory and the load's time."""
    from crmtui.domain.directory import DirectoryRow
    from crmtui.service.directory import KIND, META, ContactDirectory
    from crmtui.store import Cache

    cache = Cache(cache_dir / "cache.sqlite3", owner="bench").open()
    rows = {e.contact.id: DirectoryRow.of(e.contact) for e in everyone}
    cache.put_rows(KIND, "", rows, synced_at=dt.datetime.now(dt.timezone.utc))
    cache.set_meta(META, {"page": len(rows) // 100, "complete": True, "total": len(rows)})
    session, finder = finder_over(everyone[: int(len(everyone) * STREAM_SHARE)])
    directory = ContactDirectory(session.backend, session.backend.features.directory, cache)

    async def load() -> float:
        began = time.perf_counter()
        await directory.load()
        return time.perf_counter() - began

    took = asyncio.run(load())
    finder._directory = directory
    return session, finder, directory, took


def bench_directory(repeats: int, size: int) -> None:
    everyone = contacts(size)
    with tempfile.TemporaryDirectory() as tmp:
        session, finder, directory, took = directory_over(everyone, Path(tmp))
        find = finder.find
        began = time.perf_counter()
        finder.haystacks()  # no event loop here: both indexes made now
        first = time.perf_counter() - began
        print(
            f"\n### {size:,} contacts kept in the directory, {len(session.entries):,} of them in the stream: "
            f"the directory read from the cache in {ms(took)} ms (the cache's thread), indexed in {ms(first)} ms "
            "(in a thread in the app)\n"
        )
        texts = [contact_text(e) for e in everyone]
        print(HEAD)
        for what, text in CONTACT_QUERIES.items():
            mine = per_key(lambda q: find(q, limit=100), text, repeats, lambda: find(RESET, limit=100))
            result = finder.find(text, limit=100)
            print(row(what, text, result.total, mine, reference(texts, text, repeats)))
        outside = everyone[-1].contact
        result = finder.find(f"{outside.first_name} {outside.last_name}", limit=100)
        assert outside.id in [f.contact_id for f in result.found] and result.server.value == "not asked"
        finder.close()
        directory.cache.close()


async def open_with_directory(everyone: list[Any], typed_text: str, cache_dir: Path) -> tuple[float, float, float, float]:
    """As `open_finder`, the directory holding every contact: the loop's longest stall from the push
    until both indexes are in."""
    from textual.app import App

    from crmtui.ui.modals.find_contact import FindContactModal

    session, finder, directory, _took = await asyncio.to_thread(directory_over, everyone, cache_dir)
    lag = LoopLag()
    async with App().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        lag.start()
        began = time.perf_counter()
        modal = FindContactModal(finder)
        await pilot.app.push_screen(modal)
        keys = await typed_into(modal, typed_text, lambda prefix: modal.result.query == prefix)
        await finder.indexed()
        ready = time.perf_counter() - began
        stall = await lag.stop()
        assert finder.find(typed_text, limit=100).total > 0
    finder.close()
    directory.cache.close()
    del session
    return stall, keys[0], max(keys), ready


def bench_directory_open(repeats: int, size: int) -> None:
    everyone = contacts(size)
    typed_text = "kowalski"
    print(
        f"\n### Opening the finder over {size:,} contacts kept in the directory and typing `{typed_text}` at once, "
        "until both indexes are in: the event loop's longest stall, ms; median / max over the repeats\n"
    )
    print("| longest stall | first letter | slowest letter | indexes ready | reference: bare modal, stall | first letter |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    runs, refs = [], []
    for _ in range(repeats):  # interleaved with the reference
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(asyncio.run(open_with_directory(everyone, typed_text, Path(tmp))))
        refs.append(asyncio.run(open_bare(typed_text)))

    def both(values: list[float]) -> str:
        return f"{ms(statistics.median(values))} / {ms(max(values))}"

    print(
        f"| {both([r[0] for r in runs])} | {both([r[1] for r in runs])} | {both([r[2] for r in runs])} "
        f"| {both([r[3] for r in runs])} | {both([r[0] for r in refs])} | {both([r[1] for r in refs])} |"
    )


async def first_read(contacts_count: int, latency: float) -> None:
    """The directory's first full read from the sandbox over loopback HTTP (one page at a time), into a
    cache file: requests, wall time, this process's CPU; then a refresh with nothing changed. The
    reference, the same run: the client's `list_contacts_all(team=True)` (pages fetched concurrently,
    wire models kept, nothing stored)."""
    from paging import page_through, start_sandbox

    from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
    from crmtui.backends.onepagecrm.client import OnePageCRMClient
    from crmtui.service.directory import ContactDirectory
    from crmtui.store import Cache

    with tempfile.TemporaryDirectory() as tmp:
        process, url, user, key = start_sandbox(contacts_count, latency, Path(tmp) / "data")
        try:
            backend = OnePageCRMBackend(OnePageCRMClient(user, key, base_url=url))
            await backend.connect()
            api = backend.features.directory
            assert api is not None
            cache = Cache(Path(tmp) / "cache.sqlite3", owner="bench").open()
            directory = ContactDirectory(backend, api, cache)
            wall, cpu = time.perf_counter(), time.process_time()
            await directory.sync()
            await directory.flushed()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            asked = directory.requests
            again = time.perf_counter()
            await directory.sync()
            again = time.perf_counter() - again
            ref_wall, ref_count, ref_requests = await page_through(url, user, key, 4, "contacts")
            print(f"\n### The directory's first full read, {contacts_count:,} contacts, sandbox latency {latency * 1000:.0f} ms\n")
            print("| what | contacts | requests | wall s | CPU s (this process) |")
            print("| --- | ---: | ---: | ---: | ---: |")
            print(f"| the directory's first read (one page at a time, into the cache) | {directory.kept:,} | {asked} | {wall:.2f} | {cpu:.2f} |")
            print(f"| a refresh after it, nothing changed (`modified_since`) | | {directory.requests - asked} | {again:.2f} | |")
            print(f"| reference: `list_contacts_all(team=True)`, 4 at a time, nothing stored | {ref_count:,} | {ref_requests} | {ref_wall:.2f} | |")
            await backend.close()
            cache.close()
        finally:
            process.terminate()
            process.wait()


# -- Pipedrive: the leads inbox's / -----------------------------------------------------------------


def narrowed(owner: Any, items: list[Any], query: str, matches: Callable[[Any, str], bool]) -> list[Any]:
    """What the screen lists for `query`: the service's narrowing where it has one, else (before) a
    test of every item."""
    narrow = getattr(owner, "narrow", None)
    if narrow is not None:
        return list(narrow(query))
    return [item for item in items if matches(item, query)]


async def bench_leads(leads: int, repeats: int) -> None:
    from pipedrive_inbox import start_sandbox

    from crmtui.backends.pipedrive.adapter import PipedriveBackend
    from crmtui.backends.pipedrive.client import PipedriveClient
    from crmtui.service.compose import compose

    with tempfile.TemporaryDirectory() as folder:
        process, base_url, token = start_sandbox(leads, 0, Path(folder) / "pd.sqlite3")
        try:
            session = compose(PipedriveBackend(PipedriveClient(token, base_url=base_url)), local_copy=False)
            await session.connect()
            inbox = session.leads
            inbox.everyone = True
            began = time.perf_counter()
            await inbox.load()
            print(
                f"\n### Pipedrive: {len(inbox.items):,} leads in the inbox (read in {time.perf_counter() - began:.1f} s), `/` narrowing\n"
            )
            names = {label.id: label.name for label in inbox.labels()}
            texts = [
                " ".join([lead.title, inbox.who(lead), *(names.get(i, "") for i in lead.label_ids)]).casefold()
                for lead in inbox.items
            ]
            began = time.perf_counter()
            narrowed(inbox, inbox.items, "x", inbox.matches)
            print(f"first keystroke after the list is read (folds every lead): {ms(time.perf_counter() - began)} ms")
            arrived = []
            for n in range(repeats):
                narrowed(inbox, inbox.items, "nov", inbox.matches)
                lead = inbox.items[n * 11]
                key = f"person:{lead.person_id}" if lead.person_id else f"organization:{lead.organization_id}"
                inbox.names[key] = f"Wanda Zwicky{n}"  # a name looked up for a row on screen
                began = time.perf_counter()
                found = narrowed(inbox, inbox.items, f"zwicky{n}", inbox.matches)
                arrived.append(time.perf_counter() - began)
                assert lead in found, "a name that came in must be found"
            print(
                f"a keystroke after a name came in: median {ms(statistics.median(arrived))} ms, max {ms(max(arrived))} ms\n"
            )
            print(HEAD)
            for what, text in LEAD_QUERIES.items():
                mine = per_key(
                    lambda q: narrowed(inbox, inbox.items, q, inbox.matches),
                    text,
                    repeats,
                    lambda: narrowed(inbox, inbox.items, RESET, inbox.matches),
                )
                found = len(narrowed(inbox, inbox.items, text, inbox.matches))
                print(row(what, text, found, mine, reference(texts, text, repeats)))
            await session.close()
        finally:
            process.terminate()
            process.wait()


# -- Crust: the records list's / --------------------------------------------------------------------


async def bench_records(count: int, repeats: int) -> None:
    from crmtui.backends.crust.adapter import CrustBackend
    from crmtui.backends.crust.client import CrustClient
    from crmtui.domain.record_values import shown_value
    from crmtui.sandbox.crust.server import SandboxOptions, start_sandbox
    from crmtui.service.session import Session

    sandbox = start_sandbox(SandboxOptions(today=dt.date(2026, 3, 10), seed=42))
    try:
        backend = CrustBackend(CrustClient(sandbox.token, base_url=sandbox.base_url), sandbox.token)
        session = Session(backend)
        await session.connect()
        records = session.records
        await records.load_modules()
        records.choose_module(next(m.id for m in records.modules if m.name == "Contact"))
        await records.load()
        read = list(records.items)
        rng = random.Random(13)
        made = []
        for n in range(count):
            base, other = read[n % len(read)], rng.choice(read)
            values = dict(base.values)
            for name in ("lastName", "email"):
                if name in other.values:
                    values[name] = other.values[name]
            if n % 3 == 0 and "firstName" in values:
                values["firstName"] = values["firstName"].model_copy(update={"value": "Zoë" if n % 2 else "Zoe"})
            made.append(base.model_copy(update={"id": f"{base.id}{n:06d}", "values": values}))
        records.items = made
        module = records.module
        texts = [
            " ".join(
                shown_value(module.field(k) if module else None, v, records.names) for k, v in r.values.items()
            ).casefold()
            for r in made
        ]
        print(f"\n### Crust: {len(made):,} records of the Contact module ({len(read)} read, copied), `/` narrowing\n")
        began = time.perf_counter()
        narrowed(records, records.items, "x", records.matches)
        print(f"first keystroke after the list is read (folds every record): {ms(time.perf_counter() - began)} ms\n")
        print(HEAD)
        for what, text in RECORD_QUERIES.items():
            mine = per_key(
                lambda q: narrowed(records, records.items, q, records.matches),
                text,
                repeats,
                lambda: narrowed(records, records.items, RESET, records.matches),
            )
            found = len(narrowed(records, records.items, text, records.matches))
            print(row(what, text, found, mine, reference(texts, text, repeats)))
        await session.close()
    finally:
        sandbox.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="each query typed this many times")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="contacts for the finder")
    parser.add_argument("--items", type=int, default=20_000, help="records for / narrowing")
    parser.add_argument(
        "--leads", type=int, default=22_700, help="leads in the Pipedrive sandbox (about 88%% are in the inbox)"
    )
    parser.add_argument("--directory-size", type=int, default=100_000, help="contacts kept in the directory")
    parser.add_argument("--read-contacts", type=int, default=20_000, help="contacts in the sandbox for the first read")
    parser.add_argument("--latency", type=float, default=0.0, help="the sandbox's latency per request, seconds")
    parser.add_argument(
        "--only", choices=("finder", "open", "leads", "records", "directory", "directory-open", "first-read"),
        action="append",
    )
    parser.add_argument("--src", default=SRC, help="the crmtui source tree to measure (default: this checkout's)")
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "-C", str(Path(args.src).parent), "log", "-1", "--format=%h"], capture_output=True, text=True
    ).stdout.strip()
    print(f"code: {args.src} ({commit or 'not a git checkout'}), Python {sys.version.split()[0]}")
    only = set(args.only or ("finder", "open", "leads", "records", "directory", "directory-open", "first-read"))
    if "finder" in only:
        bench_finder(args.repeats, args.sizes)
    if "open" in only:
        bench_open(args.repeats, args.sizes)
    if "leads" in only:
        asyncio.run(bench_leads(args.leads, args.repeats))
    if "records" in only:
        asyncio.run(bench_records(args.items, args.repeats))
    if "directory" in only:
        bench_directory(args.repeats, args.directory_size)
    if "directory-open" in only:
        bench_directory_open(args.repeats, args.directory_size)
    if "first-read" in only:
        asyncio.run(first_read(args.read_contacts, args.latency))


if __name__ == "__main__":
    main()
