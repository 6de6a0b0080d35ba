"""``relugeom voronoi``: Voronoi cells of models and ReLU Voronoi cells.

Examples (shell)::

    relugeom voronoi points P.npy --point 3 --json cell.json --plot cell.png
    relugeom voronoi halfcircle --point 1 0 --plot hc.png
    relugeom voronoi rankone --shape 2 2 --point 3 0 0 0
    relugeom voronoi independence --shape 2 2 --point 0.0833333333333 0.25 0.1666666666667 0.5
    relugeom voronoi polynomial --polys "t^3" "3*t^2*(1-t)" "3*t*(1-t)^2" "(1-t)^3" --box 0 1 \\
        --theta 0.3 --metric log
    relugeom voronoi relu --widths 1,3,1 --data X.npy --bias first --theta THETA.npy
    relugeom voronoi relu --widths 1,3,1 --data X.npy --bias first --target 0.1 -0.3 0.7 0.2
    relugeom voronoi relu --widths 1,3,1 --data X.npy --bias first --strata 500

``--metric`` is ``euclidean`` (default), ``log``, a ``.npy`` file with a matrix ``Q``, or
``mse:INPUTS.npy:DEGREE`` (``Q = AᵀA`` for the Vandermonde/Veronese design matrix).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ._args import UsageError, int_list, need_writable, positive_int, positive_seconds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``relugeom voronoi``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__.split("Examples (shell)::", 1)[1]
    parser.add_argument("model", choices=["points", "halfcircle", "rankone", "independence", "toric", "polynomial",
                                          "relu"],
                        help="the kind of model")
    parser.add_argument("file", nargs="?", metavar="FILE.npy",
                        help="points (one per row) for 'points'; the exponent matrix A for 'toric'")
    parser.add_argument("--exponents", metavar="ROWS",
                        help="the exponent matrix A of a 'toric' model, rows split by ';' (e.g. '3,2,1,0;0,1,2,3')")
    parser.add_argument("--coefficients", nargs="+", type=float, metavar="C",
                        help="positive coefficients of a 'toric' model (default all 1), e.g. 1 3 3 1")
    parser.add_argument("--point", nargs="+", type=float, metavar="V",
                        help="the model point q (for 'points': one index)")
    parser.add_argument("--metric", default="euclidean",
                        help="euclidean | log | Q.npy | mse:INPUTS.npy:DEGREE (default euclidean)")
    parser.add_argument("--shape", nargs=2, type=int, metavar=("M", "N"), default=(2, 2),
                        help="matrix / table shape for rankone and independence")
    parser.add_argument("--polys", nargs="+", metavar="F", help="coordinate polynomials for 'polynomial'")
    parser.add_argument("--params", nargs="+", metavar="T", help="parameter names (default: sorted symbols)")
    parser.add_argument("--box", nargs="+", type=float, metavar="V",
                        help="parameter box: LO HI (all parameters) or LO1 HI1 ... ")
    parser.add_argument("--ineq", nargs="+", metavar="G",
                        help="polynomial inequalities on the parameters: G (meaning G >= 0), or P >= Q, P <= Q, "
                             "P > Q, P < Q (strict ones constrain the closure)")
    parser.add_argument("--theta", nargs="+", metavar="V",
                        help="parameters of q (numbers, or one .npy file)")
    parser.add_argument("--widths", help="architecture for 'relu', e.g. 1,3,1")
    parser.add_argument("--data", metavar="X.npy", help="data points (n, n_0) for 'relu'")
    parser.add_argument("--bias", choices=["none", "first", "all"], default="none", help="bias mode for 'relu'")
    parser.add_argument("--no-output-layer", action="store_true",
                        help="'relu': the last layer is a ReLU layer (y = relu(W x + b))")
    parser.add_argument("--region", action="store_true",
                        help="'relu': the model of θ's activation region only (default: all regions)")
    parser.add_argument("--target", nargs="+", type=float, metavar="Y",
                        help="'relu': take q = the best fit of this target")
    parser.add_argument("--strata", type=positive_int, metavar="N",
                        help="'relu': fractions of N Gaussian targets fitted at dead/kink/interior points")
    parser.add_argument("--max-cuts", type=positive_int, default=200)
    parser.add_argument("--time-limit", type=positive_seconds, default=None,
                        help="stop after S seconds (incomplete, exit code 3)")
    parser.add_argument("--gap-tol", type=positive_seconds, default=None, metavar="GAP",
                        help="stop when the gap is below this (a positive number)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="OUT", help="write the cell (H-rep, vertices, rays, exact, gap, cuts)")
    parser.add_argument("--plot", metavar="OUT.png", help="draw the model and the cell (2-D / 3-D)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar (default: on when stderr is a terminal)")


def _load_npy(path: str, name: str) -> np.ndarray:
    p = Path(path)
    if not p.exists():
        raise ValueError(f"{name}: file {p} does not exist")
    return np.load(p, allow_pickle=False)


def _metric(text: str):
    from ..voronoi import as_metric, mse_metric

    if text in ("euclidean", "log"):
        return as_metric(text)
    if text.startswith("mse:"):
        parts = text.split(":")
        if len(parts) != 3:
            raise ValueError("--metric mse needs the form mse:INPUTS.npy:DEGREE")
        return mse_metric(_load_npy(parts[1], "--metric"), int(parts[2]))
    return as_metric(_load_npy(text, "--metric"))


def _theta(args: argparse.Namespace) -> np.ndarray | None:
    if not args.theta:
        return None
    if len(args.theta) == 1 and args.theta[0].endswith(".npy"):
        return np.asarray(_load_npy(args.theta[0], "--theta"), dtype=float).ravel()
    try:
        return np.array([float(v) for v in args.theta])
    except ValueError:
        raise ValueError("--theta needs numbers or one .npy file") from None


def _need_point(args: argparse.Namespace) -> np.ndarray:
    if not args.point:
        raise ValueError(f"'{args.model}' needs --point")
    return np.array(args.point, dtype=float)


def run(args: argparse.Namespace) -> int:
    """Compute the cell, print a summary, write JSON / a plot."""
    from .. import voronoi as V
    from ..polyhedra import Box

    for opt in ("json", "plot"):
        if getattr(args, opt):
            need_writable(f"--{opt}", getattr(args, opt))
    if args.progress is None:
        args.progress = sys.stderr.isatty()
    met = _metric(args.metric)
    theta = _theta(args)
    kw = dict(metric=met, max_cuts=args.max_cuts, time_limit=args.time_limit, gap_tol=args.gap_tol,
              rng=args.seed, progress=args.progress)
    if args.model == "points":
        if not args.file:
            raise ValueError("'points' needs FILE.npy (one point per row)")
        P = np.asarray(_load_npy(args.file, "FILE"), dtype=float)
        M = V.FiniteModel(P)
        if not args.point or len(args.point) != 1 or args.point[0] != int(args.point[0]):
            raise ValueError("'points' needs --point I (a row index)")
        i = int(args.point[0])
        if not 0 <= i < len(P):
            raise ValueError(f"--point {i} is out of range: the file has {len(P)} points")
        q = P[i]
    elif args.model == "halfcircle":
        M, q = V.half_circle(), _need_point(args)
    elif args.model == "rankone":
        M, q = V.rank_one_model(*args.shape), _need_point(args)
    elif args.model == "independence":
        M, q = V.independence_model(*args.shape), _need_point(args)
        if not args.metric or args.metric == "euclidean":
            kw["metric"] = V.as_metric("log")
    elif args.model == "toric":
        if args.file:
            A = np.asarray(_load_npy(args.file, "FILE"), dtype=float)
        elif args.exponents:
            try:
                A = np.array([[float(v) for v in row.split(",")] for row in args.exponents.split(";")])
            except ValueError:
                raise ValueError("--exponents needs rows of numbers split by ';', e.g. '3,2,1,0;0,1,2,3'") from None
        else:
            raise ValueError("'toric' needs its exponent matrix: FILE.npy or --exponents")
        M, q = V.ToricModel(A, coefficients=args.coefficients), _need_point(args)
        if args.metric == "euclidean":
            kw["metric"] = V.as_metric("log")
    elif args.model == "polynomial":
        from ..algebra import PolynomialParametrization
        from ..algebra._parse import parse_inequality, parse_polynomial
        from ..errors import ParseError

        if not args.polys:
            raise ValueError("'polynomial' needs --polys")
        try:  # the strings are read by relugeom's own polynomial parser: nothing is evaluated
            polys = [parse_polynomial(f, args.params, what=f"--polys {i + 1}") for i, f in enumerate(args.polys)]
            phi = PolynomialParametrization(polys, params=args.params)
            ineqs = None if not args.ineq else [
                parse_inequality(g, phi.param_names, what=f"--ineq {i + 1}").nonnegative()
                for i, g in enumerate(args.ineq)]
        except ParseError as exc:  # a malformed argument: a usage error (exit code 2), one line
            print(f"relugeom voronoi: error: {exc}", file=sys.stderr)
            return 2
        dom = None
        if args.box:
            k = phi.n_params
            vals = args.box
            if len(vals) == 2:
                dom = Box(np.full(k, vals[0]), np.full(k, vals[1]))
            elif len(vals) == 2 * k:
                v = np.array(vals).reshape(k, 2)
                dom = Box(v[:, 0], v[:, 1])
            else:
                raise ValueError(f"--box needs 2 or {2 * k} values")
        M = V.ParametrizedModel(phi, dom, inequalities=ineqs)
        if theta is not None:
            q = np.asarray(phi.evaluate(theta), dtype=float)
        else:
            q = _need_point(args)
    else:  # relu
        if not args.widths or not args.data:
            raise ValueError("'relu' needs --widths and --data")
        try:
            widths = tuple(int_list(args.widths))
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"--widths {exc}") from None
        X = np.asarray(_load_npy(args.data, "--data"), dtype=float)
        if X.ndim == 1:
            X = X[:, None]
        out_layer = not args.no_output_layer
        if args.strata:
            s = V.relu_strata(widths, X, n_samples=args.strata, bias=args.bias, rng=args.seed,
                              progress=args.progress, time_limit=args.time_limit)
            print(f"samples  {s.n_samples}" + ("" if s.complete else f" of {args.strata} (time limit)"))
            for k, v in s.fractions.items():
                print(f"{k:<9}{v:.4f}")
            if args.json:
                Path(args.json).write_text(json.dumps({"n_samples": s.n_samples, "dead": s.dead, "kink": s.kink,
                                                       "interior": s.interior, "seed": args.seed,
                                                       "complete": s.complete}, indent=1))
            return 0 if s.complete else 3
        if theta is not None:
            cell = V.relu_voronoi_cell(widths, X, theta, bias=args.bias, region=args.region,
                                       output_layer=out_layer, **kw)
            M = None
        else:
            M = V.relu_model(widths, X, bias=args.bias, output_layer=out_layer)
            if args.target:
                q = M.nearest(np.array(args.target, dtype=float), rng=args.seed).point
            else:
                q = _need_point(args)
    if args.model != "relu" or M is not None:
        cell = V.voronoi_cell(M, q, **kw)
    d = cell.to_dict()
    print(f"q        {np.round(cell.q, 10).tolist()}")
    print(f"exact    {cell.exact}")
    print(f"complete {cell.complete} ({cell.message})")
    print(f"cuts     {cell.n_cuts}")
    print(f"gap      {cell.gap:.3g}")
    print(f"vertices {len(cell.vertices)}  rays {len(cell.rays)}")
    print(f"seconds  {cell.seconds:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(d, indent=1))
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        if cell.dim in (2, 3) and M is not None:
            ax = V.plot_cells(M, [cell])
        elif cell.dim in (2, 3):
            ax = cell.plot()
        else:
            raise ValueError(f"--plot draws 2-D and 3-D cells; this one lives in R^{cell.dim}")
        ax.figure.savefig(args.plot, dpi=120)
        plt.close(ax.figure)
    return 0 if cell.complete else 3
