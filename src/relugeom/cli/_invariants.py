"""``relugeom invariants``: polynomial invariants of pattern and output varieties.

Examples (shell)::

    relugeom invariants --widths 2,2,2 --blocks "10;11" --max-degree 4
    relugeom invariants --widths 2,2,2 --blocks "10;11" --max-degree 3 \\
        --data X.npy --point-blocks 0,0,1,1 --format m2 --json out.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter

import numpy as np

from ._args import UsageError, int_list, need_file, need_writable, positive_int, positive_seconds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``relugeom invariants``."""
    parser.add_argument("--widths", required=True, help="layer widths n_0,n_1,...,n_L, e.g. 2,2,2")
    parser.add_argument("--blocks", required=True,
                        help='activation patterns, one block per pattern: layers separated by commas, '
                             'blocks by semicolons, e.g. "110,10;011,11"')
    parser.add_argument("--max-degree", type=positive_int, default=4, help="degree bound D (default 4)")
    parser.add_argument("--data", help="X.npy: data points, one per row (output variety I_X^A)")
    parser.add_argument("--point-blocks", help="block (from 0) of every data point, e.g. 0,0,1,1")
    parser.add_argument("--bias", choices=["none", "first", "all"], default="none",
                        help="biases in parameter space (default none)")
    parser.add_argument("--json", metavar="OUT", help="write the result as JSON to OUT")
    parser.add_argument("--format", choices=["text", "m2", "singular"], default="text",
                        help="print the ideal as text, Macaulay2 or Singular input (default text)")
    parser.add_argument("--time-limit", type=positive_seconds, default=None,
                        help="seconds; partial results are marked (exit code 3)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (recorded)")
    parser.add_argument("--no-symmetry", action="store_true", help="do not use the row/column symmetry")
    parser.add_argument("--check-known", action="store_true",
                        help="also check the Alexandr-Montufar minors / rank conditions (pattern variety)")


def _parse_ints(text: str, name: str) -> list[int]:
    try:
        return int_list(text)
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"{name} {exc}") from None


def _ring_strings(variables, polys):
    return [str(v) for v in variables], [str(g) for g in polys]


_INDEXED = re.compile(r"\b([A-Za-z][A-Za-z0-9]*?)((?:_\d+)+)\b")


def m2_name(text: str) -> str:
    """Macaulay2 spelling of variables: ``m_1_2_3`` -> ``m_(1,2,3)`` (``_`` is subscript in M2).

    Examples
    --------
    >>> m2_name("m_1_2_3*y_1_1_2 + x")
    'm_(1,2,3)*y_(1,1,2) + x'
    >>> m2_name("w1_2_1")
    'w1_(2,1)'
    """
    def rep(mo: re.Match) -> str:
        idx = mo.group(2)[1:].split("_")
        return f"{mo.group(1)}_{idx[0]}" if len(idx) == 1 else f"{mo.group(1)}_({','.join(idx)})"

    return _INDEXED.sub(rep, text)


def format_m2(variables, polys) -> str:
    """Macaulay2 input: ring and ideal.

    Examples
    --------
    >>> print(format_m2(["x", "y"], ["x^2 - y"]))
    R = QQ[x, y];
    I = ideal(x^2 - y);
    >>> print(format_m2(["m_1_1_1", "m_1_1_2"], ["m_1_1_1^2"]))
    R = QQ[m_(1,1,1), m_(1,1,2)];
    I = ideal(m_(1,1,1)^2);
    """
    vs, gs = _ring_strings(variables, polys)
    vs, gs = [m2_name(v) for v in vs], [m2_name(g) for g in gs]
    body = ", ".join(gs) if gs else "0_R"
    return f"R = QQ[{', '.join(vs)}];\nI = ideal({body});"


def format_singular(variables, polys) -> str:
    """Singular input: ring and ideal.

    Examples
    --------
    >>> print(format_singular(["x", "y"], ["x^2 - y"]))
    ring R = 0, (x, y), dp;
    ideal I = x^2 - y;
    """
    vs, gs = _ring_strings(variables, polys)
    body = ", ".join(gs) if gs else "0"
    return f"ring R = 0, ({', '.join(vs)}), dp;\nideal I = {body};"


