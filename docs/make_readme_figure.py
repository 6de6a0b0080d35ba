"""Write the region-complex picture that README.md shows (docs/assets/region-complex.png).

Run from the repository root:  python docs/make_readme_figure.py [OUT.png]
(tests/test_docs.py runs it, so the committed picture is reproducible from code.)
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from relugeom.network import example_network  # noqa: E402
from relugeom.polyhedra import Box  # noqa: E402
from relugeom.regions import enumerate_regions  # noqa: E402


def main(out: str = "docs/assets/region-complex.png") -> None:
    net = example_network("demo")
    cx = enumerate_regions(net, Box([-1, -1], [1, 1]))
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
    cx.plot(ax=axes[0], color_by="pattern")
    axes[0].set_title(f"{cx.n_regions} linear regions of a 2→[8,8]→1 network", fontsize=10)
    cx.plot(ax=axes[1], color_by="value", colorbar=True)
    axes[1].set_title("coloured by the network's value", fontsize=10)
    for ax in axes:
        ax.set_aspect("equal")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"wrote {out}: {cx.n_regions} regions")


if __name__ == "__main__":
    main(*sys.argv[1:])
