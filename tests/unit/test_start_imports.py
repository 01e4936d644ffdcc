"""A start imports only what its first paint needs (issue 13: warm start to first rows).

The first paint goes through crmtui.cli's run path: the settings, the local files, the backend
(`deferred_backend`: built when first used), the session (`compose`), the app and its first screen.
None of that may pull in the HTTP client, a backend's wire models or client, plotting or a sandbox:
they load after the cached rows are on the terminal. (pydantic is not on the list: the domain models
the cached rows are read into are pydantic models.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from crmtui.backends.address import InsecureAddress
from crmtui.backends.registry import BEFORE_CONNECT, Connection, DeferredBackend, create_backend, deferred_backend

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"
"""A token Crust's backend can read (subject 1); never sent anywhere here."""

START_PATH = """
import json, sys
import crmtui.ui.app as ui


def run_app(session, **options):  # where the app would run: what has been imported by now
    first = ui.CrmApp(session).top_level[0].screen  # the first screen's module, imported as switch_mode does
    from pydantic import BaseModel

    built, todo, seen = [], [BaseModel], set()
    while todo:  # crmtui's pydantic models whose validator is built by now
        for model in todo.pop().__subclasses__():
            if model not in seen:
                seen.add(model)
                todo.append(model)
                if model.__module__.startswith("crmtui.") and model.__dict__.get("__pydantic_complete__"):
                    built.append(model.__module__ + "." + model.__qualname__)
    loader = sys.modules.get("pydantic.plugin._loader")
    scanned = loader is not None and loader._plugins is not None  # pydantic looked through every package's entry points
    print(json.dumps({"first": first.__name__, "modules": sorted(sys.modules), "built": sorted(built), "plugins_scanned": scanned}))
    return 0


ui.run_app = run_app
from crmtui.cli import main

sys.exit(main(sys.argv[1:]))
"""
CREDENTIALS = {"onepagecrm": {"ONEPAGECRM_USER_ID": "u1", "ONEPAGECRM_API_KEY": "k1"}, "pipedrive": {"PIPEDRIVE_API_TOKEN": "t1"}, "crust": {"CRUST_JWT": JWT}}

NOT_BEFORE_THE_FIRST_PAINT = ("httpx", "httpcore", "h11", "plotext", "textual_plotext", "crmtui.sandbox")
DIALOG_WIDGETS = ("textual.widgets._text_area", "textual.widgets._toggle_button", "textual.widgets._selection_list")


def _start(tmp_path, backend: str) -> dict[str, Any]:
    """crmtui's own start (crmtui.cli.main, credentials in the environment), stopped where the app would run."""
    env = {"CRMTUI_CONFIG_DIR": str(tmp_path / "c"), "CRMTUI_DATA_DIR": str(tmp_path / "d"), "CRMTUI_CACHE_DIR": str(tmp_path / "k")}
    out = subprocess.run(
        [sys.executable, "-c", START_PATH, "--backend", backend, "--base-url", "http://127.0.0.1:9/api"],
        capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", **env, **CREDENTIALS[backend]},
    )
    assert out.returncode == 0, out.stderr
    found: dict[str, Any] = json.loads(out.stdout)
    return found


def _wire_or_client(module: str) -> bool:
    parts = module.split(".")
    return len(parts) >= 4 and parts[:2] == ["crmtui", "backends"] and parts[3] in ("wire", "client", "adapter")


@pytest.mark.parametrize(
    ("backend", "first"), [("onepagecrm", "ActionStreamScreen"), ("pipedrive", "LeadsScreen"), ("crust", "RecordsScreen")]
)
def test_the_start_path_imports_no_http_client_wire_models_plotting_or_sandbox(tmp_path, backend: str, first: str) -> None:
    """crmtui's own start (crmtui.cli.main, credentials in the environment), stopped where the app would run."""
    found = _start(tmp_path, backend)
    assert found["first"] == first
    modules = found["modules"]
    assert "crmtui.ui.app" in modules and "crmtui.service.session" in modules  # the path was taken
    early = [m for m in modules if m.split(".")[0] in NOT_BEFORE_THE_FIRST_PAINT or m.startswith("crmtui.sandbox")]
    early += [m for m in modules if _wire_or_client(m)]
    early += [m for m in modules if m in DIALOG_WIDGETS]  # the first screen's dialogs come when a key opens one
    assert early == []


def test_the_start_does_not_scan_every_installed_package_for_pydantic_plugins(tmp_path) -> None:
    assert _start(tmp_path, "onepagecrm")["plugins_scanned"] is False


