"""The cyclic garbage collector around large reads.

Reading a whole stream makes a few hundred thousand objects (JSON, wire and domain models, the
list's rows) that then live until the next read. With the collector on, each new generation of
them is walked again and again while they are made (measured: about 60% of the CPU of a cold first
sync of 10,000 contacts, and more at 20,000, since each full pass walks everything made so far).
None of them form reference cycles: reference counting frees them without the collector. So while a
large read is parsed and mapped the collector is off; afterwards one pass over what was made since
(generation 0: everything, as nothing was promoted meanwhile) frees any cyclic garbage of that
time, and what survives is frozen (`gc.freeze`): later passes leave it out, as `crmtui`'s start
does for its imports. Now and then (`SWEEP_EVERY`) a full pass first, so that cyclic garbage
frozen meanwhile does not stay for good.

A read that starts with the collector off already (the app's start: `crmtui` keeps it off until the
first rows are drawn, then `resume_collector`) leaves it to whoever turned it off: no pass, no freeze
at its end (the pass over the whole stream read from the cache was 70-80 ms of a warm start at 20,000
contacts, before the rest of the stream could be shown).

The block is the whole read, network waits included: the OnePageCRM client maps each page as it lands,
so rows are made all along the read, and a collector on between pages would walk the rows of the
pages before (and promote them to be walked by every full pass after).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_depth = 0
_was_enabled = True
_freezes = 0
SWEEP_EVERY = 16
"""Every so many freezes, a full pass first: a reference cycle alive at one freeze (a screen open
then) and dropped later is frozen garbage until such a pass frees it (about 0.2 s at 20,000
contacts, after a read, when the user waits anyway: not at a random moment while they type)."""


@contextmanager
def large_read() -> Iterator[None]:
    """The collector off for the block (nested and concurrent blocks share one pause)."""
    global _depth, _was_enabled, _freezes
    if _depth == 0:
        _was_enabled = gc.isenabled()
        gc.disable()
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _was_enabled:
            _freezes += 1
            if _freezes % SWEEP_EVERY == 0:
                gc.unfreeze()
                gc.collect()
            else:
                gc.collect(0)  # the block's own cyclic garbage (exceptions, finished tasks): not frozen
            gc.freeze()
            gc.enable()


def resume_collector() -> None:
    """A start is done (`crmtui.cli` keeps the collector off while a start imports and, for the app,
    builds its first screen): what it made lives as long as the process, so the collector leaves it
    out of every later pass (`gc.freeze`) and runs again. Nothing when the collector is on."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
