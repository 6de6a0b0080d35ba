"""``relugeom regions``: enumerate the linear regions of a network file.

Examples (shell)::

    relugeom regions net.npz                            # domain [-1, 1]^d
    relugeom regions net.onnx --box -2 2 --json out.json --plot out.png
    relugeom regions net.nnet --domain prop.vnnlib --count-only --json counts.json
    relugeom regions net.npz --unbounded --method lp
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``relugeom regions``."""
    parser.add_argument("net", metavar="NET", help="network file: .npz, .onnx or .nnet")
    dom = parser.add_mutually_exclusive_group()
    dom.add_argument("--box", nargs="+", type=float, metavar="V",
                     help="box domain: LO HI (every coordinate) or LO1 HI1 ... LOd HId (default -1 1; for .nnet files the input box stored in the file)")
    dom.add_argument("--domain", metavar="FILE",
                     help='JSON H-polytope ({"A": .., "b": ..} or {"lo": .., "hi": ..}) or a .vnnlib '
                          "property (its input constraints)")
    dom.add_argument("--unbounded", action="store_true", help="all of R^d (unbounded regions included)")
    parser.add_argument("--json", metavar="OUT", help="write the complex (or, with --count-only, the counts) as JSON")
    parser.add_argument("--plot", metavar="OUT.png", help="draw the complex (2-D inputs)")
    parser.add_argument("--max-regions", type=int, default=None, metavar="N", help="stop after N regions (partial result)")
    parser.add_argument("--time-limit", type=float, default=None, metavar="S", help="stop after S seconds (partial result)")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    parser.add_argument("--count-only", action="store_true",
                        help="only count (do not keep the complex); JSON holds counts, bounds and timing")
    parser.add_argument("--method", choices=["auto", "skeleton", "lp"], default="auto",
                        help="enumeration method (default auto)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="split the domain into this many jobs on a process pool")
    parser.add_argument("--check", action="store_true", help="run the complex's self-check and print it")


def domain_from_args(args: argparse.Namespace, d: int, default=None):
    """The domain named by --box/--domain/--unbounded (default: ``default`` or the box [-1, 1]^d)."""
    from ..polyhedra import Box, HPolytope

    if args.unbounded:
        return "unbounded"
    if args.domain:
        path = Path(args.domain)
        if path.suffix.lower() == ".vnnlib":
            return _vnnlib_domain(path, d)
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"--domain {path}: not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ValueError(f"--domain {path}: expected a JSON object with A, b or lo, hi")
        P = HPolytope.from_dict(data)
        if P.dim != d:
            raise ValueError(f"--domain {path} lives in R^{P.dim}; the network's input is in R^{d}")
        return P
    if not args.box and default is not None:
        return default
    vals = args.box if args.box else [-1.0, 1.0]
    if len(vals) == 2:
        return Box(np.full(d, vals[0]), np.full(d, vals[1]))
    if len(vals) == 2 * d:
        v = np.array(vals).reshape(d, 2)
        return Box(v[:, 0], v[:, 1])
    raise ValueError(f"--box needs 2 values (LO HI) or 2*d = {2 * d} values (LO1 HI1 ... LOd HId); "
                     f"got {len(vals)}")


def _vnnlib_domain(path: Path, d: int):
    try:
        from ..verify._vnnlib import read_vnnlib
    except ImportError:
        raise ValueError("reading .vnnlib domains needs relugeom.verify's VNN-LIB parser, "
                         "which is not available in this installation") from None
    prop = read_vnnlib(path)
    if prop.n_inputs != d:
        raise ValueError(f"{path} declares {prop.n_inputs} inputs; the network has {d}")
    parts = [p for inp, _ in prop.cases for p in inp.parts]
    uniq = []
    for p in parts:
        if not any(p.A.shape == q.A.shape and np.array_equal(p.A, q.A) and np.array_equal(p.b, q.b)
                   for q in uniq):
            uniq.append(p)
    if len(uniq) != 1:
        raise ValueError(f"{path} has an input set of {len(uniq)} polytopes; regions need one "
                         "(write each part as a JSON domain)")
    return uniq[0]


def _fmt_int(v) -> str:
    if v is None:
        return "n/a"
    return f"{v:,}" if v < 10 ** 15 else f"{v:.3e}"


def print_bounds(bounds, n_regions: int) -> None:
    """Print the labelled bounds next to an exact count."""
    for b in bounds:
        if b.value is None:
            continue
        tag = {"upper": "upper bound, any weights", "exact-generic": "generic one-layer count on R^n",
               "lower-on-max": "lower bound on the max over weights"}[b.kind]
        print(f"  {b.name:<18} {_fmt_int(b.value):>22}   ({tag})")


def run(args: argparse.Namespace) -> int:
    """Run ``relugeom regions``."""
    from ..network import load_network
    from ..regions import count_regions, enumerate_regions, region_bounds

    t0 = time.perf_counter()
    default = None
    if Path(args.net).suffix.lower() == ".nnet":
        # .nnet files carry their input box; the network is exact (unclipped) inside it
        from ..network import load_nnet
        from ..polyhedra import Box

        net, (lo, hi) = load_nnet(args.net, return_bounds=True)
        default = Box(lo, hi)
    else:
        net = load_network(args.net)
    t_load = time.perf_counter() - t0
    d = net.input_dim
    domain = domain_from_args(args, d, default)
    dom_text = "R^%d (unbounded)" % d if isinstance(domain, str) else repr(domain)
    if len(dom_text) > 100:
        dom_text = f"H-polytope in R^{d} with {domain.n_constraints} inequalities"
    print(f"network  {args.net}  widths {'-'.join(map(str, net.widths))}  ({net.n_neurons} hidden neurons)")
    print(f"domain   {dom_text}")
    kw = dict(method=args.method, max_regions=args.max_regions, time_limit=args.time_limit,
              progress=args.progress, n_jobs=args.jobs)
    t1 = time.perf_counter()
    if args.count_only:
        cnt = count_regions(net, domain, **kw)
        seconds = time.perf_counter() - t1
        n, pieces, complete, reason, method = cnt.n_regions, cnt.n_linear_pieces, cnt.complete, cnt.reason, cnt.method
        cx = None
    else:
        cx = enumerate_regions(net, domain, **kw)
        seconds = time.perf_counter() - t1
        n, pieces, complete, reason = cx.n_regions, cx.n_linear_pieces(), cx.complete, cx.reason
        method = str(cx.stats.get("method", args.method))
    bounds = region_bounds(net.widths)
    status = "complete" if complete else f"INCOMPLETE (stopped by {reason})"
    print(f"regions  {n:,}   ({status})")
    if pieces is not None:
        print(f"pieces   {pieces:,}   (adjacent regions with equal affine maps merged)")
    if cx is not None:
        print(f"facets   {cx.n_facets:,}   ({cx.n_interior_facets:,} interior)")
    print(f"time     {seconds:.3f} s enumerate ({method}), {t_load:.3f} s load")
    print("bounds for this architecture:")
    print_bounds(bounds, n)
    report = None
    if args.check and cx is not None:
        report = cx.check(max_facets=5000)
        print(f"check    {'passed' if report.ok else 'FAILED'}: {report}")
    if args.json:
        if cx is None:
            data = {"n_regions": n, "n_linear_pieces": pieces, "complete": complete, "reason": reason,
                    "method": method, "seconds": seconds, "load_seconds": t_load,
                    "widths": list(net.widths), "domain": domain if isinstance(domain, str) else domain.to_dict(),
                    "tolerance": cnt.tolerance.as_dict(), "bounds": [b.to_dict() for b in bounds]}
        else:
            data = cx.to_dict()
            data["seconds"] = seconds
            data["load_seconds"] = t_load
            if report is not None:
                data["check"] = {k: v for k, v in report.checks.items()}
        Path(args.json).write_text(json.dumps(data))
        print(f"wrote    {args.json}")
    if args.plot:
        if cx is None:
            raise ValueError("--plot needs the complex; drop --count-only")
        save_plot(cx, args.plot, title=f"{Path(args.net).name}: {n:,} regions")
        print(f"wrote    {args.plot}")
    return 0


def save_plot(cx, path: str, *, title: str = "", color_by: str = "pattern") -> None:
    """Draw a 2-D (or 1-D) complex into a PNG with the Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if cx.dim not in (1, 2):
        raise ValueError(f"--plot draws 1-D and 2-D input spaces; this network's input is {cx.dim}-D "
                         "(enumerate a 2-D Slice in Python to draw it)")
    fig, ax = plt.subplots(figsize=(6.5, 6.5), dpi=150)
    cx.plot(ax, color_by=color_by)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