def run(args: argparse.Namespace) -> int:
    """Run ``relugeom invariants``."""
    from ..algebra import implicitize
    from ..patterns import PatternMap, check_known, output_invariants, parse_blocks

    t0 = time.process_time()
    widths = _parse_ints(args.widths, "--widths")
    if args.json:
        need_writable("--json", args.json)
    if args.data:
        need_file("--data", args.data)
    if args.max_degree < 1:
        raise ValueError(f"--max-degree must be at least 1; got {args.max_degree}")
    point_blocks = None
    if args.point_blocks is not None:
        point_blocks = _parse_ints(args.point_blocks, "--point-blocks")
    A = parse_blocks(args.blocks, widths, point_blocks=point_blocks)
    kw = {"time_limit": args.time_limit, "rng": args.seed}
    phi = PatternMap(A, bias=args.bias)
    sym = None if args.no_symmetry else phi.symmetry()
    pattern_res = implicitize(phi, args.max_degree, symmetry=sym, **kw)
    known = None
    if args.check_known:
        known = check_known(A, pattern_res, max_degree=args.max_degree, bias=args.bias, rng=args.seed,
                            time_limit=args.time_limit)
    if args.data is not None:
        if point_blocks is None:
            raise ValueError("--data needs --point-blocks (the block of every data point)")
        X = np.load(args.data, allow_pickle=False)
        if X.ndim != 2 or X.shape != (len(point_blocks), widths[0]):
            raise ValueError(f"{args.data}: expected an array of shape ({len(point_blocks)}, {widths[0]}) "
                             f"(one data point per row, one row per --point-blocks entry); got {X.shape}")
        out = output_invariants(A, X, args.max_degree, bias=args.bias, pattern_result=pattern_res, **kw)
        variables = list(out.variables)
        polys = list(out.generators)
        degrees = list(out.degrees)
        if out.method == "change_of_coordinates":
            res = pattern_res
            cert = {"method": "change_of_coordinates",
                    "detail": "generators of J^A (certified below) substituted exactly by M_b = Y_b X_b^+, "
                              "plus the linear invariants Y_b K_b = 0 (kernel of X_b); the coordinate ring of "
                              "V_X^A is isomorphic to that of U^A, so dimension, Hilbert function and degree agree",
                    "pattern_certificates": _cert_summary(pattern_res)}
        else:
            res = out.pattern_result
            cert = _cert_summary(res)
        complete = out.complete
    else:
        res = pattern_res
        variables = list(phi.output_names)
        polys = [g.polynomial for g in res.generators]
        degrees = list(res.generator_degrees)
        cert = _cert_summary(res)
        complete = res.complete
    seconds = time.process_time() - t0
    doc = {
        "widths": widths, "blocks": A.to_text(), "bias": args.bias, "max_degree": args.max_degree,
        "variables": variables,
        "generators": [str(g).replace("^", "**") for g in polys],
        "generator_degrees": degrees,
        "dimension": int(res.dimension),
        "hilbert_function": {str(k): int(v) for k, v in sorted(res.hilbert_function.items())},
        "variety_degree": None if res.variety_degree is None else int(res.variety_degree),
        "degree_justification": getattr(res, "degree_justification", ""),
        "certificate": cert,
        "complete": bool(complete),
        "seed": args.seed,
        "seconds": seconds,
    }
    if args.data is None and hasattr(res, "to_json"):
        try:  # the engine's full JSON (multidegrees, per-generator certificates, ...), then ours on top
            full = res.to_json()
            engine_cert = full.get("certificate", {})
            full.update(doc)
            full["certificate"] = {**cert, **engine_cert}
            doc = full
        except Exception:  # pragma: no cover - keep the CLI working whatever the engine's export does
            pass
    if known is not None:
        doc["known_invariants"] = {
            "count_by_degree": {str(k): v for k, v in known.n_known.items()},
            "all_vanish": known.all_vanish,
            "span_by_degree": {str(k): v for k, v in known.spans.items()},
            "conjecture_holds": known.conjecture_holds,
        }
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(doc, fh, indent=1)
    if args.format == "m2":
        print(format_m2(variables, polys))
    elif args.format == "singular":
        print(format_singular(variables, polys))
    else:
        cnt = Counter(degrees)
        by = ", ".join(f"{cnt[d]} of degree {d}" for d in sorted(cnt)) or "none"
        print(f"# widths {tuple(widths)}, blocks {A.to_text()}, degrees <= {args.max_degree}"
              f"{'' if complete else ' (INCOMPLETE: time limit)'}")
        print(f"# {len(polys)} minimal generators ({by}); dimension {doc['dimension']}; "
              f"Hilbert function {doc['hilbert_function']}; degree "
              f"{doc['variety_degree'] if doc['variety_degree'] is not None else 'not determined'}")
        if known is not None:
            print(f"# known invariants: all vanish = {known.all_vanish}; span I_d: {known.spans}")
        for g in polys:
            print(str(g).replace("^", "**"))
        print(f"# {seconds:.2f} s", file=sys.stderr)
    return 0 if complete else 3


def _cert_summary(res) -> dict:
    gens = list(getattr(res, "generators", []))
    methods = Counter(g.certificate.method for g in gens)
    return {
        "all_passed": all(g.certificate.passed for g in gens),
        "methods": dict(methods),
        "max_error_bound": max((g.certificate.error_bound for g in gens), default=0.0),
        "basis": {str(d): c.as_dict() for d, c in getattr(res, "basis_certificates", {}).items()},
        "primes": list(getattr(res, "primes", ())),
    }
