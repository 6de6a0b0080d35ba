"""``relugeom verify NET PROP.vnnlib``: check a VNN-LIB property, VNN-COMP style.

The first line printed is one word: ``unsat`` (the property holds: no input of the input
set reaches the unsafe outputs), ``sat`` (violated; a counterexample follows), ``timeout``,
``unknown`` (a work limit was hit) or ``error``. Details follow on later lines. With
``--counterexample OUT`` the result is also written to ``OUT`` in VNN-COMP's result-file
format: the word on the first line, and for ``sat`` the assignment
``((X_0 v) (X_1 v) … (Y_0 v) …)``, one pair per line.
"""

from __future__ import annotations

import argparse
import sys
import time

from ._args import need_writable, nonneg_int, nonneg_seconds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("network", help="network file (.onnx, .npz, .nnet)")
    parser.add_argument("property", help="VNN-LIB property (.vnnlib)")
    parser.add_argument("--time-limit", type=nonneg_seconds, default=None, metavar="S",
                        help="seconds for the whole check (default: none)")
    parser.add_argument("--max-splits", type=nonneg_int, default=None, metavar="N",
                        help="work limit: box splits per input part (then `unknown`)")
    parser.add_argument("--counterexample", metavar="OUT",
                        help="write the result (and a counterexample) in VNN-COMP format")
    parser.add_argument("--exact", action="store_true",
                        help="check counterexamples in rational arithmetic; certify SAFE "
                             "with rational Farkas certificates (small networks)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the falsification step")


def format_counterexample(x: object, y: object) -> str:
    """The VNN-COMP assignment ``((X_0 v) … (Y_0 v) …)``, one pair per line.

    Examples
    --------
    >>> print(format_counterexample([0.5], [1.0, -2.0]))
    ((X_0 0.5)
     (Y_0 1.0)
     (Y_1 -2.0))
    """
    pairs = [f"(X_{i} {float(v)!r})" for i, v in enumerate(x)]
    pairs += [f"(Y_{j} {float(v)!r})" for j, v in enumerate(y)]
    return "(" + "\n ".join(pairs) + ")"


def _write(path: str | None, word: str, body: str | None = None) -> None:
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(word + "\n")
            if body:
                fh.write(body + "\n")


def run(args: argparse.Namespace) -> int:
    from ..network import load_network
    from ..verify import Verdict, check_safety, read_vnnlib

    t0 = time.monotonic()
    if args.counterexample:
        need_writable("--counterexample", args.counterexample)
    try:
        net = load_network(args.network)
        left = None if args.time_limit is None else max(0.0, args.time_limit - (time.monotonic() - t0))
        try:
            prop = read_vnnlib(args.property, time_limit=left)  # parsing counts against --time-limit
        except TimeoutError as exc:
            print("timeout")
            print(exc)
            _write(args.counterexample, "timeout")
            print(f"seconds {time.monotonic() - t0:.2f}")
            return 3  # undecided: incomplete
        if prop.n_inputs != net.input_dim or prop.n_outputs != net.output_dim:
            raise ValueError(f"the property declares {prop.n_inputs} inputs and {prop.n_outputs} outputs "
                             f"but the network has {net.input_dim} inputs and {net.output_dim} outputs")
        verdicts = []
        for input_set, unsafe in prop.cases:
            left = None if args.time_limit is None else max(0.0, args.time_limit - (time.monotonic() - t0))
            res = check_safety(net, input_set, unsafe, time_limit=left, max_splits=args.max_splits,
                               exact=args.exact, rng=args.seed)
            verdicts.append(res)
            if res.verdict is Verdict.UNSAFE:
                break
    except Exception as exc:  # the one-word protocol: `error` first, then why
        print("error")
        print(f"relugeom verify: {type(exc).__name__}: {exc}", file=sys.stderr)
        _write(args.counterexample, "error")
        return 1
    bad = [r for r in verdicts if r.verdict is Verdict.UNSAFE]
    if bad:
        r = bad[0]
        cex = r.counterexample
        body = format_counterexample(cex.x, cex.y)
        print("sat")
        print(body)
        print(f"margin {cex.margin:.6g} (<= 0 inside the unsafe set; tolerance {r.tol.feas_atol:g})"
              + (f", exact margin {float(cex.exact_margin):.6g}" if cex.exact_margin is not None else ""))
        print(r.reason)
        _write(args.counterexample, "sat", body)
    elif all(r.verdict is Verdict.SAFE for r in verdicts):
        print("unsat")
        for r in verdicts:
            print(r.reason)
        _write(args.counterexample, "unsat")
    else:
        word = "timeout" if any(r.verdict is Verdict.TIMEOUT for r in verdicts) else "unknown"
        print(word)
        for r in verdicts:
            print(r.reason)
        _write(args.counterexample, word)
        print(f"seconds {time.monotonic() - t0:.2f}")
        return 3  # undecided: incomplete
    print(f"seconds {time.monotonic() - t0:.2f}")
    return 0
