#!/usr/bin/env python
"""Slice benchmark: the regions of real image classifiers on the plane through three inputs.

For each network (VNN-COMP 2021, ``../shared/data/vnncomp2021``) the plane is
``x = P0 + s (P1 - P0) + t (P2 - P0)``, ``(s, t)`` in ``[lo, hi]^2`` (``--box``, default
``0 1``), with ``P0, P1, P2`` the centres of the input boxes of three of its properties:

========  ==============================  =============================================
name      network                         properties
========  ==============================  =============================================
base      oval21/cifar_base_kw.onnx       the first three cifar_base_kw-*.vnnlib (sorted)
resnet    cifar10_resnet/resnet_2b.onnx   prop_0/1/2_eps_0.004.vnnlib
mnist     mnistfc/mnist-net_256x6.onnx    prop_0/1/2_0.03.vnnlib
========  ==============================  =============================================

Every run is a fresh single-threaded subprocess (OMP/MKL/OPENBLAS_NUM_THREADS=1); the table
shows its wall time as a whole process (start-up, loading and the enumeration), the
enumeration's own seconds, and its peak memory (``ru_maxrss``).

``--compare-lp HI`` also enumerates the sub-box ``[0, HI]^2`` by both methods (skeleton and
LP traversal) and compares patterns and facets: the LP method drops regions whose Chebyshev
radius is below ``tol.interior_atol``, so those are listed apart (each checked thin).

``--peer-splinecam PYTHON`` runs ``benchmarks/peers/splinecam_slice.py`` with that interpreter
(the SplineCam virtualenv, see ``benchmarks/peers/README.md``) on the same slice.

Usage::

    python benchmarks/slices.py                               # base, resnet, mnist on [0, 1]^2
    python benchmarks/slices.py --nets mnist --box 0 0.5
    python benchmarks/slices.py --compare-lp 0.05
    python benchmarks/slices.py --peer-splinecam /work/peers/splinecam-venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "vnncomp2021"
ENV1 = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}
NETS = {
    "base": ("oval21/cifar_base_kw.onnx", None),
    "resnet": ("cifar10_resnet/resnet_2b.onnx", ["prop_0_eps_0.004", "prop_1_eps_0.004", "prop_2_eps_0.004"]),
    "mnist": ("mnistfc/mnist-net_256x6.onnx", ["prop_0_0.03", "prop_1_0.03", "prop_2_0.03"]),
}


def paths(name: str, data: Path) -> tuple[Path, list[Path]]:
    net, props = NETS[name]
    net_path = data / net
    if props is None:
        props = sorted(p.stem for p in net_path.parent.glob(net_path.stem + "-*.vnnlib"))[:3]
    return net_path, [net_path.parent / f"{p}.vnnlib" for p in props]


# --------------------------------------------------------------------------- worker
def worker(net_path: str, props: list[str], lo: float, hi: float, method: str,
           time_limit: float | None) -> dict:
    import resource

    import numpy as np

    import relugeom
    from relugeom.regions import enumerate_regions, slice_through

    net = relugeom.load_network(net_path)
    pts = [relugeom.load_point(f"vnnlib:{p}", net.input_shape) for p in props]
    sl = slice_through(*pts, box=(lo, hi))
    t0 = time.perf_counter()
    cx = enumerate_regions(net, sl, method=method, time_limit=time_limit)
    secs = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out = {"n_regions": cx.n_regions, "n_facets": cx.n_facets, "complete": cx.complete,
           "reason": cx.reason, "method": cx.stats.get("method"), "seconds": secs,
           "peak_mb": ru.ru_maxrss / 1024.0, "neurons": net.n_neurons,
           "vertices": cx.stats.get("n_vertices"), "near_ties_exact": cx.stats.get("near_ties_exact"),
           "points_checked_exactly": cx.stats.get("points_checked_exactly")}
    if os.environ.get("RELUGEOM_BENCH_KEEP"):
        np.save(os.environ["RELUGEOM_BENCH_KEEP"] + ".patterns.npy", np.packbits(cx.patterns, axis=1))
        np.save(os.environ["RELUGEOM_BENCH_KEEP"] + ".facets.npy", cx.facets)
        np.save(os.environ["RELUGEOM_BENCH_KEEP"] + ".points.npy", cx.points)
    return out


def run_worker(args: list[str], timeout: float) -> dict:
    t0 = time.perf_counter()
    env = {**os.environ, **ENV1}
    try:
        proc = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True,
                              text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    try:
        res = json.loads(line)
    except json.JSONDecodeError:
        return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
    res["process_seconds"] = wall
    return res


def compare(name: str, data: Path, hi: float, timeout: float) -> dict:
    import numpy as np

    net_path, props = paths(name, data)
    out = {}
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    for method in ("skeleton", "lp"):
        keep = str(tmp / f"relugeom-slices-{name}-{method}")
        os.environ["RELUGEOM_BENCH_KEEP"] = keep
        out[method] = run_worker([str(net_path), *map(str, props), "--box", "0", str(hi),
                                  "--method", method], timeout)
        os.environ.pop("RELUGEOM_BENCH_KEEP")
        if "error" in out[method]:
            return out
        out[method]["keep"] = keep
    ps = np.load(out["skeleton"]["keep"] + ".patterns.npy")
    pl = np.load(out["lp"]["keep"] + ".patterns.npy")
    ks = {r.tobytes(): i for i, r in enumerate(ps)}
    kl = {r.tobytes(): i for i, r in enumerate(pl)}
    only_sk = [i for k, i in ks.items() if k not in kl]
    only_lp = [i for k, i in kl.items() if k not in ks]
    fs = np.load(out["skeleton"]["keep"] + ".facets.npy")
    fl = np.load(out["lp"]["keep"] + ".facets.npy")
    same = not only_sk and not only_lp and np.array_equal(ps, pl) and np.array_equal(fs, fl)
    out["identical"] = bool(same)
    out["only_skeleton"] = len(only_sk)
    out["only_lp"] = len(only_lp)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nets", default="base,resnet,mnist")
    ap.add_argument("--box", nargs=2, type=float, default=(0.0, 1.0), metavar=("LO", "HI"))
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--time-limit", type=float, default=None, help="seconds per enumeration")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per subprocess")
    ap.add_argument("--compare-lp", type=float, default=None, metavar="HI",
                    help="also compare skeleton and LP on the sub-box [0, HI]^2")
    ap.add_argument("--peer-splinecam", default=None, metavar="PYTHON",
                    help="the SplineCam venv's python (runs benchmarks/peers/splinecam_slice.py)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--method", default="skeleton", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        *rest, = args.worker
        net_path, props = rest[0], rest[1:]
        print(json.dumps(worker(net_path, props, args.box[0], args.box[1], args.method, args.time_limit)))
        return
    if not args.data.is_dir():
        sys.exit(f"no VNN-COMP 2021 data at {args.data} (use --data)")
    rows = {}
    for name in args.nets.split(","):
        net_path, props = paths(name, args.data)
        extra = ["--time-limit", str(args.time_limit)] if args.time_limit else []
        res = {"relugeom": run_worker([str(net_path), *map(str, props), "--box", str(args.box[0]),
                                       str(args.box[1]), *extra], args.timeout)}
        if args.peer_splinecam:
            t0 = time.perf_counter()
            cmd = [args.peer_splinecam, str(HERE / "peers" / "splinecam_slice.py"), "--net", str(net_path),
                   "--points", *map(str, props), "--box", str(args.box[0]), str(args.box[1])]
            if args.time_limit:
                cmd += ["--time-limit", str(args.time_limit)]
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout,
                                   env={**os.environ, **ENV1})
                line = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else "{}"
                res["splinecam"] = json.loads(line)
            except (subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
                res["splinecam"] = {"error": str(exc)}
            res["splinecam"]["process_seconds"] = time.perf_counter() - t0
        if args.compare_lp:
            res["compare"] = compare(name, args.data, args.compare_lp, args.timeout)
        rows[name] = res
        print(f"{name}: {json.dumps(res)}", flush=True)
    print()
    print("| net | regions | process s | enumeration s | peak MB | SplineCam regions | SplineCam process s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, res in rows.items():
        r = res["relugeom"]
        sc = res.get("splinecam", {})
        if "error" in r:
            print(f"| {name} | {r['error']} | | | | | |")
            continue
        print(f"| {name} | {r['n_regions']:,}{'' if r['complete'] else ' (incomplete)'} | "
              f"{r['process_seconds']:.1f} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | "
              f"{sc.get('n_regions', sc.get('error', '–'))} | "
              f"{format(sc['process_seconds'], '.1f') if 'process_seconds' in sc else '–'} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
