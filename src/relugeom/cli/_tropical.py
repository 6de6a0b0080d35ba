"""``relugeom tropical``: the tropical (max-plus) form F ⊘ G of a network.

Examples (shell)::

    relugeom tropical net.npz
    relugeom tropical net.onnx --json form.json --plot form.png
    relugeom tropical net.npz --exact --json form.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ._args import UsageError, finite_float, need_file, need_writable, positive_seconds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``relugeom tropical``."""
    parser.add_argument("net", metavar="NET", help="network file: .npz, .onnx or .nnet")
    parser.add_argument("--json", metavar="OUT",
                        help='write F and G (pruned terms), "n_terms_F", "n_terms_G", "n_pieces" as JSON')
    parser.add_argument("--plot", metavar="OUT.png", help="draw curves, Newton polygons and pieces (1-D/2-D inputs)")
    parser.add_argument("--exact", action="store_true", help="exact rational coefficients and exponents")
    parser.add_argument("--method", choices=["auto", "hull", "lp"], default="auto", help="pruning method")
    parser.add_argument("--box", nargs=2, type=finite_float, metavar=("LO", "HI"), default=(-2.0, 2.0),
                        help="plot window for every coordinate (default -2 2)")
    parser.add_argument("--time-limit", type=positive_seconds, default=None,
                        help="stop after S seconds (incomplete, exit code 3)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar (default: on when stderr is a terminal)")


def run(args: argparse.Namespace) -> int:
    """Compute the tropical form, print a summary, write JSON / a picture."""
    import numpy as np

    from ..network import load_network
    from ..tropical import tropical_form

    need_file("NET", args.net)
    for opt in ("json", "plot"):
        if getattr(args, opt):
            need_writable(f"--{opt}", getattr(args, opt))
    if not args.box[0] < args.box[1]:
        raise UsageError(f"--box needs LO < HI; got {args.box[0]} {args.box[1]}")
    net = load_network(args.net)
    form = tropical_form(net, exact=args.exact, method=args.method, time_limit=args.time_limit,
                         progress=sys.stderr.isatty() if args.progress is None else args.progress)
    print(f"network {args.net}: {net.describe()}")
    if not form.complete:
        print(f"incomplete: time limit reached after {len(form.layers)} layer(s) ({form.seconds:.2f} s)")
        if args.json:
            Path(args.json).write_text(json.dumps({"complete": False, **form.to_dict()}, indent=1))
        return 3
    outputs = []
    for k, r in enumerate(form.rationals):
        n_pieces = form.n_pieces(k)
        outputs.append({**r.to_dict(), "n_pieces": n_pieces})
        print(f"output {k}: F has {r.F.n_terms} terms, G has {r.G.n_terms} terms, "
              f"{n_pieces} linear pieces on R^{net.input_dim}")
    for s in form.layers:
        print(f"  layer {s.layer}: {s.terms} terms after pruning (unpruned {s.terms_unpruned}), {s.seconds:.2f} s")
    print(f"tropical form in {form.seconds:.2f} s")
    if args.json:
        arch = ({"widths": list(net.widths)} if net.is_dense_relu else
                {"input_shape": list(net.input_shape), "n_neurons": net.n_neurons})
        out = {"network": str(args.net), **arch, "exact": form.exact,
               "complete": True, "seconds": form.seconds, "tolerance": form.tol.as_dict(),
               "layers": form.to_dict()["layers"],
               "F": outputs[0]["F"], "G": outputs[0]["G"],
               "n_terms_F": outputs[0]["n_terms_F"], "n_terms_G": outputs[0]["n_terms_G"],
               "n_pieces": outputs[0]["n_pieces"], "outputs": outputs}
        Path(args.json).write_text(json.dumps(out, indent=1))
        print(f"wrote {args.json}")
    if args.plot:
        if net.input_dim not in (1, 2):
            print(f"--plot: pictures are for 1-D/2-D inputs; this network has {net.input_dim} inputs")
            return 2
        import matplotlib

        matplotlib.use("Agg")
        from ..polyhedra import Box
        from ..tropical import plot_tropical

        lo, hi = args.box
        d = net.input_dim
        plot_tropical(net, Box(np.full(d, lo), np.full(d, hi)), args.plot)
        print(f"wrote {args.plot}")
    return 0
