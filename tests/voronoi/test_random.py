"""Random models: every computed cell contains the true cell (outside points lose to a
competitor), and exact cells have q as the nearest point of every inside point; checked
with independent nearest-point solvers (shapely distances, bounded-variable least squares)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from relugeom.polyhedra import Box
from relugeom.voronoi import PolyhedralModel, relu_model, voronoi_cell

from .test_cells import check_cell
from .test_relu import bvls_dist


@pytest.mark.slow
@settings(max_examples=8)
@given(st.integers(0, 10_000))
def test_random_box_unions_against_shapely(seed):
    import shapely

    gen = np.random.default_rng(seed)
    boxes = []
    for _ in range(3):
        lo = gen.uniform(-3, 3, size=2)
        boxes.append(Box(lo, lo + gen.uniform(0.2, 1.5, size=2)))
    M = PolyhedralModel(boxes)
    union = shapely.union_all([shapely.box(b.lo[0], b.lo[1], b.hi[0], b.hi[1]) for b in boxes])

    def dist(u):
        return float(shapely.distance(union, shapely.Point(u)))

    B = boxes[0]
    corners = np.array([[B.lo[0], B.lo[1]], [B.hi[0], B.lo[1]], [B.lo[0], B.hi[1]], [B.hi[0], B.hi[1]]])
    q = corners[gen.integers(4)]
    if dist(q) > 1e-12 or any(P.contains(q + 1e-3 * np.array(d)) for P in boxes[1:] for d in ([1, 0], [0, 1], [-1, 0], [0, -1])):
        return  # keep q on the boundary of the union, away from other boxes
    cell = voronoi_cell(M, q, max_cuts=20)     # curved cells (corner vs edge: parabolas) never close
    check_cell(cell, dist, gen, n=15, delta=0.1, check_inside=cell.exact)


@settings(max_examples=5)
@given(st.integers(0, 10_000))
def test_random_shallow_relu_cells(seed):
    gen = np.random.default_rng(seed)
    X = np.sort(gen.uniform(-2, 2, size=(3, 1)), axis=0)
    M = relu_model((1, 2, 1), X, bias="first")
    y = 2 * gen.standard_normal(3)
    q = M.nearest(y).point
    cell = voronoi_cell(M, q, max_cuts=40)
    assert cell.contains(y, atol=1e-6)
    check_cell(cell, bvls_dist(M), gen, n=8, delta=0.3, check_inside=cell.exact)
