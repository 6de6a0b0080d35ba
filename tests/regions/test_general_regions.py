"""Regions of general networks (conv, residual, pooling, leaky ReLU, clip, max units).

Independent methods must agree: the skeleton method and the LP traversal, brute force over
all patterns (one LP each), dense sampling of the units' pieces, volumes adding up.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relugeom.errors import InfeasibleError
from relugeom.network import NetworkBuilder
from relugeom.polyhedra import Box, HPolytope
from relugeom.regions import Slice, count_regions, enumerate_regions, line_regions


def tiny_cnn(seed: int, *, residual: bool, leaky: bool, pool: str = "avg"):
    rng = np.random.default_rng(seed)
    b = NetworkBuilder((1, 3, 3))
    h = b.relu(b.conv(b.input, rng.normal(size=(2, 1, 2, 2)), rng.normal(size=2) * 0.3))
    if residual:
        g = b.conv(h, rng.normal(size=(2, 2, 1, 1)), rng.normal(size=2) * 0.3)
        h = b.relu(b.add(g, h))
    if pool == "avg":
        h = b.avgpool(h, kernel=(2, 2), strides=(1, 1))
    elif pool == "max":
        h = b.maxpool(h, kernel=(2, 2), strides=(1, 1))
    h = b.flatten(h)
    h = b.dense(h, rng.normal(size=(3, b_size(b, h))), rng.normal(size=3) * 0.3)
    h = b.leaky_relu(h, 0.1) if leaky else b.clip(h, -0.5, 0.5)
    return b.build(b.dense(h, rng.normal(size=(2, 3))))


def b_size(b: NetworkBuilder, h: int) -> int:
    return int(np.prod(b.build(h).output_shape))


def plane(net, seed: int, box=(0.0, 1.0)) -> Slice:
    rng = np.random.default_rng(seed + 1)
    P = rng.normal(size=(3, net.input_dim))
    return Slice(P[0], np.stack([P[1] - P[0], P[2] - P[0]]), Box([box[0]] * 2, [box[1]] * 2))


def _keys(P: np.ndarray) -> list[bytes]:
    return [r.tobytes() for r in np.packbits(P, axis=1)]


def _thin(cx, i: int) -> bool:
    A, b, _ = cx.hrep(i)
    return HPolytope(A, b).chebyshev_center()[1] <= 10 * cx.tol.interior_atol


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 10_000), st.booleans(), st.booleans())
def test_skeleton_and_lp_agree_on_conv_nets(seed, residual, leaky):
    net = tiny_cnn(seed, residual=residual, leaky=leaky)
    sl = plane(net, seed)
    sk = enumerate_regions(net, sl, method="skeleton")
    lp = enumerate_regions(net, sl, method="lp")
    assert sk.complete and lp.complete and sk.stats["method"] == "skeleton"
    ks, kl = _keys(sk.patterns), _keys(lp.patterns)
    # the LP method drops regions thinner than its interior tolerance; nothing else differs
    assert set(kl) <= set(ks)
    extra = [i for i, k in enumerate(ks) if k not in set(kl)]
    assert all(_thin(sk, i) for i in extra)
    if not extra:
        np.testing.assert_array_equal(sk.patterns, lp.patterns)
        np.testing.assert_array_equal(sk.facets, lp.facets)
    assert sk.check().ok


@pytest.mark.parametrize("seed", [0, 1])
def test_regions_equal_brute_force_over_patterns(seed):
    """Every pattern of the neurons, checked by one LP: full-dimensional iff enumerated."""
    rng = np.random.default_rng(seed)
    b = NetworkBuilder((1, 2, 2))
    h = b.relu(b.conv(b.input, rng.normal(size=(2, 1, 1, 2)), rng.normal(size=2) * 0.3))  # 4 neurons
    h = b.leaky_relu(b.dense(b.flatten(h), rng.normal(size=(3, 4)), rng.normal(size=3) * 0.3), 0.2)
    net = b.build(b.dense(h, rng.normal(size=(1, 3))))
    sl = plane(net, seed, box=(-1.0, 2.0))
    cx = enumerate_regions(net, sl, method="skeleton")
    work, dom = cx.net, sl.domain
    found = set(_keys(cx.patterns))
    brute = set()
    for bits in itertools.product([False, True], repeat=work.n_neurons):
        p = np.array(bits)
        G, g = work.preactivation_maps(p)
        s = np.where(p, -1.0, 1.0)
        A = np.vstack([s[:, None] * G, dom.A])
        bb = np.concatenate([-s * g, dom.b])
        keep = np.linalg.norm(A, axis=1) > 0
        try:
            radius = HPolytope(A[keep], bb[keep]).chebyshev_center()[1]
        except InfeasibleError:
            continue
        if radius > 1e-9:
            brute.add(_keys(p[None])[0])
    assert found == brute and len(found) > 5


def test_max_pool_pieces_against_sampling():
    net = tiny_cnn(5, residual=False, leaky=True, pool="max")
    assert net.needs_merge
    sl = plane(net, 5, box=(-1.0, 2.0))
    cx = enumerate_regions(net, sl)
    assert cx.stats["method"] == "lp"  # max-pooling after a ReLU ties dead inputs: no skeleton
    assert cx.n_regions < cx.fine.n_regions
    assert cx.check().ok
    assert abs(cx.volumes().sum() - 9.0) < 1e-8
    T = -1.0 + 3.0 * np.random.default_rng(0).random((100_000, 2))
    sampled = {r.tobytes() for r in cx.net.pieces(T).astype(np.int32)}
    regions = {r.tobytes() for r in cx.pieces.astype(np.int32)}
    assert sampled <= regions
    # every region big enough to be hit 20 times on average is hit
    big = [i for i in range(cx.n_regions) if cx.volumes()[i] > 20 * 9.0 / len(T)]
    assert {cx.pieces[i].astype(np.int32).tobytes() for i in big} <= sampled
    loc = cx.locate(T[:500])
    np.testing.assert_array_equal(cx.pieces[loc], cx.net.pieces(T[:500]))


def test_all_of_rn_and_counts_on_a_conv_net():
    net = tiny_cnn(2, residual=True, leaky=True)
    sl = Slice(np.zeros(net.input_dim), np.random.default_rng(2).normal(size=(2, net.input_dim)), "unbounded")
    a = enumerate_regions(net, sl, method="skeleton")
    b = enumerate_regions(net, sl, method="lp")
    assert a.n_regions == b.n_regions and a.stats["method"] == "skeleton"
    np.testing.assert_array_equal(a.patterns, b.patterns)
    box = plane(net, 2)
    assert count_regions(net, box).n_regions == enumerate_regions(net, box).n_regions


def test_line_regions_of_a_conv_net_match_sampling():
    net = tiny_cnn(5, residual=True, leaky=False)
    rng = np.random.default_rng(5)
    o, u = rng.normal(size=net.input_dim), rng.normal(size=net.input_dim)
    lr = line_regions(net, -3.0, 3.0, origin=o, direction=u)
    s = np.linspace(-3, 3, 200_001)
    P = net.activation_patterns(o + s[:, None] * u)
    changes = np.flatnonzero(np.any(P[1:] != P[:-1], axis=1))
    assert lr.n_regions == len(changes) + 1


def test_carried_next_level_equals_a_fresh_evaluation(monkeypatch):
    """A narrow next level accumulated during a level's cuts gives the same complex."""
    import relugeom.network._levels as L

    net = tiny_cnn(7, residual=False, leaky=True)   # conv -> relu -> avgpool -> dense: carried
    sl = plane(net, 7, box=(-1.0, 2.0))
    work = net.restrict(sl.origin, sl.directions)
    assert L._next_level_map(work, 0, 10, L.BUDGET) is not None
    a = enumerate_regions(net, sl, method="skeleton")
    monkeypatch.setattr(L, "_next_level_map", lambda *args: None)
    b = enumerate_regions(net, sl, method="skeleton")
    assert a.n_regions == b.n_regions > 20
    np.testing.assert_array_equal(a.patterns, b.patterns)
    np.testing.assert_array_equal(a.facets, b.facets)
