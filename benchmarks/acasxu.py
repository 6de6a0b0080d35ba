"""ACAS Xu benchmark for relugeom.verify.check_safety.

Runs a list of ACAS Xu instances (network, property) with a per-instance timeout and prints
verdict, expected verdict (../shared/data/acasxu/expected_results.csv) and wall seconds.

Usage::

    python benchmarks/acasxu.py                    # the 19 instances of the issue's Speed list
    python benchmarks/acasxu.py --all --timeout 116
    python benchmarks/acasxu.py --instances 1_1:1 3_3:2
    python benchmarks/acasxu.py --nnenum /work/peers/nnenum --nnenum-python /work/peers/nnenum-venv/bin/python

Each instance runs as a whole process, cold and single-threaded (BLAS threads = 1), exactly
as a user runs it: ``python -m relugeom verify NET PROP --time-limit T``. The "process s"
column is that process's wall time from launch to exit (Python start-up, imports, loading
the network and the property, the check); nnenum (``--nnenum``) is timed the same way, side
by side. The time relugeom reports for the check itself stands beside it ("check s").
``--no-subprocess`` runs in this process instead (no start-up; for profiling only).

Both tools' sources are byte-compiled first (``compileall``), as an installed package is: an
editable install under ``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile every module
again in every process (about 0.1 s each for relugeom).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "acasxu"

SPEED_LIST = [  # (network, property, nnenum seconds from the issue; None = not within 300 s)
    ("1_1", 1, 3.1), ("4_6", 1, 22.7), ("2_9", 1, 77.2),
    ("2_1", 2, 2.4), ("4_9", 2, 22.8), ("5_3", 2, 4.4), ("4_2", 2, 82.0), ("3_3", 2, 82.8),
    ("1_7", 3, 3.3), ("3_6", 3, 3.2), ("5_1", 3, 3.7),
    ("1_8", 4, 3.1), ("1_1", 4, 3.7),
    ("1_1", 5, 12.0), ("1_1", 6, 39.7), ("3_3", 9, 12.3), ("4_5", 10, 3.6),
    ("1_9", 7, None), ("2_9", 8, None),
]


def onnx_path(net: str) -> Path:
    return DATA / f"ACASXU_run2a_{net}_batch_2000.onnx"


def expected() -> dict[tuple[str, int], str]:
    out = {}
    with open(DATA / "expected_results.csv") as fh:
        for row in csv.DictReader(fh):
            net = row["network"].replace("ACASXU_run2a_", "").replace("_batch_2000", "")
            out[(net, int(row["property"].split("_")[1]))] = row["expected"]
    return out


def all_instances() -> list[tuple[str, int]]:
    out = []
    with open(DATA / "instances.csv") as fh:
        for row in csv.reader(fh):
            net = row[0].replace("ACASXU_run2a_", "").replace("_batch_2000.onnx", "")
            out.append((net, int(row[1].replace("prop_", "").replace(".vnnlib", ""))))
    return out


def run_one(net: str, prop: int, timeout: float, seed: int) -> dict:
    """Run one instance in this process; returns a JSON-able dict."""
    from relugeom.network import load_onnx
    from relugeom.verify import check_safety, read_vnnlib

    t0 = time.monotonic()
    model = load_onnx(onnx_path(net))
    p = read_vnnlib(DATA / f"prop_{prop}.vnnlib")
    res = check_safety(model, p.input_set, p.unsafe, time_limit=timeout, rng=seed)
    return {"verdict": res.verdict.vnncomp, "seconds": time.monotonic() - t0,
            "reason": res.reason, "coverage": res.coverage,
            "boxes": res.stats.get("boxes", 0), "regions": res.stats.get("regions", 0)}


def run_subprocess(net: str, prop: int, timeout: float, seed: int) -> dict:
    """One instance as a whole ``python -m relugeom verify`` process, timed from launch to exit."""
    cmd = [sys.executable, "-m", "relugeom", "verify", str(onnx_path(net)),
           str(DATA / f"prop_{prop}.vnnlib"), "--time-limit", str(timeout), "--seed", str(seed)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    t0 = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 60, env=env)
    except subprocess.TimeoutExpired:
        return {"verdict": "timeout", "seconds": timeout + 60, "check_seconds": float("nan"),
                "reason": "killed"}
    wall = time.perf_counter() - t0
    lines = out.stdout.strip().splitlines()
    if out.returncode not in (0, 1) or not lines:  # exit code 1: a counterexample found
        return {"verdict": "error", "seconds": wall, "check_seconds": float("nan"),
                "reason": out.stderr.strip()[-300:]}
    check = next((float(x.split()[1]) for x in lines if x.startswith("seconds ")), float("nan"))
    return {"verdict": lines[0].strip(), "seconds": wall, "check_seconds": check,
            "reason": lines[1] if len(lines) > 2 else ""}


def run_nnenum(path: str, net: str, prop: int, timeout: float, python: str = sys.executable) -> tuple[str, float]:
    """Run nnenum (a local checkout with its own dependencies) on one instance, one process.

    Its verdict is read from the result file it writes (``holds`` / ``violated`` /
    ``timeout`` / ...), as the VNN-COMP scripts do."""
    import tempfile

    t0 = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(Path(path) / "src"), OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as tmp:
        res_file = Path(tmp) / "result.txt"
        try:
            subprocess.run([python, "-m", "nnenum.nnenum", str(onnx_path(net)),
                            str(DATA / f"prop_{prop}.vnnlib"), str(int(timeout)), str(res_file), "1"],
                           capture_output=True, text=True, timeout=timeout + 30, env=env)
            word = res_file.read_text().strip() if res_file.exists() else "error"
            verdict = {"holds": "unsat", "violated": "sat"}.get(word, word)
        except subprocess.TimeoutExpired:
            verdict = "timeout"
    return verdict, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true", help="all 186 official instances")
    ap.add_argument("--instances", nargs="*", help="NET:PROP items, e.g. 1_1:1 2_9:8")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per instance (default 300)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--nnenum", help="path of an nnenum checkout to run side by side")
    ap.add_argument("--nnenum-python", default=sys.executable,
                    help="interpreter with nnenum's dependencies (default: this one)")
    ap.add_argument("--no-subprocess", action="store_true")
    args = ap.parse_args(argv)
    exp = expected()
    import compileall

    import relugeom

    compileall.compile_dir(str(Path(relugeom.__file__).parent), quiet=1)
    if args.nnenum:
        compileall.compile_dir(str(Path(args.nnenum) / "src"), quiet=1)
    ref = {(n, p): s for n, p, s in SPEED_LIST}
    if args.instances:
        todo = [(s.split(":")[0], int(s.split(":")[1])) for s in args.instances]
    elif args.all:
        todo = all_instances()
    else:
        todo = [(n, p) for n, p, _ in SPEED_LIST]
    head = (f"{'net':>5} {'prop':>4} {'verdict':>8} {'expected':>8} {'process s':>9} {'check s':>8} "
            f"{'nnenum(issue)':>13}")
    if args.nnenum:
        head += f" {'nnenum':>8} {'nn-sec':>7}"
    print(head)
    n_ok = n_wrong = 0
    total = total_peer = 0.0
    for net, prop in todo:
        run = run_one if args.no_subprocess else run_subprocess
        r = run(net, prop, args.timeout, args.seed)
        e = exp.get((net, prop), "?")
        if r["verdict"] in ("sat", "unsat"):
            if r["verdict"] == e:
                n_ok += 1
            else:
                n_wrong += 1
        refs = ref.get((net, prop), "")
        refs = "" if refs == "" else (">300" if refs is None else f"{refs:.1f}")
        total += r["seconds"]
        line = (f"{net:>5} {prop:>4} {r['verdict']:>8} {e:>8} {r['seconds']:9.2f} "
                f"{r.get('check_seconds', r['seconds']):8.2f} {refs:>13}")
        if args.nnenum:
            v, s = run_nnenum(args.nnenum, net, prop, args.timeout, args.nnenum_python)
            total_peer += s
            line += f" {v:>8} {s:7.2f}"
        if r["verdict"] not in ("sat", "unsat"):
            line += f"   ({r.get('reason', '')[:60]})"
        print(line, flush=True)
    print(f"solved correctly: {n_ok}, wrong: {n_wrong}, unsolved: {len(todo) - n_ok - n_wrong}")
    how = "in-process" if args.no_subprocess else "whole processes, start-up included"
    print(f"relugeom: {total:.1f} s summed over {len(todo)} instances ({how})"
          + (f"; nnenum: {total_peer:.1f} s (whole processes)" if args.nnenum else ""))
    return 0 if n_wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
