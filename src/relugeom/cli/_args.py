"""Argument types and checks shared by the ``relugeom`` sub-commands.

Every option is checked when it is parsed, before any work starts: argparse then prints
the usage line and one message naming the option, and the command exits with code 2.

Exit codes (all commands)
-------------------------
0
    the work is complete;
1
    a failure (a file that cannot be read, a solver error, …);
2
    a usage error (a bad option or argument, a missing input file, an output path that
    cannot be written);
3
    the work is incomplete: a limit (``--time-limit``, ``--max-regions``, …) stopped it, or
    the answer is not decided (``relugeom verify`` says ``unknown`` or ``timeout``); what was
    found is still printed and written;
130
    interrupted (Ctrl-C or SIGTERM); worker processes are stopped.

Examples
--------
>>> positive_int("3"), positive_seconds("2.5"), int_list("2,3,1")
(3, 2.5, [2, 3, 1])
>>> int_list("2,,3")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: '2,,3': entry 2 is empty; give integers separated by commas, e.g. 2,3,1
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from ..errors import RelugeomError

__all__ = ["UsageError", "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE", "EXIT_INCOMPLETE", "EXIT_INTERRUPTED",
           "positive_int", "nonneg_int", "positive_seconds", "nonneg_seconds", "finite_float", "int_list",
           "need_file", "need_writable"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(RelugeomError, ValueError):
    """A command-line option or argument is wrong (exit code 2)."""


def _checked(text: str, cast, ok, what: str):
    """``cast(text)`` if it converts and passes ``ok``; else one ArgumentTypeError naming ``what``."""
    try:
        v = cast(text)
    except ValueError:
        v = None
    if v is None or not ok(v):
        raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}")
    return v


def positive_int(text: str) -> int:
    """An integer ``>= 1``.

    Examples
    --------
    >>> positive_int("-5")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a positive integer; got '-5'
    """
    return _checked(text, int, lambda v: v >= 1, "a positive integer")


def nonneg_int(text: str) -> int:
    """An integer ``>= 0``.

    Examples
    --------
    >>> nonneg_int("0")
    0
    """
    return _checked(text, int, lambda v: v >= 0, "a non-negative integer")


def positive_seconds(text: str) -> float:
    """A finite number of seconds ``> 0`` (no ``nan``, ``inf`` or negative values).

    Examples
    --------
    >>> positive_seconds("nan")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a positive number of seconds (finite); got 'nan'
    """
    return _checked(text, float, lambda v: math.isfinite(v) and v > 0, "a positive number of seconds (finite)")


def nonneg_seconds(text: str) -> float:
    """A finite number of seconds ``>= 0`` (``0``: do no search, answer from what is cheap).

    Examples
    --------
    >>> nonneg_seconds("0")
    0.0
    """
    return _checked(text, float, lambda v: math.isfinite(v) and v >= 0,
                    "a non-negative number of seconds (finite)")


def finite_float(text: str) -> float:
    """A finite number (no ``nan`` or ``inf``).

    Examples
    --------
    >>> finite_float("-inf")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a finite number; got '-inf'
    """
    return _checked(text, float, math.isfinite, "a finite number")


def int_list(text: str) -> list[int]:
    """Integers separated by commas (spaces allowed), no empty entries.

    Examples
    --------
    >>> int_list(" 4, 8 ,1")
    [4, 8, 1]
    """
    parts = text.split(",")
    out = []
    for i, p in enumerate(parts, start=1):
        p = p.strip()
        if not p:
            raise argparse.ArgumentTypeError(f"{text!r}: entry {i} is empty; give integers separated by "
                                             "commas, e.g. 2,3,1")
        try:
            out.append(int(p))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: entry {i} ({p!r}) is not an integer") from None
    return out


def need_file(opt: str, path: str) -> None:
    """An input file that exists (a :class:`UsageError` otherwise).

    Examples
    --------
    >>> need_file("NET", "/no/such/file.onnx")
    Traceback (most recent call last):
    ...
    relugeom.cli._args.UsageError: NET /no/such/file.onnx: no such file
    """
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{opt} {path}: no such file")
    if not p.is_file():
        raise UsageError(f"{opt} {path}: not a regular file")


def need_writable(opt: str, path: str) -> None:
    """An output path whose directory exists and is writable (a :class:`UsageError` otherwise).

    Examples
    --------
    >>> need_writable("--json", "/no/such/dir/out.json")
    Traceback (most recent call last):
    ...
    relugeom.cli._args.UsageError: --json /no/such/dir/out.json: directory /no/such/dir does not exist
    """
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{opt} {path}: is a directory; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{opt} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise UsageError(f"{opt} {path}: not writable")
