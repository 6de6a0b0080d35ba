"""ReLU Voronoi cells: which targets does least squares send to a given output?

1. One neuron y = relu(w x + b) on data (-1, 1): the output set is the closed quadrant, the
   best fit of Y is relu(Y), and the dead output (0, 0) attracts the whole negative quadrant.
2. A 1-3-1 network on four data points: the cell of an output inside one activation region
   versus inside the union of all regions, and the strata of Gaussian targets.

Run: ``python examples/voronoi_relu.py [OUT.png]``
"""

from __future__ import annotations

import sys

import numpy as np

from relugeom.voronoi import plot_cells, relu_model, relu_strata, relu_voronoi_cell, voronoi_cell


def main(out: str = "voronoi_relu.png") -> None:
    import matplotlib

    matplotlib.use("Agg")
    X = np.array([[-1.0], [1.0]])
    M = relu_model((1, 1), X, bias="first", output_layer=False)
    cells = [voronoi_cell(M, q) for q in ([0.0, 0.0], [0.0, 1.5], [1.0, 1.0])]
    for c in cells:
        print(f"one neuron, q = {c.q.tolist()}: exact {c.exact}, dim {c.dimension()}, rays {c.rays.tolist()}")
    ax = plot_cells(M, cells, window=((-3, -3), (3, 3)))
    ax.set_title("relu(w x + b) on x = (-1, 1): outputs (grey) and Voronoi cells")
    ax.figure.savefig(out, dpi=120)
    print(f"wrote {out}")

    X4 = np.array([[-1.5], [-0.4], [0.3], [1.2]])
    theta = np.array([1.0, 1.0, 0.0, 0.1, -0.3, -1.0, 1.0, 2.0, 0.7])   # W1, b1, W2
    for region in (True, False):
        c = relu_voronoi_cell((1, 3, 1), X4, theta, bias="first", region=region)
        print(f"1-3-1, {'one activation region' if region else 'all regions':22s}: dim {c.dimension()}, "
              f"exact {c.exact}, cuts {c.n_cuts}")
    s = relu_strata((1, 3, 1), X4, n_samples=200, bias="first", rng=0)
    print("strata of 200 Gaussian targets:", {k: round(v, 3) for k, v in s.fractions.items()})


if __name__ == "__main__":
    main(*sys.argv[1:])
