#!/usr/bin/env python
"""Region-enumeration benchmark: the regions suite, optionally side by side with a peer.

Runs every selected network of ``../shared/benchmarks/regions-suite`` (or ``--suite``) on
[-1, 1]^d in a fresh, single-threaded subprocess (OMP/MKL/OPENBLAS_NUM_THREADS=1) and prints
regions, wall seconds, CPU seconds and peak memory (``ru_maxrss`` of that subprocess).

relugeom computes the complex through its public API (``enumerate_regions(net, box,
method="skeleton")``: patterns, interior points and facets, all self-checked); networks listed
in ``--count-only`` (default N8) go through ``count_regions`` (no facets). Each run is timed
twice: as a whole process, launch to exit ("process s": start-up, imports, loading, the work),
and in-process around the call ("seconds").

With ``--peer-edge-subdivision PATH`` (a local checkout of
github.com/arturs-berzins/relu_edge_subdivision) the peer runs on the same networks in the same
run (CPU PyTorch, its default float32; ``--peer-float64`` runs it in float64 by making float64
the default dtype and turning its ``.float()`` casts into no-ops), on the same arrangement:
the hidden layers only (the peer cuts space by every layer of its network, so the output
layer is left out). The peer returns only the vertex/edge skeleton, so its column shows
vertices and edges, not regions.

Usage::

    python benchmarks/regions.py                       # N1 ... N8
    python benchmarks/regions.py --nets N2c,N4,N6 --repeats 3
    python benchmarks/regions.py --nets N2c,N4 --peer-edge-subdivision ../peers/relu_edge_subdivision
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SUITE = HERE.parent.parent / "shared" / "benchmarks" / "regions-suite"
ALL_NETS = ["N1", "N2a", "N2b", "N2c", "N4", "N6", "N8"]
ENV1 = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}


# --------------------------------------------------------------------------- workers
def _rusage() -> dict:
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"peak_mb": ru.ru_maxrss / 1024.0, "cpu": ru.ru_utime + ru.ru_stime}


def worker_relugeom(path: str, count_only: bool, time_limit: float | None, certify: bool) -> dict:
    """relugeom through its public API (``count_regions`` / ``enumerate_regions``, skeleton).

    ``certify`` (every interior point and close vertex sign checked exactly) is an option of
    the skeleton engine that the public API does not expose; only then is it called directly.
    """
    import numpy as np

    from relugeom.network import load_npz
    from relugeom.polyhedra import Box
    from relugeom.regions import count_regions, enumerate_regions

    net = load_npz(path)
    d = net.input_dim
    box = Box(-np.ones(d), np.ones(d))
    cpu0, t0 = time.process_time(), time.perf_counter()
    facets = None
    if certify:
        from relugeom.regions._skeleton import enumerate_skeleton

        res = enumerate_skeleton(net, box, with_facets=not count_only, keep_skeleton=False,
                                 time_limit=time_limit, certify=True)
        n, complete, st = res.n_regions, res.complete, res.stats
        facets = None if res.facets is None else int(len(res.facets))
    elif count_only:
        c = count_regions(net, box, method="skeleton", time_limit=time_limit)
        n, complete, st = c.n_regions, c.complete, c.stats
    else:
        cx = enumerate_regions(net, box, method="skeleton", time_limit=time_limit)
        n, complete, st, facets = cx.n_regions, cx.complete, cx.stats, cx.n_facets
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"regions": n, "seconds": wall, "cpu_seconds": cpu,
            "complete": complete, "degenerate": False, "facets": facets,
            "vertices": st.get("n_vertices"), "edges": st.get("n_edges"),
            "near_ties_exact": st.get("near_ties_exact"),
            "points_checked_exactly": st.get("points_checked_exactly"),
            "min_vertex_margin": st.get("min_vertex_margin"),
            "min_relative_margin": st.get("min_relative_margin"),
            "regions_incremental": st.get("regions_incremental"),
            "regions_cmin": st.get("regions_cmin"),
            "lower_bound": st.get("regions_lower_bound"), **_rusage()}


def worker_peer(path: str, peer: str, float64: bool) -> dict:
    import numpy as np
    import torch

    sys.path.insert(0, peer)
    if float64:
        torch.set_default_dtype(torch.float64)
        torch.Tensor.float = lambda self, *a, **k: self.to(torch.float64)  # its .float() casts
    import edge_subdivision as es  # noqa: E402  (the peer's module)
    from NN import Net  # noqa: E402

    z = np.load(path, allow_pickle=False)
    n = len([k for k in z.files if k.startswith("W")])
    # the hidden layers only: the peer cuts space by every layer of its Net, so the output
    # layer would add its own hyperplanes, an arrangement larger than the regions counted
    Ws = [z[f"W{i}"] for i in range(n - 1)]
    bs = [z[f"b{i}"] for i in range(n - 1)]
    widths = [Ws[0].shape[1]] + [W.shape[0] for W in Ws]
    dt = torch.float64 if float64 else torch.float32
    f = Net(ks=widths)
    with torch.no_grad():
        for fc, W, b in zip(f.fcs, Ws, bs):
            fc.weight.data = torch.tensor(W, dtype=dt)
            fc.bias.data = torch.tensor(b, dtype=dt)
    cpu0, t0 = time.process_time(), time.perf_counter()
    with torch.no_grad():
        vs, edges, _ = es.skeletal_subdivision(f, bbox=(-1, 1), device="cpu", verbose=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"vertices": int(len(vs)), "edges": int(len(edges)), "seconds": wall,
            "cpu_seconds": cpu, **_rusage()}


# --------------------------------------------------------------------------- driver
def _spawn(args: list[str], timeout: float) -> dict:
    env = dict(os.environ, **ENV1)
    src = str(HERE.parent / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", *args]
    t0 = time.perf_counter()
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {out.returncode}: " + " | ".join(tail)}
    return dict(json.loads(lines[-1]), process_seconds=wall)


def _median(runs: list[dict], key: str):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nets", default=",".join(ALL_NETS),
                    help="comma-separated names (default: %(default)s)")
    ap.add_argument("--suite", default=str(DEFAULT_SUITE), help="folder of the .npz files")
    ap.add_argument("--repeats", type=int, default=1, help="runs per network (median shown)")
    ap.add_argument("--count-only", default="N8",
                    help="networks run without facets (counts and patterns only)")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="relugeom's time limit per network, seconds (default: none)")
    ap.add_argument("--timeout", type=float, default=1200.0, help="subprocess timeout, seconds")
    ap.add_argument("--certify", action="store_true",
                    help="check every interior point and every close vertex sign exactly")
    ap.add_argument("--peer-edge-subdivision", metavar="PATH",
                    help="local checkout of arturs-berzins/relu_edge_subdivision")
    ap.add_argument("--peer-float64", action="store_true", help="run the peer in float64")
    ap.add_argument("--peer-nets", default=None,
                    help="networks to run the peer on (default: the same as --nets)")
    ap.add_argument("--json", metavar="OUT", help="also write the raw figures as JSON")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    if a.worker:  # inside the subprocess
        kind, path, *rest = a.worker
        if kind == "relugeom":
            tl = None if rest[1] == "none" else float(rest[1])
            res = worker_relugeom(path, rest[0] == "1", tl, rest[2] == "1")
        else:
            res = worker_peer(path, rest[0], rest[1] == "1")
        print(json.dumps(res))
        return 0

    nets = [n.strip() for n in a.nets.split(",") if n.strip()]
    count_only = {n.strip() for n in a.count_only.split(",") if n.strip()}
    peer_nets = set(nets if a.peer_nets is None else a.peer_nets.split(","))
    suite = Path(a.suite)
    rows = []
    print(f"{'net':5} {'regions':>11} {'process s':>9} {'seconds':>9} {'cpu s':>8} {'peak MB':>9}  checks"
          + (f"   | peer({'f64' if a.peer_float64 else 'f32'}) process s  seconds  peak MB  "
             "ratio(process, in-process)"
             if a.peer_edge_subdivision else ""))
    for name in nets:
        path = suite / f"{name}.npz"
        if not path.exists():
            print(f"{name:5} missing: {path}")
            continue
        runs = [_spawn(["relugeom", str(path), "1" if name in count_only else "0",
                        "none" if a.time_limit is None else str(a.time_limit),
                        "1" if a.certify else "0"], a.timeout)
                for _ in range(a.repeats)]
        ok = [r for r in runs if "error" not in r]
        row = {"net": name, "relugeom": runs}
        if not ok:
            line = f"{name:5} error: {runs[-1]['error']}"
        else:
            r0 = ok[-1]
            sec, cpu, mb = _median(ok, "seconds"), _median(ok, "cpu_seconds"), _median(ok, "peak_mb")
            psec = _median(ok, "process_seconds")
            reg = f"{r0['regions']:,}" if r0["complete"] else f">={r0.get('lower_bound') or 0:,}"
            checks = ("degenerate" if r0["degenerate"] else
                      ("ok" if r0["complete"] else "incomplete")
                      + ("" if name not in count_only else " (count-only)"))
            line = f"{name:5} {reg:>11} {psec:9.2f} {sec:9.2f} {cpu:8.2f} {mb:9.0f}  {checks}"
            row.update(seconds=sec, cpu_seconds=cpu, peak_mb=mb, process_seconds=psec)
        if a.peer_edge_subdivision and name in peer_nets:
            pr = [_spawn(["peer", str(path), str(Path(a.peer_edge_subdivision).resolve()),
                          "1" if a.peer_float64 else "0"], a.timeout) for _ in range(a.repeats)]
            pok = [r for r in pr if "error" not in r]
            row["peer"] = pr
            if pok:
                ps, pm = _median(pok, "seconds"), _median(pok, "peak_mb")
                pc, pp = _median(pok, "cpu_seconds"), _median(pok, "process_seconds")
                pratio = (row.get("process_seconds") or float("nan")) / pp
                ratio = (row.get("seconds") or float("nan")) / ps
                line += (f"   | {pp:9.2f} {ps:8.2f} {pm:8.0f}  {pratio:5.2f}x {ratio:5.2f}x  "
                         f"(V={pok[-1]['vertices']:,} E={pok[-1]['edges']:,})")
                row.update(peer_seconds=ps, peer_cpu_seconds=pc, peer_peak_mb=pm, peer_process_seconds=pp)
            else:
                line += f"   | peer error: {pr[-1]['error']}"
        print(line, flush=True)
        rows.append(row)
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
