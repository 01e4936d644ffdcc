"""Command-line entry points: `crmtui`, `crmtui --demo`, `crmtui sandbox ...`."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crmtui",
        description="A keyboard-driven terminal CRM client.",
    )
    parser.add_argument("--demo", action="store_true", help="run on the built-in sandbox with demo data")
    parser.add_argument("--reset", action="store_true", help="with --demo: re-seed the demo data")
    sub = parser.add_subparsers(dest="command")
    from crmtui.sandbox.onepagecrm.cli import add_sandbox_arguments

    sandbox = sub.add_parser("sandbox", help="run the OnePageCRM sandbox server")
    add_sandbox_arguments(sandbox)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "sandbox":
        from crmtui.sandbox.onepagecrm.cli import run_sandbox

        return run_sandbox(args)
    if args.demo:
        from crmtui.sandbox.onepagecrm.cli import run_sandbox_from_demo

        return run_sandbox_from_demo(reset=args.reset)
    parser.print_help(sys.stderr)
    return 2
