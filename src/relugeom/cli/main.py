"""The ``relugeom`` command: one sub-command per job.

Each sub-command lives in ``relugeom.cli._<name>`` and provides
``add_arguments(parser)`` and ``run(args) -> int``; modules are imported only when their
sub-command runs, so ``relugeom --help`` stays fast.

Exit codes (every command): 0 complete, 1 failure, 2 usage error, 3 incomplete (a limit
stopped the work, or the answer is undecided), 130 interrupted. See
:mod:`relugeom.cli._args`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from importlib import import_module

__all__ = ["main", "SUBCOMMANDS"]

SUBCOMMANDS = {
    "demo": "enumerate the regions of a bundled network on [-1,1]^2 and draw them",
    "regions": "enumerate the linear regions of a network (.npz, .onnx, .nnet)",
    "invariants": "polynomial invariants of an activation region (pattern/output varieties)",
    "tropical": "the tropical (max-plus) form F ⊘ G of a network",
    "verify": "check a VNN-LIB property on an ONNX network (VNN-COMP style output)",
    "voronoi": "Voronoi cells of models and ReLU Voronoi cells",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available sub-command."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="relugeom",
        description="Tropical, polyhedral and algebraic geometry of ReLU networks.",
        epilog="exit codes: 0 complete, 1 failure, 2 usage error, 3 incomplete (a limit stopped "
               "the work, or the answer is undecided), 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"relugeom {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in SUBCOMMANDS.items():
        try:
            module = import_module(f"relugeom.cli._{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"relugeom.cli._{name}":
                raise
            continue
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``relugeom`` command."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error reported by argparse (2)
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    previous = _terminate_as_interrupt()
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one clear line for the user; the traceback with -vv
        from ..errors import RelugeomError
        from ._args import UsageError

        if args.verbose >= 2 or not isinstance(exc, (RelugeomError, ValueError, OSError)):
            raise
        print(f"relugeom {args.command}: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _terminate_as_interrupt():
    """SIGTERM raises KeyboardInterrupt, so the same clean-up runs (worker pools stop)."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. called from a test runner thread)
        return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
