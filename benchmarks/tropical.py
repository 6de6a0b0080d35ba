"""Benchmark: the tropical form F ⊘ G of random ReLU networks (Zhang–Naitzat–Lim recursion).

``--algorithm`` picks tropical_form's algorithm: "auto" (default; "regions" once the
recursion's last layer would have more than 1e5 unpruned terms), "recursion" (pruned
Minkowski sums/upper hulls) or "regions" (distinct affine maps over the enumerated
regions of R^n).

For growing widths and depths it prints the number of terms of the last layer had nothing
been pruned (an exact integer), the terms of F and G after pruning, the linear pieces
found from the tropical side (cells of F ⊙ G merged; skipped, "skip", when F and G have
more than --max-pair-terms term pairs), the seconds of the conversion, then the regions and
linear pieces on R^n from relugeom.regions (default method: the skeleton on a certified box;
each of F and G has at most as many terms as there are regions) with their seconds, and the
LP traversal's count and seconds as an independent check.

Run:  python benchmarks/tropical.py [--quick] [--time-limit S] [--no-regions] [--no-lp]
           [--algorithm auto|recursion|regions] [--only 4,12,12,1 ...] [--no-pieces]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from relugeom.network._examples import random_network
from relugeom.tropical import tropical_form

CASES = [(1, 8, 8, 1), (1, 8, 8, 8, 1), (2, 4, 1), (2, 8, 1), (2, 16, 1), (2, 8, 8, 1),
         (2, 16, 16, 1), (2, 8, 8, 8, 1), (3, 8, 8, 1), (4, 8, 8, 1), (4, 12, 12, 1)]
QUICK = [(1, 8, 8, 1), (2, 8, 1), (2, 8, 8, 1), (2, 16, 16, 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small cases only")
    ap.add_argument("--time-limit", type=float, default=600.0, help="per conversion (s)")
    ap.add_argument("--regions-time-limit", type=float, default=120.0, help="per region enumeration (s)")
    ap.add_argument("--no-regions", action="store_true", help="skip the comparison with relugeom.regions")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--algorithm", default="auto", choices=["auto", "recursion", "regions"])
    ap.add_argument("--no-pieces", action="store_true", help="skip counting pieces from the form")
    ap.add_argument("--max-pair-terms", type=float, default=2e6,
                    help="count pieces from the tropical side only below this many F×G term pairs")
    ap.add_argument("--no-lp", action="store_true", help="skip the LP-traversal check")
    ap.add_argument("--only", nargs="*", default=None, help="widths to run, e.g. 4,12,12,1")
    args = ap.parse_args()
    cases = QUICK if args.quick else CASES
    if args.only:
        cases = [tuple(int(v) for v in w.split(",")) for w in args.only]
    print(f"algorithm: {args.algorithm}")
    head = (f"{'widths':>18} {'unpruned terms':>16} {'F':>6} {'G':>6} {'pieces':>7} {'form s':>8} "
            f"{'regions':>8} {'reg.pieces':>10} {'regions s':>9} {'LP regions':>10} {'LP s':>7}  check")
    print(head)
    print("-" * len(head))
    for widths in cases:
        net = random_network(widths, rng=args.seed)
        t0 = time.perf_counter()
        form = tropical_form(net, time_limit=args.time_limit, algorithm=args.algorithm)
        t_form = time.perf_counter() - t0
        unpruned = form.layers[-1].terms_unpruned if form.layers else 0
        up = f"{unpruned:.3g}" if unpruned >= 10**7 else str(unpruned)
        if not form.complete:
            print(f"{str(widths):>18} {up:>16} {'-':>6} {'-':>6} {'-':>7} {t_form:8.2f}  incomplete "
                  f"(time limit {args.time_limit:g} s after layer {len(form.layers)})", flush=True)
            continue
        X = np.random.default_rng(1).normal(size=(2000, widths[0])) * 3
        err = float(np.max(np.abs(form(X) - net(X)) / (1 + np.abs(net(X)))))
        t1 = time.perf_counter()
        pieces = "-"
        if not args.no_pieces:  # from the tropical side, not from the stored region count
            big = form.F.n_terms * form.G.n_terms > args.max_pair_terms
            pieces = "skip" if big else form[0].n_pieces(tol=form.tol)
        t_pieces = time.perf_counter() - t1
        reg, regp, t_reg, lp, t_lp = "-", "-", 0.0, "-", 0.0
        if not args.no_regions:
            from relugeom.regions import enumerate_regions

            t2 = time.perf_counter()
            cx = enumerate_regions(net, "unbounded", time_limit=args.regions_time_limit)
            t_reg = time.perf_counter() - t2
            reg = str(cx.n_regions) + ("" if cx.complete else "+")
            regp = str(cx.n_linear_pieces()) + ("" if cx.complete else "+")
            if not args.no_lp:
                t3 = time.perf_counter()
                cl = enumerate_regions(net, "unbounded", method="lp", time_limit=args.regions_time_limit)
                t_lp = time.perf_counter() - t3
                lp = str(cl.n_regions) + ("" if cl.complete else "+")
        print(f"{str(widths):>18} {up:>16} {form.F.n_terms:>6} {form.G.n_terms:>6} {pieces:>7} "
              f"{t_form:8.2f} {reg:>8} {regp:>10} {t_reg:9.2f} {lp:>10} {t_lp:7.2f}  "
              f"rel.err {err:.1e}, pieces {t_pieces:.2f} s", flush=True)


if __name__ == "__main__":
    main()
