"""Voronoi cells of the worked examples: seconds, cuts, final gap (not a unit test).

Cases (talks 000 and 002 and the ReLU examples of issue #6):

- the half circle x² + y² = 1, y >= 0 at (1, 0) (a quadrant) and at an interior point (a ray)
- rank-one 2x2 matrices at σuvᵀ (Eckart–Young: a segment) and at 0 ({0}); 2x3 (a disk: curved,
  an outer approximation after 40 cuts)
- the 2x2 independence model (log cell: a segment) and the binomial twisted cubic (log
  polygon)
- one ReLU neuron y = relu(w x + b) on data (-1, 1) at the dead output (0, 0)
- a one-hidden-layer ReLU model with 3 hidden neurons on 4 data points: the cell of a
  boundary point of the output set (all regions), the cell of an activation region, and the
  strata statistics of 200 Gaussian targets

Run: ``python benchmarks/voronoi.py``; one line per case.
"""

from __future__ import annotations

import time

import numpy as np

from relugeom.voronoi import (half_circle, independence_model, rank_one_model, relu_model, relu_strata,
                              relu_voronoi_cell, twisted_cubic, voronoi_cell)


def main() -> None:
    X4 = np.array([[-1.5], [-0.4], [0.3], [1.2]])
    s = 2.0
    tc = twisted_cubic()
    cases = {
        "half circle q=(1,0)": lambda: voronoi_cell(half_circle(), [1.0, 0.0], rng=0),
        "half circle q=(0.6,0.8)": lambda: voronoi_cell(half_circle(), [0.6, 0.8], rng=0),
        "rank one 2x2 q=2 e1e1^T": lambda: voronoi_cell(rank_one_model(2, 2), [s, 0, 0, 0], rng=0),
        "rank one 2x2 q=0": lambda: voronoi_cell(rank_one_model(2, 2), np.zeros(4), rng=0),
        "rank one 2x3 q=2 e1e1^T (40 cuts)": lambda: voronoi_cell(rank_one_model(2, 3), [s, 0, 0, 0, 0, 0],
                                                                  rng=0, max_cuts=40),
        "independence 2x2 (log)": lambda: voronoi_cell(independence_model(2, 2), [1 / 12, 1 / 4, 1 / 6, 1 / 2],
                                                       metric="log"),
        "twisted cubic t=0.3 (log)": lambda: voronoi_cell(tc, tc.param.evaluate([0.3]), metric="log", rng=0),
        "relu(wx+b) on (-1,1), q=(0,0)": lambda: relu_voronoi_cell((1, 1), [[-1.0], [1.0]], [1.0, -3.0],
                                                                   bias="first", output_layer=False),
        "1-3-1 ReLU, 4 points, boundary q": lambda: voronoi_cell(
            relu_model((1, 3, 1), X4, bias="first"), [0.0, -1.0, 1.0, -1.0], max_cuts=60),
        "1-3-1 ReLU, 4 points, one region": lambda: relu_voronoi_cell(
            (1, 3, 1), X4, [1.0, 1.0, 0.0, 0.1, -0.3, -1.0, 1.0, 2.0, 0.7], bias="first", region=True),
        "1-3-1 ReLU, 4 points, union of regions": lambda: relu_voronoi_cell(
            (1, 3, 1), X4, [1.0, 1.0, 0.0, 0.1, -0.3, -1.0, 1.0, 2.0, 0.7], bias="first"),
    }
    print(f"{'case':42s} {'seconds':>8s} {'cuts':>5s} {'gap':>10s} {'exact':>6s} {'complete':>8s} {'dim':>4s}")
    for name, f in cases.items():
        t = time.perf_counter()
        c = f()
        dt = time.perf_counter() - t
        print(f"{name:42s} {dt:8.2f} {c.n_cuts:5d} {c.gap:10.2e} {str(c.exact):>6s} {str(c.complete):>8s} "
              f"{c.dimension():4d}")
    t = time.perf_counter()
    st = relu_strata((1, 3, 1), X4, n_samples=200, bias="first", rng=0)
    dt = time.perf_counter() - t
    fr = st.fractions
    print(f"{'1-3-1 ReLU strata, 200 Gaussian targets':42s} {dt:8.2f}   dead {fr['dead']:.3f}  "
          f"kink {fr['kink']:.3f}  interior {fr['interior']:.3f}")


if __name__ == "__main__":
    main()