OTHER_AREAS_COMMANDS = {
    # The command modules of screens other than the first (the outbox's registry imports them all
    # when it first reads a stored change back, not at start).
    "onepagecrm": ("lead", "deal", "record", "module"),
    "pipedrive": ("record", "module"),
    "crust": ("lead", "deal"),
}
OTHER_AREAS_MODELS = {
    # The domain models of other backends' areas, imported where first read (the cached layer's
    # reads of records, charts, teams and search results import them then).
    "onepagecrm": ("records", "charts", "teams", "search"),
    "pipedrive": ("records", "charts"),
    "crust": ("teams", "search"),
}


@pytest.mark.parametrize(("backend", "first"), [("onepagecrm", "ActionStreamScreen"), ("pipedrive", "LeadsScreen"), ("crust", "RecordsScreen")])
def test_the_start_path_builds_no_validator_and_imports_no_other_area_s_commands(tmp_path, backend: str, first: str) -> None:
    """The domain models and the commands build their validators when first used (defer_build), not
    at import; the command modules of other screens stay out (the registry loads them when first used)."""
    found = _start(tmp_path, backend)
    assert found["first"] == first
    assert [m for m in found["built"] if not m.startswith("crmtui.config.")] == []
    modules = set(found["modules"])
    assert "crmtui.service.commands" in modules and "crmtui.service.command_registry" in modules  # the path was taken
    others = ("goal", "team", "file", "filter", "company", *OTHER_AREAS_COMMANDS[backend])
    early = sorted(m for m in modules if m in {f"crmtui.service.{area}_commands" for area in others})
    early += sorted(m for m in modules if m in {"crmtui.service.contact_history", "crmtui.service.history_edits"})
    areas = ("goals", "jobs", "pages", "files", "filters", *OTHER_AREAS_MODELS[backend])
    early += sorted(m for m in modules if m in {f"crmtui.domain.{area}" for area in areas})
    assert early == []


@pytest.mark.parametrize("backend", sorted(BEFORE_CONNECT))
@pytest.mark.parametrize("url", ["http://127.0.0.1:9/api/", "https://crm.example/api/v3", "https://crm.example"])
def test_a_deferred_backend_is_the_built_one_before_it_is_built(backend: str, url: str) -> None:
    """Name, address and capabilities (what the app chooses its screens by) without building it; the
    same as the backend's own before it connects."""
    connection = Connection(backend=backend, base_url=url, user_id="u1", api_key=JWT)
    deferred = deferred_backend(connection)
    assert isinstance(deferred, DeferredBackend)
    said = (deferred.name, deferred.address, deferred.capabilities, deferred.governor)
    assert deferred._built is None
    built = create_backend(connection)
    assert said == (built.name, built.address, built.capabilities, None)


def test_a_deferred_backend_is_built_at_first_use_and_then_answers_as_it() -> None:
    deferred = deferred_backend(Connection(backend="pipedrive", base_url="http://127.0.0.1:9", user_id="", api_key="t"))
    assert isinstance(deferred, DeferredBackend)
    features = deferred.features  # anything but name, address and capabilities builds it
    built = deferred._built
    assert built is not None and features is built.features
    assert deferred.governor is built.governor is not None  # the header's gauge from now on
    built.capabilities = frozenset()
    assert deferred.capabilities == frozenset()  # settled at connect: the built backend's from then on


def test_plain_http_to_another_machine_is_refused_before_the_app_starts() -> None:
    with pytest.raises(InsecureAddress):
        deferred_backend(Connection(backend="onepagecrm", base_url="http://crm.example/api", user_id="u", api_key="k"))
    allowed = Connection(backend="onepagecrm", base_url="http://crm.example/api", user_id="u", api_key="k", allow_insecure_http=True)
    assert deferred_backend(allowed).address == "http://crm.example/api"


def test_an_unknown_backend_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="unknown backend"):
        deferred_backend(Connection(backend="nope", base_url="https://x.example", user_id="u", api_key="k"))


KEY_DIALOGS = ("crmtui.ui.modals.new_contact", "crmtui.ui.modals.next_action", "crmtui.ui.modals.contact_forms", "crmtui.ui.modals.stream_filter")


def test_the_stream_s_key_dialogs_are_imported_when_a_key_opens_one_not_at_start(tmp_path) -> None:
    """The action stream's keys (C, n, d, e, a, p, F) open their dialogs' modules on first use."""
    found = _start(tmp_path, "onepagecrm")
    assert found["first"] == "ActionStreamScreen"
    modules = set(found["modules"])
    assert "crmtui.ui.screens.triage" in modules  # the path was taken
    assert sorted(m for m in KEY_DIALOGS if m in modules) == []
