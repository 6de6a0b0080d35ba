"""Linear pieces, vertices/edges (Euler characteristic), polygons, plots."""

from __future__ import annotations

import numpy as np
import pytest

from relugeom import ReLUNetwork
from relugeom.errors import UnboundedError
from relugeom.network import example_network
from relugeom.network._examples import random_network
from relugeom.polyhedra import Box
from relugeom.regions import enumerate_regions


def test_pieces_merge_regions_with_equal_maps():
    # |x| plus a neuron relu(x - 0.5) with zero output weight: 3 regions, 2 linear pieces
    net = ReLUNetwork([[[1.0], [-1.0], [1.0]], [[1.0, 1.0, 0.0]]], [[0.0, 0.0, -0.5], [0.0]])
    cx = enumerate_regions(net, "unbounded", method="lp")
    assert cx.n_regions == 3 and cx.n_linear_pieces() == 2
    pieces = cx.linear_pieces()
    assert sorted(len(p) for p in pieces) == [1, 2]
    # 2-D: a dead neuron's line splits regions without changing the map
    net2 = ReLUNetwork([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0, 0.0]]], [[0.0, 0.0, 0.3], [0.0]])
    cx2 = enumerate_regions(net2, Box([-1, -1], [1, 1]), method="lp")
    assert cx2.n_regions == 7 and cx2.n_linear_pieces() == 4  # the line x + y = -0.3 cuts 3 quadrants


@pytest.mark.parametrize("widths,seed", [((2, 6, 5, 1), 31), ((2, 4, 4, 4, 1), 32)])
def test_euler_characteristic_2d(widths, seed):
    net = random_network(widths, rng=seed)
    cx = enumerate_regions(net, Box([-1, -1], [1, 1]), method="lp")
    V, E = cx.vertices(), cx.edges()
    assert len(V) - len(E) + cx.n_regions == 1  # a subdivided disk
    # every facet is an edge: interior + boundary facets = edges
    assert len(E) == cx.n_facets
    area = sum(p.area for p in cx.polygons())
    assert abs(area - 4.0) < 1e-9


def test_euler_characteristic_3d():
    net = random_network((3, 5, 4, 1), rng=33)
    cx = enumerate_regions(net, Box(-np.ones(3), np.ones(3)), method="lp")
    V, E = cx.vertices(), cx.edges()
    # V - E + F - C = 1 for a subdivided ball (F = 2-faces = facets of the complex)
    assert len(V) - len(E) + cx.n_facets - cx.n_regions == 1
    assert abs(cx.volumes().sum() - 8.0) <= 8e-9


def test_unbounded_low_dim_geometry_raises():
    cx = enumerate_regions(example_network("three_units"), "unbounded", method="lp")
    with pytest.raises(UnboundedError):
        cx.vertices()


@pytest.mark.parametrize("color_by", ["pattern", "value", "piece"])
def test_plot(color_by, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cx = enumerate_regions(random_network((2, 5, 5, 1), rng=34), Box([-1, -1], [1, 1]), method="lp")
    ax = cx.plot(color_by=color_by)
    assert len(ax.collections[0].get_paths()) == cx.n_regions
    ax.figure.savefig(tmp_path / "p.png")
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="ColorBy"):
        cx.plot(color_by="nope")


def test_region_object():
    net = random_network((2, 5, 5, 2), rng=35)
    cx = enumerate_regions(net, Box([-1, -1], [1, 1]), method="lp")
    for i in range(cx.n_regions):
        r = cx.region(i)
        assert r.polytope.n_constraints == r.n_facets == len(cx.facet_rows(i))
        for f, a, b in zip(r.facets, r.polytope.A, r.polytope.b):
            if f.label == "boundary":
                assert f.neighbor == -1 and f.neuron is None
            else:
                assert f.label == net.neuron(f.neuron)
                # the neighbour lies across this facet: its point violates the row
                assert a @ cx.points[f.neighbor] > b
