"""Per-LP overhead of relugeom's LP wrapper (not a unit test).

Times, per LP and interleaved (so machine load hits all variants alike), the median of
several rounds of:

- ``solve_lp(..., backend="scipy")``    scipy.optimize.linprog(method="highs")
- ``solve_lp(...)``                      default highspy fast path (one reused Highs per thread)
- ``IncrementalLP.solve(c)``             warm-started re-solve, only the objective changes
- ``IncrementalLP`` add row + solve + truncate (the safety-check pattern)

on a tiny LP (10 x 3) and a region-sized LP (40 rows x 6 variables, bounded).

Run: ``python benchmarks/lp_overhead.py [--rounds 5] [--n 200]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from relugeom.polyhedra import IncrementalLP, solve_lp


def make(rng, m, d):
    A = rng.normal(size=(m, d))
    x0 = rng.normal(size=d)
    b = A @ x0 + rng.uniform(0.1, 1.0, size=m)
    A = np.vstack([A, np.eye(d), -np.eye(d)])
    b = np.concatenate([b, x0 + 3, 3 - x0])
    return A, b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--n", type=int, default=200, help="LPs per round and variant")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    for label, (m, d) in {"tiny 10x3": (4, 3), "region 40x6": (28, 6)}.items():
        A, b = make(rng, m, d)
        C = rng.normal(size=(args.n, d))
        extra = rng.normal(size=(args.n, d))
        lp = IncrementalLP(A, b)
        base = lp.n_rows

        def scipy_():
            for c in C:
                solve_lp(c, A, b, backend="scipy")

        def highspy_():
            for c in C:
                solve_lp(c, A, b)

        def incr_cost():
            for c in C:
                lp.solve(c)

        def incr_rows():
            for c, a in zip(C, extra):
                lp.add_rows(a[None], [0.5])
                lp.solve(c)
                lp.truncate(base)

        variants = {"solve_lp scipy": scipy_, "solve_lp highspy": highspy_,
                    "IncrementalLP new objective": incr_cost, "IncrementalLP +row/solve/-row": incr_rows}
        times: dict[str, list[float]] = {k: [] for k in variants}
        for f in variants.values():
            f()  # warm up
        for _ in range(args.rounds):
            for k, f in variants.items():
                t = time.perf_counter()
                f()
                times[k].append((time.perf_counter() - t) / args.n * 1e6)
        print(f"{label} ({A.shape[0]} rows, {A.shape[1]} vars): median microseconds per LP")
        for k, v in times.items():
            print(f"  {k:32s} {statistics.median(v):9.1f}")


if __name__ == "__main__":
    main()
