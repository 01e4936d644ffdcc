"""`crmtui sandbox ...`: run the OnePageCRM sandbox in the foreground until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
from pathlib import Path

from crmtui import paths
from crmtui.sandbox.common import iso_date, share
from crmtui.sandbox.onepagecrm.server import SandboxOptions, start_sandbox
from crmtui.sandbox.http_server import serve_until_stopped

DEMO_DB_NAME = "demo.sqlite3"


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one; default 8765)")
    parser.add_argument("--data", type=Path, metavar="PATH", help="SQLite file to keep the data in (default: in memory)")
    parser.add_argument("--seed", type=int, default=42, help="random seed for the demo data")
    parser.add_argument("--contacts", type=int, default=300, help="number of demo contacts to seed")
    parser.add_argument("--today", type=iso_date, metavar="YYYY-MM-DD", help="pretend today is this date")
    parser.add_argument("--latency", type=float, default=0.0, metavar="MS", help="delay every answer by MS milliseconds")
    parser.add_argument("--fail-rate", type=share, default=0.0, help="share of requests answered 500/502/503")
    parser.add_argument("--throttle-rate", type=share, default=0.0, help="share of requests throttled (403 text / 429)")
    parser.add_argument("--drop-rate", type=share, default=0.0, help="share of connections closed without an answer")
    parser.add_argument(
        "--lose-rate", type=share, default=0.0,
        help="share of requests handled (writes applied) whose answer is then lost",
    )
    parser.add_argument("--retry-after", type=int, default=1, metavar="SECONDS", help="Retry-After on 429 answers")
    parser.add_argument("--reset", action="store_true", help="throw away the data in --data and seed again")
    parser.add_argument(
        "--while-held", type=Path, metavar="PATH",
        help="serve while some process holds a lock on PATH, then stop (crmtui --demo's windows each hold one)",
    )


def options_from_args(args: argparse.Namespace) -> SandboxOptions:
    return SandboxOptions(
        host=args.host,
        port=args.port,
        data=args.data,
        seed=args.seed,
        contacts=max(0, args.contacts),
        today=args.today,
        latency_ms=max(0.0, args.latency),
        fail_rate=args.fail_rate,
        throttle_rate=args.throttle_rate,
        drop_rate=args.drop_rate,
        lose_rate=args.lose_rate,
        retry_after=max(0, args.retry_after),
        reset=args.reset,
    )


def serve(options: SandboxOptions, while_held: Path | None = None) -> int:
    return serve_until_stopped(
        lambda: start_sandbox(options),
        lambda handle: f"crmtui sandbox listening on {handle.base_url} user_id={handle.user_id} api_key={handle.api_key}",
        f"{options.host}:{options.port}",
        while_held=while_held,
    )


def run_sandbox(args: argparse.Namespace) -> int:
    return serve(options_from_args(args), args.while_held)


def run_sandbox_from_demo(reset: bool) -> int:
    """The demo's sandbox: data kept in the user data dir (CRMTUI_DATA_DIR overrides), any free port."""
    data = paths.data_dir() / DEMO_DB_NAME
    return serve(SandboxOptions(port=0, data=data, reset=reset))
