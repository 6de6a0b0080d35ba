"""``relugeom regions``: enumerate the linear regions of a network file.

Examples (shell)::

    relugeom regions net.npz                            # domain [-1, 1]^d
    relugeom regions net.onnx --box -2 2 --json out.json --plot out.png
    relugeom regions net.nnet --domain prop.vnnlib --count-only --json counts.json
    relugeom regions net.npz --unbounded --method lp
    relugeom regions net.onnx --slice a.npy b.npy c.npy --box -0.25 1.25 --plot slice.png
    relugeom regions net.onnx --slice vnnlib:p0.vnnlib vnnlib:p1.vnnlib vnnlib:p2.vnnlib --json s.json

With ``--slice P0 P1 P2`` the regions are enumerated on the plane
``x = P0 + s (P1 - P0) + t (P2 - P0)``, ``(s, t)`` in ``[LO, HI]^2`` (``--box LO HI``,
default 0 1); each point is a ``.npy`` array (input shape or flat) or ``vnnlib:FILE``, the
centre of a VNN-LIB property's input box. The picture colours regions by the predicted
class and draws the decision boundary.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from ._args import UsageError, finite_float, need_file, need_writable, positive_int, positive_seconds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``relugeom regions``."""
    parser.add_argument("net", metavar="NET", help="network file: .npz, .onnx or .nnet")
    dom = parser.add_mutually_exclusive_group()
    dom.add_argument("--box", nargs="+", type=finite_float, metavar="V",
                     help="box domain: LO HI (every coordinate) or LO1 HI1 ... LOd HId (default -1 1; for .nnet files the input box stored in the file)")
    dom.add_argument("--domain", metavar="FILE",
                     help='JSON H-polytope ({"A": .., "b": ..} or {"lo": .., "hi": ..}) or a .vnnlib '
                          "property (its input constraints)")
    dom.add_argument("--unbounded", action="store_true", help="all of R^d (unbounded regions included)")
    parser.add_argument("--slice", nargs=3, metavar=("P0", "P1", "P2"),
                        help="enumerate on the plane through three inputs, x = P0 + s (P1 - P0) + t (P2 - P0); "
                             "each a .npy array (input shape or flat) or vnnlib:FILE (the centre of its input "
                             "box); --box LO HI then bounds (s, t) (default 0 1)")
    parser.add_argument("--json", metavar="OUT", help="write the complex (or, with --count-only, the counts) as JSON")
    parser.add_argument("--plot", metavar="OUT.png", help="draw the complex (1-D and 2-D inputs, or a --slice)")
    parser.add_argument("--color-by", choices=["class", "pattern", "value", "piece", "output"], default=None,
                        help="colour of the --plot regions (default: class for a --slice of a network with "
                             "several outputs, else pattern)")
    parser.add_argument("--output", type=int, default=None, metavar="K",
                        help="with --color-by output: the output drawn (default 0)")
    parser.add_argument("--max-regions", type=positive_int, default=None, metavar="N",
                        help="stop after N regions (partial result, exit code 3)")
    parser.add_argument("--time-limit", type=positive_seconds, default=None, metavar="S",
                        help="stop after S seconds (partial result, exit code 3)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar (default: on when stderr is a terminal)")
    parser.add_argument("--count-only", action="store_true",
                        help="only count (do not keep the complex); JSON holds counts, bounds and timing")
    parser.add_argument("--method", choices=["auto", "skeleton", "lp"], default="auto",
                        help="enumeration method (default auto)")
    parser.add_argument("--jobs", type=positive_int, default=None, metavar="N",
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
            raise UsageError(f"--domain {path} lives in R^{P.dim}; the network's input is in R^{d}")
        return P
    if not args.box and default is not None:
        return default
    vals = args.box if args.box else [-1.0, 1.0]
    if len(vals) == 2:
        return Box(np.full(d, vals[0]), np.full(d, vals[1]))
    if len(vals) == 2 * d:
        v = np.array(vals).reshape(d, 2)
        return Box(v[:, 0], v[:, 1])
    raise UsageError(f"--box needs 2 values (LO HI) or 2*d = {2 * d} values (LO1 HI1 ... LOd HId); "
                     f"got {len(vals)}")


def _vnnlib_domain(path: Path, d: int):
    try:
        from ..verify._vnnlib import read_vnnlib
    except ImportError:
        raise ValueError("reading .vnnlib domains needs relugeom.verify's VNN-LIB parser, "
                         "which is not available in this installation") from None
    prop = read_vnnlib(path)
    if prop.n_inputs != d:
        raise UsageError(f"{path} declares {prop.n_inputs} inputs; the network has {d}")
    uniq = prop.input_parts()
    if len(uniq) != 1:
        raise UsageError(f"{path} has an input set of {len(uniq)} polytopes; regions need one "
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


def validate_args(args: argparse.Namespace) -> None:
    """Check every argument of ``relugeom regions`` before any work is done.

    Raises one ValueError naming the first problem: missing input files, output paths whose
    directory is missing or not writable, non-finite or empty boxes, options that do not go
    together.
    """
    need_file("NET", args.net)
    if args.domain:
        need_file("--domain", args.domain)
    for opt, val in (("--max-regions", args.max_regions), ("--jobs", args.jobs)):
        if val is not None and val < 1:
            raise UsageError(f"{opt} must be a positive integer; got {val}")
    if args.time_limit is not None and not (math.isfinite(args.time_limit) and args.time_limit > 0):
        raise UsageError(f"--time-limit must be a positive number of seconds; got {args.time_limit}")
    if args.box and not all(math.isfinite(v) for v in args.box):
        raise UsageError(f"--box values must be finite numbers; got {' '.join(map(str, args.box))}")
    if args.box and len(args.box) % 2 == 0:
        pairs = list(zip(args.box[0::2], args.box[1::2]))
        bad = [i for i, (lo, hi) in enumerate(pairs) if not lo < hi]
        if bad:
            lo, hi = pairs[bad[0]]
            raise UsageError(f"--box needs LO < HI; got LO={lo}, HI={hi}")
    if args.slice:
        if args.domain or args.unbounded:
            raise UsageError("--slice takes its domain from --box LO HI (slice coordinates); "
                             "drop --domain/--unbounded")
        if args.box and len(args.box) != 2:
            raise UsageError(f"--box with --slice needs 2 values LO HI (the square [LO, HI]^2 of (s, t)); "
                             f"got {len(args.box)}")
        for name, spec in zip(("P0", "P1", "P2"), args.slice):
            if spec.startswith("vnnlib:"):
                need_file(f"--slice {name}", spec[len("vnnlib:"):])
            else:
                need_file(f"--slice {name}", spec)
                if Path(spec).suffix.lower() != ".npy":
                    raise UsageError(f"--slice {name} {spec}: expected a .npy array file or vnnlib:FILE.vnnlib")
    if args.count_only and args.check:
        raise UsageError("--check needs the complex; drop --count-only")
    if args.count_only and args.plot:
        raise UsageError("--plot needs the complex; drop --count-only")
    if args.color_by and not args.plot:
        raise UsageError("--color-by styles the picture; add --plot OUT.png")
    if args.output is not None:
        if args.color_by != "output":
            raise UsageError("--output K goes with --color-by output")
        if args.output < 0:
            raise UsageError(f"--output must be a non-negative output index; got {args.output}")
    if args.json and args.plot and Path(args.json).resolve() == Path(args.plot).resolve():
        raise UsageError("--json and --plot name the same file")
    if args.json:
        need_writable("--json", args.json)
    if args.plot:
        need_writable("--plot", args.plot)
        from matplotlib.backend_bases import FigureCanvasBase

        fmt = Path(args.plot).suffix.lower().lstrip(".")
        formats = FigureCanvasBase.get_supported_filetypes()
        if fmt not in formats:
            raise UsageError(f"--plot {args.plot}: unknown picture format {fmt or '(no suffix)'!r}; "
                             f"use one of {', '.join(sorted(formats))}")


def _classes(net, X: np.ndarray) -> list[int]:
    """Predicted classes (argmax; a single output is read as a logit, class 1 where f > 0)."""
    Y = np.asarray(net(X), float).reshape(len(X), -1)
    if Y.shape[1] == 1:
        return (Y[:, 0] > 0).astype(int).tolist()
    return Y.argmax(axis=1).tolist()


def run(args: argparse.Namespace) -> int:
    """Run ``relugeom regions``."""
    from ..network import load_network
    from ..regions import count_regions, enumerate_regions, region_bounds

    validate_args(args)
    t0 = time.perf_counter()
    default = None
    if Path(args.net).suffix.lower() == ".nnet":
        # .nnet files carry their input box; the network is exact (unclipped) inside it
        from ..network import read_nnet
        from ..polyhedra import Box

        f = read_nnet(args.net)
        net, default = f.network, Box(f.lo, f.hi)
    else:
        net = load_network(args.net)
    t_load = time.perf_counter() - t0
    d = net.input_dim
    dense = bool(getattr(net, "is_dense_relu", False))
    print(f"network  {args.net}  {net.describe()}")
    slice_info = None
    if args.slice:
        from .._points import load_point
        from ..regions import slice_through

        shape = tuple(getattr(net, "input_shape", (d,)))
        pts = np.stack([load_point(spec, shape) for spec in args.slice])
        lo, hi = args.box if args.box else (0.0, 1.0)
        domain = slice_through(*pts, box=(lo, hi))
        cls = _classes(net, pts)
        slice_info = {"points": list(args.slice), "box": [lo, hi], "point_classes": cls}
        print(f"slice    x = P0 + s (P1 - P0) + t (P2 - P0),  (s, t) in [{lo:g}, {hi:g}]^2")
        for name, spec, k in zip(("P0", "P1", "P2"), args.slice, cls):
            print(f"  {name} = {spec}   predicted class {k}")
        arch_widths = (2, *net.widths[1:]) if dense else None
    else:
        domain = domain_from_args(args, d, default)
        dom_text = "R^%d (unbounded)" % d if isinstance(domain, str) else repr(domain)
        if len(dom_text) > 100:
            dom_text = f"H-polytope in R^{d} with {domain.n_constraints} inequalities"
        if not (args.box or args.domain or args.unbounded) and default is None:
            dom_text += "  (default: the file states no input domain; give --box, --domain or --unbounded)"
        print(f"domain   {dom_text}")
        if d > 16:
            print(f"warning  a {d}-dimensional input has astronomically many regions: expect the time "
                  "or region limit to stop the run; --slice P0 P1 P2 draws the plane through three "
                  "inputs", file=sys.stderr)
        arch_widths = tuple(net.widths) if dense else None
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    kw = dict(method=args.method, max_regions=args.max_regions, time_limit=args.time_limit,
              progress=progress, n_jobs=args.jobs)
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
    bounds = region_bounds(arch_widths) if arch_widths is not None else []
    status = "complete" if complete else f"INCOMPLETE (stopped by {reason})"
    print(f"regions  {n:,}   ({status})")
    if pieces is not None:
        print(f"pieces   {pieces:,}   (adjacent regions with equal affine maps merged)")
    if cx is not None:
        print(f"facets   {cx.n_facets:,}   ({cx.n_interior_facets:,} interior)")
    print(f"time     {seconds:.3f} s enumerate ({method}), {t_load:.3f} s load")
    if bounds:
        print("bounds for this architecture" + (" (on a 2-D slice):" if args.slice else ":"))
        print_bounds(bounds, n)
    report = None
    if args.check and cx is not None:
        report = cx.check(max_facets=5000)
        print(f"check    {'passed' if report.ok else 'FAILED'}: {report}")
    if args.json:
        if cx is None:
            data = {"n_regions": n, "n_linear_pieces": pieces, "complete": complete, "reason": reason,
                    "method": method, "seconds": seconds, "load_seconds": t_load,
                    "domain": domain if isinstance(domain, str) else
                    (domain.domain.to_dict() if args.slice else domain.to_dict()),
                    "tolerance": cnt.tolerance.as_dict(), "bounds": [b.to_dict() for b in bounds]}
            if dense:
                data["widths"] = list(net.widths)
            if args.slice:
                data["slice"] = domain.to_dict()
        else:
            data = cx.to_dict()
            data["seconds"] = seconds
            data["load_seconds"] = t_load
            if report is not None:
                data["check"] = {k: v for k, v in report.checks.items()}
            if args.slice:
                data["region_classes"] = _classes(cx.net, cx.points) if cx.n_regions else []
        if slice_info is not None:
            data["slice"].update(slice_info)
        Path(args.json).write_text(json.dumps(data))
        print(f"wrote    {args.json}")
    if args.plot:
        color_by = args.color_by or ("class" if args.slice and net.output_dim >= 2 else "pattern")
        kwargs = {"output": args.output} if color_by == "output" else {}
        save_plot(cx, args.plot, title=Path(args.net).name, color_by=color_by, **kwargs)
        print(f"wrote    {args.plot}")
    return 0 if complete else 3


def save_plot(cx, path: str, *, title: str = "", color_by: str = "pattern", **kwargs) -> None:
    """Draw a 2-D (or 1-D) complex into a picture file with the Agg backend.

    The title is ``title`` above the counts of :func:`relugeom.regions.plot_complex`.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if cx.dim not in (1, 2):
        raise UsageError(f"--plot draws 1-D and 2-D input spaces; this network's input is {cx.dim}-D "
                         "(use --slice P0 P1 P2 to draw the plane through three inputs)")
    wide = color_by in ("class", "output") or cx.dim == 1
    fig, ax = plt.subplots(figsize=(7.6, 6.5) if wide else (6.5, 6.5), dpi=150)
    cx.plot(ax, color_by=color_by, **kwargs)
    if title:
        ax.set_title(f"{title}\n{ax.get_title()}" if ax.get_title() else title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
