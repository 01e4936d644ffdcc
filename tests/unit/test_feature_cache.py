"""The cache wraps every feature family: each read is cached or declared network only, each write forwarded.

A new read added to a family's Protocol fails here until the cache says what it does with it, so a
new feature never silently goes without offline support (or silently answers from nowhere).
"""

from __future__ import annotations

import dataclasses

import pytest

from crmtui.backends.base import FAMILIES, Backend, Features
from crmtui.service.cached import WRAPPERS, CachedBackend


def test_every_family_is_listed_once_and_has_a_wrapper() -> None:
    names = [family.name for family in FAMILIES]
    assert names == [f.name for f in dataclasses.fields(Features)]
    assert set(WRAPPERS) == set(names)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_read_is_cached_or_network_only(family) -> None:
    wrapper = WRAPPERS[family.name]
    cached, network_only = wrapper.CACHED, wrapper.NETWORK_ONLY
    assert not cached & network_only, "a read is either cached or network only"
    assert cached | network_only == family.reads(), (
        f"{family.name}: reads neither cached nor declared network only: {sorted(family.reads() - cached - network_only)}; "
        f"declared but not reads: {sorted((cached | network_only) - family.reads())}"
    )
    assert family.writes <= family.methods(), "every declared write is a method of the family"


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_method_is_written_out_on_the_wrapper(family) -> None:
    wrapper = WRAPPERS[family.name]
    missing = [name for name in family.methods() if name not in vars(wrapper)]
    assert not missing, f"{wrapper.__name__} does not implement {missing}"
    assert "__getattr__" not in vars(wrapper)


def test_nothing_reaches_the_backend_behind_the_cache_unnamed() -> None:
    assert not hasattr(CachedBackend, "__getattr__")
    assert not hasattr(CachedBackend, "__getattribute__") or CachedBackend.__getattribute__ is object.__getattribute__
    core = {"connect", "close", "server_time", "capabilities", "features", "name", "address"}
    assert core <= set(dir(CachedBackend)) | {"name", "address"}


class _Partial:
    """A backend with only some families: the cache offers exactly those."""

    name = "partial"
    address = "https://partial.invalid/api"
    capabilities = frozenset()

    def __init__(self) -> None:
        self.features = Features(history=object())  # type: ignore[arg-type]

    async def connect(self): ...
    async def close(self) -> None: ...
    async def server_time(self): ...


def test_the_cache_offers_the_families_the_backend_has_and_no_other() -> None:
    inner = _Partial()
    assert isinstance(inner, Backend)
    local = CachedBackend(inner, None)
    assert local.features.present() == {"history"}
    assert local.features.action_stream is None and local.features.notifications is None
