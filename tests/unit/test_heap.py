"""The collector around large reads (service/heap.py) and the stream models' shared field sets."""

from __future__ import annotations

import gc
import weakref

import pytest

from crmtui.domain.models import Action, Contact, StreamEntry
from crmtui.service.heap import SWEEP_EVERY, large_read


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@pytest.fixture(autouse=True)
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_on_again_after_the_outermost() -> None:
    with large_read():
        assert not gc.isenabled()
        with large_read():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_turns_the_collector_on_again() -> None:
    with pytest.raises(RuntimeError), large_read():
        raise RuntimeError("read failed")
    assert gc.isenabled()


def test_a_collector_off_before_stays_off_and_the_read_leaves_the_rest_to_whoever_turned_it_off() -> None:
    """The app's start: no pass over what the read made (70-80 ms at 20,000 contacts) and no freeze:
    `resume_collector` does that once the first rows are drawn."""
    gc.disable()
    frozen = gc.get_freeze_count()
    with large_read():
        kept = [Contact(id=str(i)) for i in range(200)]
        garbage = Node()
        gone = weakref.ref(garbage)
        del garbage
    assert not gc.isenabled()
    assert gone() is not None and gc.get_freeze_count() <= frozen  # not collected, nothing frozen
    assert len(kept) == 200


def test_what_was_made_is_frozen_and_cyclic_garbage_of_the_read_is_freed() -> None:
    frozen = gc.get_freeze_count()
    with large_read():
        kept = [Contact(id=str(i)) for i in range(200)]
        garbage = Node()
        gone = weakref.ref(garbage)
        del garbage
    assert gone() is None, "the read's cyclic garbage is collected, not frozen"
    assert gc.get_freeze_count() >= frozen + len(kept)


def test_cyclic_garbage_frozen_by_one_read_is_freed_within_a_sweep() -> None:
    with large_read():
        pass
    alive = Node()  # alive while the next read freezes it: a screen open then, say
    gone = weakref.ref(alive)
    with large_read():
        pass
    del alive  # now garbage, frozen
    for _ in range(SWEEP_EVERY):
        with large_read():
            pass
    assert gone() is None


def test_stream_models_share_one_set_of_fields_and_still_take_changes() -> None:
    a = Contact(id="a", first_name="Ann")
    b = Contact.model_validate_json('{"id": "b"}')
    assert a.model_fields_set is b.model_fields_set == set(Contact.model_fields)
    a.first_name = "Anna"
    assert (a.first_name, b.first_name) == ("Anna", "")
    assert b.model_fields_set == set(Contact.model_fields)
    entry = StreamEntry(contact=a, next_action=Action(id="x", contact_id="a"))
    copied = entry.model_copy(update={"in_stream": False})
    assert copied.in_stream is False and entry.in_stream is True and copied.contact == a
    assert StreamEntry.model_validate_json(entry.model_dump_json()) == entry
