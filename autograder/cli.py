"""The `autograder` command (also `python -m autograder`).

Each subcommand lives in its own module under autograder/commands/.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import autograder.commands as commands
from autograder.reference import ReferenceMissing


def _command_modules() -> list[str]:
    found = {m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_")}
    found.discard("output")
    return [name for name in commands.ORDER if name in found] + sorted(found - set(commands.ORDER))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description="Grade deep-learning assignments.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in _command_modules():
        importlib.import_module(f"autograder.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from autograder.rubrics import UnknownAssignment

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UnknownAssignment, ReferenceMissing) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `autograder list | head`
        sys.stderr.close()
        return 0
