"""Benchmark: invariants of ReLU pattern varieties (relugeom vs Singular / Macaulay2).

For every case it prints the compute time measured inside this process (CPU seconds of
``implicitize`` including certificates, and separately of the theorem / rank-condition
check), the minimal generators by degree, the dimension, the degree of the variety when
justified, and whether the known invariants vanish and span ``I_d`` for every ``d <= D``.

With ``--singular`` / ``--m2`` (or when ``Singular`` / ``M2`` are on PATH and
``--no-reference`` is not given) the same case is also run through Singular's
``eliminate`` (+ ``minbase``) and Macaulay2's ``ker``, timed inside those processes
(``timer`` / ``cpuTime``), and the ratios are printed. References run only for the cases
marked ``ref`` unless ``--reference-all`` is given (the others are known not to finish
in 400 s), each with a wall-clock limit ``--reference-timeout``.

Usage::

    python benchmarks/invariants.py                 # all cases, references where marked
    python benchmarks/invariants.py --cases 333-2 434 --no-reference
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter

from relugeom.algebra import implicitize
from relugeom.patterns import PatternMap, check_known, parse_blocks

# name: (widths, blocks, degree bound, run references by default)
CASES = {
    "333-2": ((3, 3, 3), "110;011", 4, True),
    "333-3": ((3, 3, 3), "110;011;101", 4, True),
    "3233-deep": ((3, 2, 3, 3), "10,110;11,011", 4, True),
    "434": ((4, 3, 4), "110;011", 5, False),
    "444-2": ((4, 4, 4), "1110;0111", 5, False),
    "545": ((5, 4, 5), "1110;0111", 5, False),
    "444-3": ((4, 4, 4), "1100;0110;0011", 5, False),
    "4334-deep": ((4, 3, 3, 4), "110,110;011,011", 5, False),
}


def run_relugeom(widths, blocks, D, seed=0, symmetry=True):
    A = parse_blocks(blocks, widths)
    phi = PatternMap(A)
    t0 = time.process_time()
    res = implicitize(phi, D, rng=seed, symmetry=phi.symmetry() if symmetry else None)
    t_imp = time.process_time() - t0
    t0 = time.process_time()
    chk = check_known(A, res, max_degree=D, rng=seed)
    t_chk = time.process_time() - t0
    return res, chk, t_imp, t_chk


def _polys_text(phi):
    return [str(f) for f in phi.polynomials()]


def singular_script(widths, blocks):
    phi = PatternMap(parse_blocks(blocks, widths))
    ws, ms = list(phi.param_names), list(phi.output_names)
    eqs = [f"{m} - ({f})" for m, f in zip(ms, _polys_text(phi))]
    return (
        'system("--ticks-per-sec", 1000);\n'
        f"ring R = 0, ({', '.join(ws + ms)}), dp;\n"
        f"ideal I = {', '.join(eqs)};\n"
        "int t0 = timer;\n"
        f"ideal J = eliminate(I, {'*'.join(ws)});\n"
        "int t1 = timer;\n"
        "ideal K = minbase(J);\n"
        "int t2 = timer;\n"
        'print("ELIM_MS " + string(t1 - t0));\n'
        'print("MINBASE_MS " + string(t2 - t1));\n'
        "int i; string s = \"\";\n"
        'for (i = 1; i <= size(K); i++) { s = s + string(deg(K[i])) + " "; }\n'
        'print("DEGREES " + s);\n'
        "quit;\n")


def m2_script(widths, blocks):
    from relugeom.cli._invariants import m2_name

    phi = PatternMap(parse_blocks(blocks, widths))
    ws, ms = [m2_name(v) for v in phi.param_names], [m2_name(v) for v in phi.output_names]
    return (
        f"R = QQ[{', '.join(ws)}];\n"
        f"S = QQ[{', '.join(ms)}];\n"
        f"f = map(R, S, {{{', '.join(m2_name(t) for t in _polys_text(phi))}}});\n"
        "t0 = cpuTime();\n"
        "I = ker f;\n"
        "t1 = cpuTime() - t0;\n"
        'print("KER_S " | toString t1);\n'
        'print("DEGREES " | toString apply(flatten entries mingens I, g -> first degree g));\n'
        "exit 0;\n")


def _run_script(cmd: list[str], script: str, suffix: str, timeout: float) -> str | None:
    """Write ``script`` to a temporary file, run ``cmd + [file]``; its stdout, or None on timeout."""
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False) as fh:
        fh.write(script)
        path = fh.name
    try:
        return subprocess.run(cmd + [path], capture_output=True, text=True, timeout=timeout).stdout
    except subprocess.TimeoutExpired:
        return None
    finally:
        os.unlink(path)


def run_singular(widths, blocks, timeout):
    out = _run_script(["Singular", "-q"], singular_script(widths, blocks), ".sing", timeout)
    if out is None:
        return None, None, f"> {timeout} s (timeout)"
    e = re.search(r"ELIM_MS (\d+)", out)
    m = re.search(r"MINBASE_MS (\d+)", out)
    d = re.search(r"DEGREES ([\d ]*)", out)
    if not e:
        return None, None, f"failed: {out[-200:]}"
    degs = Counter(int(v) for v in d.group(1).split()) if d else None
    return int(e.group(1)) / 1000.0, int(m.group(1)) / 1000.0 if m else None, degs


def run_m2(widths, blocks, timeout):
    out = _run_script(["M2", "--script"], m2_script(widths, blocks), ".m2", timeout)
    if out is None:
        return None, f"> {timeout} s (timeout)"
    k = re.search(r"KER_S ([\d.e-]+)", out)
    d = re.search(r"DEGREES \{([\d, ]*)\}", out)
    if not k:
        return None, f"failed: {out[-200:]}"
    degs = Counter(int(v) for v in d.group(1).replace(",", " ").split()) if d else None
    return float(k.group(1)), degs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="*", default=list(CASES), help=f"subset of {list(CASES)}")
    ap.add_argument("--max-degree", type=int, default=None, help="override the degree bound of every case")
    ap.add_argument("--singular", action="store_true", help="run Singular (default: if on PATH)")
    ap.add_argument("--m2", action="store_true", help="run Macaulay2 (default: if on PATH)")
    ap.add_argument("--no-reference", action="store_true", help="never run Singular / Macaulay2")
    ap.add_argument("--reference-all", action="store_true", help="run references on every case")
    ap.add_argument("--reference-timeout", type=float, default=400.0)
    ap.add_argument("--no-symmetry", action="store_true", help="disable the S_{n_L} x S_{n_0} symmetry")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    use_sing = not args.no_reference and (args.singular or shutil.which("Singular") is not None)
    use_m2 = not args.no_reference and (args.m2 or shutil.which("M2") is not None)
    print(f"# relugeom invariants benchmark; Singular: {'yes' if use_sing else 'no'}, "
          f"Macaulay2: {'yes' if use_m2 else 'no'}; CPU seconds measured inside each process")
    implicitize(PatternMap(parse_blocks("1", (1, 1, 1))), 2, rng=0)  # warm-up (imports, caches)
    for name in args.cases:
        widths, blocks, D, ref = CASES[name]
        if args.max_degree is not None:
            D = args.max_degree
        res, chk, t_imp, t_chk = run_relugeom(widths, blocks, D, args.seed, not args.no_symmetry)
        cnt = Counter(res.generator_degrees)
        gens = ", ".join(f"{cnt[d]}×deg {d}" for d in sorted(cnt)) or "none"
        print(f"\n== {name}: widths {widths}, blocks {blocks}, D = {D}")
        print(f"relugeom: {t_imp:.3f} s (implicitize + certificates), check {t_chk:.3f} s; "
              f"{'complete' if res.complete else 'INCOMPLETE'}")
        print(f"  generators: {res.n_generators} [{gens}]; dimension {res.dimension}; degree "
              f"{res.variety_degree if res.variety_degree is not None else 'not determined'}"
              f" ({res.degree_justification})")
        print(f"  certificates: all passed = {res.all_certified}; "
              f"methods = {dict(Counter(g.certificate.method for g in res.generators))}")
        print(f"  dim I_d = {res.ideal_dimensions}")
        print(f"  known invariants: {chk.n_known}; all vanish = {chk.all_vanish}; "
              f"dim <known>_d = {chk.known_dim}; span I_d = {chk.spans}")
        if not (ref or args.reference_all):
            continue
        if use_sing:
            e, m, degs = run_singular(widths, blocks, args.reference_timeout)
            if e is None:
                print(f"Singular: {degs}")
            else:
                total = e + (m or 0.0)
                print(f"Singular: eliminate {e:.3f} s + minbase {m:.3f} s; generators by degree "
                      f"{dict(sorted(degs.items())) if degs else '?'}; ratio Singular/relugeom = "
                      f"{total / max(t_imp, 1e-9):.1f}x (eliminate only: {e / max(t_imp, 1e-9):.1f}x)")
                if degs and max(degs) > D:
                    print(f"  note: Singular found generators of degree {max(degs)} > D = {D}")
                elif degs and max(degs) < D:
                    # the same generating set is already complete at D_ref = max generator degree
                    Dr = max(degs)
                    res_r, _, t_r, _ = run_relugeom(widths, blocks, Dr, args.seed, not args.no_symmetry)
                    same = Counter(res_r.generator_degrees) == degs
                    print(f"  relugeom at D = {Dr} (Singular's top generator degree): {t_r:.3f} s, "
                          f"same generator degrees: {same}; ratio Singular/relugeom = {total / max(t_r, 1e-9):.1f}x")
        if use_m2:
            k, degs = run_m2(widths, blocks, args.reference_timeout)
            if k is None:
                print(f"Macaulay2: {degs}")
            else:
                print(f"Macaulay2: ker {k:.3f} s; generators by degree {dict(sorted(degs.items())) if degs else '?'}; "
                      f"ratio M2/relugeom = {k / max(t_imp, 1e-9):.1f}x")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
