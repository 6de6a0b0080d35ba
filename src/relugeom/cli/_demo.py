"""``relugeom demo``: the linear regions of a bundled network on [-1, 1]^2, with a picture.

Example (shell)::

    relugeom demo --out demo.png
"""

from __future__ import annotations

import argparse
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``relugeom demo``."""
    parser.add_argument("--out", default="demo.png", metavar="PNG", help="picture to write (default demo.png)")
    parser.add_argument("--method", choices=["auto", "skeleton", "lp"], default="auto",
                        help="enumeration method (default auto)")


def run(args: argparse.Namespace) -> int:
    """Run ``relugeom demo``."""
    import numpy as np

    from ._args import need_writable

    need_writable("--out", args.out)

    from ..network import example_network
    from ..network._examples import EXAMPLES
    from ..polyhedra import Box
    from ..regions import enumerate_regions
    from ._regions import print_bounds

    net = example_network("demo")
    box = Box([-1.0, -1.0], [1.0, 1.0])
    print(f"relugeom demo: {EXAMPLES['demo']}")
    print(f"network  widths {'-'.join(map(str, net.widths))}, {net.n_neurons} hidden neurons; domain [-1, 1]^2")
    t0 = time.perf_counter()
    cx = enumerate_regions(net, box, method=args.method)
    t_enum = time.perf_counter() - t0
    t1 = time.perf_counter()
    pieces = cx.n_linear_pieces()
    report = cx.check()
    t_check = time.perf_counter() - t1
    print(f"regions  {cx.n_regions}   ({'complete' if cx.complete else 'INCOMPLETE: ' + str(cx.reason)})")
    print(f"pieces   {pieces}   (adjacent regions with equal affine maps merged)")
    print(f"facets   {cx.n_facets}   ({cx.n_interior_facets} interior = edges of the dual graph)")
    print(f"time     {t_enum:.3f} s enumerate ({cx.stats.get('method')}), {t_check:.3f} s check")
    print(f"check    {'passed' if report.ok else 'FAILED'}: {report}")
    print("bounds for this architecture (regions on all of R^2):")
    print_bounds(cx.bounds(), cx.n_regions)
    _picture(cx, args.out, net)
    print(f"wrote    {args.out}")
    return 0 if report.ok else 1


def _picture(cx, path: str, net) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, 2, figsize=(12, 5.8), dpi=130)
    cx.plot(axes[0], color_by="pattern", cmap="tab20", linewidth=0.5)
    axes[0].set_title(f"{cx.n_regions} linear regions on $[-1,1]^2$", fontsize=12)
    from matplotlib.collections import LineCollection

    xs = np.linspace(-1, 1, 501)
    Xg, Yg = np.meshgrid(xs, xs)
    Z = net(np.column_stack([Xg.ravel(), Yg.ravel()]))[:, 0].reshape(Xg.shape)
    im = axes[1].imshow(Z, extent=(-1, 1, -1, 1), origin="lower", cmap="viridis", interpolation="bilinear")
    V, E = cx.vertices(), cx.edges()
    axes[1].add_collection(LineCollection(V[E], colors="white", linewidths=0.5, alpha=0.8))
    axes[1].contour(Xg, Yg, Z, levels=9, colors="k", linewidths=0.6, alpha=0.5, linestyles="solid")
    fig.colorbar(im, ax=axes[1], shrink=0.85, label="f(x)")
    axes[1].set_xlim(-1, 1)
    axes[1].set_ylim(-1, 1)
    axes[1].set_title("f(x) with level lines; white: region boundaries", fontsize=12)
    for ax in axes:
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    fig.suptitle(f"relugeom demo: ReLU network {'-'.join(map(str, net.widths))}", fontsize=13)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
