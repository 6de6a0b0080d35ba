"""Voronoi cells of the half circle x² + y² = 1, y >= 0 (talk 002): boundary points have
full-dimensional cells (closed quadrants), interior points only rays.

Run: ``python examples/voronoi_half_circle.py [OUT.png]``
"""

from __future__ import annotations

import sys

import numpy as np

from relugeom.voronoi import half_circle, plot_cells, voronoi_cell


def main(out: str = "voronoi_half_circle.png") -> None:
    import matplotlib

    matplotlib.use("Agg")
    M = half_circle()
    points = [(1.0, 0.0), (-1.0, 0.0), (np.cos(1.0), np.sin(1.0)), (0.0, 1.0)]
    cells = [voronoi_cell(M, q, rng=0) for q in points]
    for c in cells:
        print(f"q = {str(np.round(c.q, 3).tolist()):<16} dim {c.dimension()}  rays {np.round(c.rays, 3).tolist()}  "
              f"cuts {c.n_cuts}  complete {c.complete}")
    ax = plot_cells(M, cells, window=((-3, -3), (3, 3)))
    ax.set_title("Voronoi cells of the upper half circle")
    ax.figure.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
