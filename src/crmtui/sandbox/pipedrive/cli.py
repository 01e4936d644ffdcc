"""`crmtui sandbox --backend pipedrive ...`: run the Pipedrive sandbox in the foreground until SIGINT/SIGTERM.

The shared options (--host, --port, --data, --seed, --today, --latency, --fail-rate, --drop-rate, --lose-rate,
--reset) are the OnePageCRM sandbox's; the ones below are Pipedrive's own.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from crmtui.sandbox.common import share
from crmtui.sandbox.pipedrive.limits import PLANS
from crmtui.sandbox.pipedrive.server import ForeignDataError, SandboxOptions, start_sandbox
from crmtui.sandbox.http_server import serve_until_stopped

BACKENDS = ("onepagecrm", "pipedrive", "crust")


def add_pipedrive_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=BACKENDS, default="onepagecrm", help="which API to serve (default onepagecrm)")
    group = parser.add_argument_group("pipedrive (with --backend pipedrive)")
    group.add_argument("--leads", type=int, default=300, help="number of demo leads to seed")
    group.add_argument("--plan", choices=tuple(PLANS), default="lite", help="pricing plan: sets the budget multiplier and the burst (default lite)")
    group.add_argument("--seats", type=int, metavar="N", help="paid seats in the daily budget (default: the seeded users)")
    group.add_argument("--burst", type=int, metavar="N", help="requests per token in a rolling 2 s window (default: the plan's, 20 on lite)")
    group.add_argument("--daily-budget", type=int, metavar="TOKENS", help="daily token budget (default 30,000 x plan multiplier x seats)")
    group.add_argument("--day-seconds", type=float, metavar="S", help="the budget's day lasts S seconds from the start (default: the UTC day)")
    group.add_argument(
        "--escalate-after", type=int, default=10, metavar="N",
        help="429s within 10 s after which a token is blocked with Cloudflare's 403 page (default 10)",
    )
    group.add_argument("--block-seconds", type=float, default=900.0, help="how long a block lasts (default 900)")
    group.add_argument(
        "--redirect-downloads", action="store_true",
        help="file downloads answer 302 to a second loopback host that refuses requests carrying credentials",
    )
    group.add_argument("--max-file-bytes", type=int, default=1024 * 1024, metavar="N", help="largest upload accepted (default 1 MiB)")
    group.add_argument(
        "--no-activities", dest="activities", action="store_false",
        help="serve no /activities (404, as a server without them; a fresh seed gives no lead a next activity)",
    )
    group.add_argument("--retry-after-share", type=share, default=0.5, help="share of 429s with Retry-After (default 0.5)")


def options_from_args(args: argparse.Namespace) -> SandboxOptions:
    return SandboxOptions(
        host=args.host, port=args.port, data=args.data, seed=args.seed, leads=max(0, args.leads), today=args.today,
        plan=args.plan, seats=None if args.seats is None else max(1, args.seats),
        burst=None if args.burst is None else max(1, args.burst), daily_budget=args.daily_budget,
        day_seconds=args.day_seconds if args.day_seconds and args.day_seconds > 0 else None, escalate_after=max(0, args.escalate_after),
        block_seconds=max(0.0, args.block_seconds), retry_after_share=args.retry_after_share,
        latency_ms=max(0.0, args.latency), fail_rate=args.fail_rate, drop_rate=args.drop_rate,
        lose_rate=args.lose_rate, redirect_downloads=args.redirect_downloads, max_file_bytes=max(0, args.max_file_bytes),
        reset=args.reset, activities=getattr(args, "activities", True),
    )


def serve(options: SandboxOptions, while_held: Path | None = None) -> int:
    return serve_until_stopped(
        lambda: start_sandbox(options),
        lambda handle: f"crmtui pipedrive sandbox listening on {handle.base_url} api_token={handle.api_token}",
        f"{options.host}:{options.port}",
        refused=(ForeignDataError,),
        while_held=while_held,
    )


def run_sandbox(args: argparse.Namespace) -> int:
    return serve(options_from_args(args), args.while_held)
