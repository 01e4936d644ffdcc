"""`crmtui sandbox --backend crust ...`: run the Crust sandbox in the foreground until SIGINT/SIGTERM.

The shared options (--host, --port, --data, --seed, --today, --latency, --fail-rate, --drop-rate,
--lose-rate, --reset) are the OnePageCRM sandbox's; the ones below are Crust's own. The start line
gives the address and a JWT for the first seeded user.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from crmtui.sandbox.common import share
from crmtui.sandbox.crust.server import DEFAULT_JWT_MINUTES, ForeignDataError, SandboxOptions, start_sandbox
from crmtui.sandbox.http_server import serve_until_stopped


def add_crust_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("crust (with --backend crust)")
    group.add_argument(
        "--jwt-minutes", type=float, default=DEFAULT_JWT_MINUTES, metavar="MINUTES",
        help=f"how long the tokens the sandbox issues last (default {DEFAULT_JWT_MINUTES:g}, the real server's)",
    )
    group.add_argument(
        "--error-rate", type=share, default=0.0,
        help="share of requests answered HTTP 200 with a database error instead of being handled",
    )
    group.add_argument("--trace", action="store_true", help="errors carry error.trace, as with the server's error tracing on")
    group.add_argument(
        "--login-works", action="store_true",
        help="POST /system/auth/login reads username and password (the real server at the spec's commit never does)",
    )
    group.add_argument(
        "--jobs-not-implemented", action="store_true",
        help="workflows and jobs answer 'Not implemented', as the real server at the spec's commit (default: they work)",
    )


def options_from_args(args: argparse.Namespace) -> SandboxOptions:
    return SandboxOptions(
        host=args.host, port=args.port, data=args.data, seed=args.seed, today=args.today,
        jwt_minutes=args.jwt_minutes if args.jwt_minutes > 0 else DEFAULT_JWT_MINUTES,
        latency_ms=max(0.0, args.latency), fail_rate=args.fail_rate, error_rate=args.error_rate, drop_rate=args.drop_rate,
        lose_rate=args.lose_rate, trace=args.trace, login_works=args.login_works, reset=args.reset,
        jobs_not_implemented=getattr(args, "jobs_not_implemented", False),
    )


def serve(options: SandboxOptions, while_held: Path | None = None) -> int:
    return serve_until_stopped(
        lambda: start_sandbox(options),
        lambda handle: f"crmtui crust sandbox listening on {handle.base_url} jwt={handle.token}",
        f"{options.host}:{options.port}",
        refused=(ForeignDataError,),
        while_held=while_held,
    )


def run_sandbox(args: argparse.Namespace) -> int:
    return serve(options_from_args(args), args.while_held)
