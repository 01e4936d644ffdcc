"""Command-line entry points: `crmtui`, `crmtui --demo`, `crmtui login`, `crmtui sandbox ...`.

Every error meant for the user ends as one line on stderr and a non-zero exit code, never a
traceback: 2 for settings/usage problems, 1 for server or demo problems, 130 for Ctrl+C.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from crmtui import __version__

if TYPE_CHECKING:  # only for annotations: the entry point imports what a command needs, when it runs
    import datetime as dt
    from pathlib import Path

    from crmtui.backends.registry import Connection

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130

log = logging.getLogger(__name__)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crmtui",
        description="A keyboard-driven terminal CRM client.",
    )
    parser.add_argument("--version", action="version", version=f"crmtui {__version__}")
    parser.add_argument("--demo", action="store_true", help="run on the built-in sandbox with demo data")
    parser.add_argument(
        "--backend", choices=("onepagecrm", "pipedrive", "crust"), default=None,
        help="which CRM: onepagecrm (default, or the profile's), pipedrive or crust",
    )
    parser.add_argument("--reset", action="store_true", help="with --demo: re-seed the demo data")
    parser.add_argument("--profile", metavar="NAME", help="use this saved profile (default: the active one)")
    parser.add_argument("--base-url", metavar="URL", help="API address (overrides the profile and CRMTUI_BASE_URL)")
    parser.add_argument("--theme", metavar="NAME", help="colour theme for this run")
    parser.add_argument(
        "--offline", action="store_true",
        help="work from the local cache only; changes wait in the outbox until an online start",
    )
    parser.add_argument("--resync", action="store_true", help="drop the local cache and fetch everything again")
    parser.add_argument(
        "--allow-insecure-http", action="store_true",
        help="send the API key over plain http:// to another machine (refused otherwise; the app warns on every screen)",
    )
    sub = parser.add_subparsers(dest="command", metavar="{login,sandbox}")

    login = sub.add_parser("login", help="sign in and save a profile")
    # SUPPRESS keeps `crmtui --profile x login` working: the subcommand must not reset the value.
    login.add_argument("--profile", metavar="NAME", default=argparse.SUPPRESS, help="profile to save (default: active)")
    login.add_argument("--base-url", metavar="URL", default=argparse.SUPPRESS, help="API address to sign in to")
    login.add_argument(
        "--backend", choices=("onepagecrm", "pipedrive", "crust"), default=argparse.SUPPRESS,
        help="which CRM to sign in to (default onepagecrm)",
    )
    login.add_argument(
        "--allow-insecure-http", action="store_true", default=argparse.SUPPRESS,
        help="allow a plain http:// address on another machine (saved in the profile)",
    )

    sandbox = sub.add_parser("sandbox", help="run a sandbox server (OnePageCRM; --backend pipedrive or crust for the others)")
    # The sandbox's options are only loaded when asked for, so the client starts without it.
    args = sys.argv[1:] if argv is None else argv
    if "sandbox" in args:
        from crmtui.sandbox.onepagecrm.cli import add_sandbox_arguments

        add_sandbox_arguments(sandbox)
        from crmtui.sandbox.pipedrive.cli import add_pipedrive_arguments

        add_pipedrive_arguments(sandbox)
        from crmtui.sandbox.crust.cli import add_crust_arguments

        add_crust_arguments(sandbox)
    return parser


def _theme_saver(config_path: Path | None = None) -> Callable[[str], None]:
    def persist(theme: str) -> None:
        from crmtui.config import ConfigError, load_config, save_config

        try:
            cfg = load_config(config_path)
            cfg.theme = theme
            save_config(cfg, config_path)
        except (ConfigError, ValueError) as exc:
            log.warning("could not save the theme: %s", exc)

    return persist


def _run_ui(
    connection: Connection, *, theme: str | None, refresh_seconds: int,
    clock: Callable[[], dt.datetime] | None = None, profile: str | None = None,
    demo: bool = False, offline: bool = False, resync: bool = False, forget_local: bool = False,
) -> int:
    from crmtui.backends.address import unencrypted
    from crmtui.backends.registry import deferred_backend
    from crmtui.service.compose import compose
    from crmtui.service.local import local_files
    from crmtui.ui.app import run_app

    files = local_files(connection.base_url, connection.user_id, profile=profile, demo=demo, backend=connection.backend)
    if connection.backend == "pipedrive" and connection.state_dir is None:
        import dataclasses

        # The rate governor's shared state (a block, the day's ledger) beside the profile's outbox:
        # every crmtui on the profile reads it.
        connection = dataclasses.replace(connection, state_dir=str(files.outbox_path.parent))
    if forget_local:
        files.forget()  # the demo was seeded afresh: its cache and unsent changes no longer apply
    from crmtui.store.db import StoreUnavailable

    inner = deferred_backend(connection)  # the HTTP client and the wire models load after the first paint
    cache = None
    try:
        cache = files.open_cache()
    except StoreUnavailable as exc:  # a cache is a copy: run without one rather than not at all
        _say(f"the local cache cannot be used ({exc}); starting without it")
    if resync and cache is not None:
        cache.clear()
        cache.needs_full_sync = True
    session = compose(inner, cache=cache, outbox_store=files.outbox_store(), offline=offline, clock=clock)
    session.filters.memory = files.view_state()
    session.filters.restore()  # the filter this profile had on last time
    outbox = session.outbox
    # The collector stays off until the app has drawn its first rows (it turns it back on then):
    # the first screen's imports, widgets and styles are made in that time too.
    try:
        result = run_app(
            session,
            theme=theme,
            on_theme_change=_theme_saver(),
            refresh_seconds=refresh_seconds,
            unencrypted=unencrypted(connection.base_url),
            **({"clock": clock} if clock is not None else {}),
        )
    finally:
        if cache is not None:
            cache.close()
        leaving = outbox.leaving_note() if outbox.opened else ""  # what becomes of the changes left unsent
        outbox.close()
    if leaving:
        _say(leaving)
    return result if isinstance(result, int) else EXIT_OK


def _run(args: argparse.Namespace) -> int:
    if args.command is not None:  # login and the sandboxes: no start to hurry
        from crmtui.service.heap import resume_collector

        resume_collector()
    if args.command == "sandbox" and getattr(args, "backend", "onepagecrm") == "crust":
        from crmtui.sandbox.crust.cli import run_sandbox as run_crust_sandbox

        return run_crust_sandbox(args)
    if args.command == "sandbox" and getattr(args, "backend", "onepagecrm") == "pipedrive":
        from crmtui.sandbox.pipedrive.cli import run_sandbox as run_pipedrive_sandbox

        return run_pipedrive_sandbox(args)
    if args.command == "sandbox":
        from crmtui.sandbox.onepagecrm.cli import run_sandbox

        return run_sandbox(args)

    from crmtui.config import load_config, resolve_connection

    if args.command == "login":
        from crmtui.login import run_login

        return run_login(
            profile=args.profile, base_url=args.base_url, allow_insecure_http=args.allow_insecure_http,
            backend=args.backend or "onepagecrm",
        )

    cfg = load_config()
    theme = args.theme or cfg.theme
    if args.demo:
        from crmtui.demo import demo_clock, demo_sandbox

        with demo_sandbox(reset=args.reset, backend=args.backend or "onepagecrm") as connection:
            return _run_ui(
                connection, theme=theme, refresh_seconds=cfg.refresh_seconds, clock=demo_clock(), demo=True,
                offline=args.offline, resync=args.resync, forget_local=args.reset,
            )
    if args.reset:
        raise _UsageError("--reset only applies with --demo")
    connection = resolve_connection(
        cfg, profile=args.profile, base_url=args.base_url, backend=args.backend,
        allow_insecure_http=args.allow_insecure_http,
    )
    from crmtui.config import profile_in_use

    profile = profile_in_use(cfg, connection, args.profile)
    return _run_ui(
        connection, theme=theme, refresh_seconds=cfg.refresh_seconds, profile=profile,
        offline=args.offline, resync=args.resync,
    )


class _UsageError(Exception):
    pass


def _say(message: str) -> None:
    """One line on stderr; it may quote a server or a file, so it is drawn, never obeyed."""
    from crmtui.domain.text import inert_text

    print(inert_text(f"crmtui: {message}"), file=sys.stderr)


def _fail(message: str, code: int) -> int:
    _say(message)
    return code


def main(argv: list[str] | None = None) -> int:
    # A start imports some 600 modules and makes their classes: the cyclic collector would walk
    # them again and again (about 40 ms of a warm start); it runs again once they are made (the
    # app's: once its first rows are drawn, `crmtui.service.heap.resume_collector`).
    gc.disable()
    # pydantic looks for plugins (observability hooks) among every installed package's entry points
    # when it builds its first validator: a scan of every package's metadata at each start, for
    # plugins crmtui does not use and would not want in the path of its data. A person who sets the
    # variable keeps their setting.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        return _main(argv)
    finally:
        gc.enable()


def _main(argv: list[str] | None) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    from crmtui.backends.address import InsecureAddress
    from crmtui.backends.errors import BackendError
    from crmtui.config import ConfigError
    from crmtui.demo import DemoError

    try:
        return _run(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except _UsageError as exc:
        parser.print_usage(sys.stderr)
        return _fail(str(exc), EXIT_CONFIG)
    except ConfigError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    except InsecureAddress as exc:  # a setting to change (the address), not a server's failure
        return _fail(exc.user_message, EXIT_CONFIG)
    except BackendError as exc:
        return _fail(exc.user_message, EXIT_FAILURE)
    except DemoError as exc:
        return _fail(str(exc), EXIT_FAILURE)
    except Exception as exc:  # a bug; keep the terminal readable, offer the trace
        if os.environ.get("CRMTUI_DEBUG"):
            raise
        return _fail(
            f"unexpected error: {type(exc).__name__}: {exc} (set CRMTUI_DEBUG=1 to see the traceback)",
            EXIT_FAILURE,
        )
