"""Tests of relugeom.tropical: the tropical form F ⊘ G of ReLU networks and its geometry."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relugeom.network import ReLUNetwork, example_network
from relugeom.network._examples import random_network
from relugeom.polyhedra import Box
from relugeom.regions import enumerate_regions
from relugeom.tropical import (TropicalPolynomial, TropicalRational, decision_boundary, dual_subdivision,
                               newton_polytope, one_layer_zonotopes, prune_terms, tropical_form,
                               tropical_hypersurface)

SMALL_WIDTHS = [(1, 3, 1), (1, 4, 3, 1), (2, 3, 1), (2, 5, 1), (2, 4, 3, 1), (2, 3, 3, 2),
                (3, 4, 1), (3, 3, 3, 1), (1, 3, 3, 3, 1)]


def _terms(p: TropicalPolynomial) -> list:
    return sorted((float(c), tuple(float(v) for v in a)) for c, a in p.terms())


# ------------------------------------------------------------------ F − G equals the network
@given(st.sampled_from(SMALL_WIDTHS), st.integers(0, 10_000))
def test_form_equals_network_at_random_points(widths, seed):
    net = random_network(widths, rng=seed)
    form = tropical_form(net)
    X = np.random.default_rng(seed).normal(size=(400, widths[0])) * 3
    y = net(X)
    z = form(X)
    assert z.shape == y.shape
    assert np.all(np.abs(z - y) <= 1e-9 * (1 + np.abs(y)))


def test_form_equals_network_without_pruning():
    net = random_network((2, 3, 3, 1), rng=3)
    full = tropical_form(net, prune=False)
    pruned = tropical_form(net)
    X = np.random.default_rng(0).normal(size=(300, 2)) * 3
    assert np.allclose(full(X), net(X), rtol=1e-9, atol=1e-9)
    assert full.F.n_terms > pruned.F.n_terms  # pruning removed something
    assert full.layers[-1].terms_unpruned == pruned.layers[-1].terms_unpruned
    # the pruned F is the same function as the unpruned F
    assert np.allclose(full.F(X), pruned.F(X), rtol=1e-12, atol=1e-9)


def test_lp_and_hull_pruning_give_the_same_form():
    net = random_network((2, 4, 3, 1), rng=11)
    a = tropical_form(net, method="hull")
    b = tropical_form(net, method="lp")
    for P, Q in ((a.F, b.F), (a.G, b.G)):
        tp, tq = _terms(P), _terms(Q)
        assert len(tp) == len(tq)
        flat = lambda ts: np.array([[c, *e] for c, e in ts])  # noqa: E731 - (c, a_1, …, a_n) rows
        np.testing.assert_allclose(flat(tp), flat(tq), rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------- literature cases
def test_three_pieces():
    form = tropical_form(example_network("three_pieces"))   # relu(x) − 2 relu(1 − x)
    assert _terms(form.F) == [(0.0, (2.0,)), (0.0, (3.0,))]          # max(3x, 2x)
    assert _terms(form.G) == [(0.0, (2.0,)), (2.0, (0.0,))]          # max(2, 2x)
    assert form.n_pieces() == 3
    assert form[0].breakpoints().tolist() == [0.0, 1.0]


def test_three_units():
    form = tropical_form(example_network("three_units"))  # relu(x) + relu(y) + relu(1 − x − y)
    assert form.F.n_terms == 7
    assert len(form.F.nonredundant(method="lp")) == 7          # all 7 are non-redundant
    assert _terms(form.G) == [(0.0, (1.0, 1.0))]               # G = x + y
    assert form.n_pieces() == 7


def test_sawtooth_breakpoints():
    for exact in (False, True):
        form = tropical_form(example_network("sawtooth"), exact=exact)
        assert form[0].breakpoints() == pytest.approx([0, 0.25, 0.5, 0.75, 1.0], abs=1e-12)
        assert form.n_pieces() == 6


# --------------------------------------------------------- pieces: bound and regions' count
@settings(max_examples=10)
@given(st.sampled_from([(1, 4, 3, 1), (2, 4, 1), (2, 3, 3, 1), (2, 5, 1), (3, 3, 2, 1)]),
       st.integers(0, 10_000))
def test_pieces_bounded_by_upper_hull_vertices(widths, seed):
    r = tropical_form(random_network(widths, rng=seed))[0]
    lp = r.linear_pieces()
    assert lp.n_pieces <= lp.n_cells == r.upper_hull_bound()
    # on each cell of F ⊙ G, F − G is the piece's affine map (check at a cell interior point)
    P = lp.product
    X = np.random.default_rng(seed).normal(size=(300, widths[0])) * 3
    cell = P.argmax(X)
    M = lp.maps[lp.cell_piece[cell]]
    assert np.allclose(np.sum(M[:, :-1] * X, axis=1) + M[:, -1], r(X), atol=1e-8)


@pytest.mark.parametrize("widths,seed", [((1, 4, 3, 1), 0), ((2, 4, 1), 1), ((2, 5, 1), 2),
                                         ((2, 3, 3, 1), 3), ((2, 4, 3, 1), 4), ((3, 3, 2, 1), 5),
                                         ((1, 3, 3, 3, 1), 6), ((1, 8, 8, 8, 1), 0)])
def test_pieces_match_regions_on_Rn(widths, seed):
    net = random_network(widths, rng=seed)
    cx = enumerate_regions(net, "unbounded", method="lp")
    assert cx.complete
    form = tropical_form(net)
    assert form.n_pieces() == cx.n_linear_pieces()
    X = np.random.default_rng(seed).normal(size=(2000, widths[0])) * 3
    assert np.all(np.abs(form(X) - net(X)) <= 1e-9 * (1 + np.abs(net(X))))
    # each of F and G has at most as many terms as there are regions
    assert form.F.n_terms <= cx.n_regions and form.G.n_terms <= cx.n_regions


def test_one_layer_counts_match_zaslavsky():
    # one hidden layer, generic weights: pieces = regions = Σ_{i<=n0} C(n1, i) (all v_j ≠ 0)
    from math import comb

    net = random_network((2, 5, 1), rng=42)
    assert tropical_form(net).n_pieces() == sum(comb(5, i) for i in range(3))


# ------------------------------------------------------------------------- exact round trips
def _integer_network(widths, seed):
    g = np.random.default_rng(seed)
    Ws = [g.integers(-3, 4, size=(o, i)).astype(float) for i, o in zip(widths[:-1], widths[1:])]
    bs = [g.integers(-3, 4, size=o).astype(float) for o in widths[1:]]
    return ReLUNetwork(Ws, bs)


@given(st.sampled_from([(1, 3, 2, 1), (2, 3, 1), (2, 3, 2, 1), (3, 2, 2, 1)]), st.integers(0, 10_000))
def test_integer_network_round_trips_exactly(widths, seed):
    net = _integer_network(widths, seed)
    form = tropical_form(net, exact=True)
    assert form.exact and form.F.exact
    for c, a in form.F.terms() + form.G.terms():
        assert isinstance(c, Fraction) and c.denominator == 1
        assert all(isinstance(v, Fraction) and v.denominator == 1 for v in a)
    g = np.random.default_rng(seed)
    for _ in range(10):
        x = [Fraction(int(g.integers(-40, 41)), int(g.integers(1, 9))) for _ in range(widths[0])]
        assert form.evaluate_exact(x) == net.evaluate_exact(x)
    # and back: the converted network is exactly the same function
    back = form.to_network()
    for _ in range(5):
        x = [Fraction(int(g.integers(-40, 41)), int(g.integers(1, 9))) for _ in range(widths[0])]
        assert back.evaluate_exact(x) == net.evaluate_exact(x)


@settings(max_examples=8)
@given(st.sampled_from([(1, 3, 3, 1), (2, 4, 1), (2, 3, 2, 1), (2, 3, 2, 2)]), st.integers(0, 10_000))
def test_rational_to_network_to_rational(widths, seed):
    net = random_network(widths, rng=seed)
    form = tropical_form(net)
    net2 = form.to_network()
    form2 = tropical_form(net2)
    X = np.random.default_rng(seed).normal(size=(300, widths[0])) * 3
    assert np.allclose(net2(X), net(X), rtol=1e-9, atol=1e-9)
    assert np.allclose(form2(X), net(X), rtol=1e-9, atol=1e-9)
    for k in range(net.output_dim):
        assert form2.n_pieces(k) == form.n_pieces(k)


def test_polynomial_to_network_exact():
    F = TropicalPolynomial([0, 1, -2, 3], [[1, 2], [0, 0], [3, -1], [-1, 0]], exact=True)
    net = F.to_network()
    g = np.random.default_rng(0)
    for _ in range(20):
        x = [Fraction(int(g.integers(-30, 31)), 7), Fraction(int(g.integers(-30, 31)), 5)]
        assert net.evaluate_exact(x) == [F.evaluate_exact(x)]


# ------------------------------------------------------------------------------- polynomials
@settings(max_examples=15)
@given(st.integers(1, 3), st.integers(1, 40), st.integers(0, 10_000), st.booleans())
def test_pruning_methods_agree_and_keep_the_function(n, m, seed, integer):
    g = np.random.default_rng(seed)
    if integer:
        A = g.integers(-2, 3, size=(m, n)).astype(float)
        c = g.integers(-2, 3, size=m).astype(float)
    else:
        A, c = g.normal(size=(m, n)), g.normal(size=m)
    hull = prune_terms(A, c, method="hull")
    lp = prune_terms(A, c, method="lp")
    assert hull.tolist() == lp.tolist()
    F = TropicalPolynomial(c, A)
    X = g.normal(size=(500, n)) * 5
    assert np.allclose(F.prune()(X), F(X))
    # every kept term is strictly maximal somewhere: at its dual cell's interior the LP finds it
    assert set(F.argmax(X)) <= set(range(m))


def test_algebra():
    x, y = TropicalPolynomial.variables(2)
    F = (x + y + 0.0) * (x ** 2 + 1.0)          # max(x, y, 0) + max(2x, 1)
    X = np.random.default_rng(1).normal(size=(50, 2))
    expect = np.maximum(np.maximum(X[:, 0], X[:, 1]), 0) + np.maximum(2 * X[:, 0], 1)
    assert np.allclose(F(X), expect)
    assert F.n_terms == 6
    P = F.prune()          # 2x (= 0 + 2x) lies below the segment from 1 to 3x: redundant
    assert P.n_terms == 5 and (0.0, (2.0, 0.0)) not in P.terms()
    assert np.allclose(P(X), F(X))
    with pytest.raises(ValueError, match="t >= 0"):
        x.power(-1)
    with pytest.raises(ValueError, match="variables"):
        x * TropicalPolynomial.variables(3)[0]
    with pytest.raises(ValueError, match="one row per coefficient"):
        TropicalPolynomial([0.0, 1.0], [[1.0]])
    d = F.to_dict()
    assert TropicalPolynomial.from_dict(json.loads(json.dumps(d))).terms() == F.terms()


def test_newton_polytope_and_subdivision():
    F = TropicalPolynomial([0.0, 0.0, 0.0, 1.0, -5.0], [[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5]])
    assert newton_polytope(F).tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    S = dual_subdivision(F)
    assert S.polynomial.n_terms == 4
    assert sorted(map(len, S.cells)) == [3, 3]
    # each cell's vertex is where exactly its terms attain the maximum
    for cell, x in zip(S.cells, S.vertices):
        v = S.polynomial.values(x)[0]
        assert set(np.flatnonzero(v >= v.max() - 1e-9)) == set(cell.tolist())
    lifted = F.lifted_newton_polytope()
    assert sorted(map(tuple, lifted.tolist())) == [(0, 0, 0), (0, 1, 0), (1, 0, 0), (1, 1, 1)]


def test_hypersurface_of_a_tropical_line():
    F = TropicalPolynomial([0.0, 0.0, 0.0], [[1, 0], [0, 1], [0, 0]])  # max(x, y, 0)
    H = tropical_hypersurface(F, Box([-1, -1], [2, 2]))
    assert H.n_cells == 3
    segs = H.segments()
    for (p, q) in segs:
        for t in np.linspace(0, 1, 7):
            v = F.values(p + t * (q - p))[0]
            assert np.sum(v >= v.max() - 1e-9) >= 2   # the max is attained twice on the curve
    lengths = sorted(np.round(np.linalg.norm(segs[:, 1] - segs[:, 0], axis=1), 9).tolist())
    assert lengths == pytest.approx([1.0, 1.0, 2 * np.sqrt(2)])
    # a box below the vertex meets only the ray {x = 0 >= y} (terms x and 0 tie)
    H2 = tropical_hypersurface(F, Box([-1, -2], [1, -0.5]))
    assert [c.terms for c in H2.cells] == [(0, 2)]


def test_zonotopes_of_one_hidden_layer():
    for seed in range(3):
        net = random_network((2, 4, 1), rng=seed)
        form = tropical_form(net)
        Z = one_layer_zonotopes(net)
        assert len(Z.generators_F) + len(Z.generators_G) == 4
        for which, P in (("F", form.F), ("G", form.G)):
            V = Z.vertices(which)
            W = P.lifted_newton_polytope()
            W = W[np.lexsort(W.T[::-1])]
            assert np.allclose(V, W)


def test_decision_boundary_two_classes():
    net = random_network((2, 6, 2), rng=5)
    form = tropical_form(net)
    box = Box([-3, -3], [3, 3])
    B, H = decision_boundary(form[0], form[1], box)
    assert 0 < B.n_cells <= H.n_cells
    # on the boundary cells the two outputs are equal ...
    for cell in B.cells:
        y = net(cell.witness)
        assert abs(y[0] - y[1]) <= 1e-8 * (1 + abs(y).max())
    # ... on the other cells of the hypersurface they are not
    others = [cell for cell in H.cells if cell not in B.cells]
    for cell in others:
        y = net(cell.witness)
        assert abs(y[0] - y[1]) > 1e-9
    # every sign change of f1 − f2 along random segments lies on a boundary segment
    segs = B.segments()
    g = np.random.default_rng(0)
    for _ in range(20):
        p, q = g.uniform(-3, 3, size=(2, 2))
        t = np.linspace(0, 1, 2001)[:, None]
        d = np.diff(net(p + t * (q - p)), axis=1).ravel()
        for k in np.flatnonzero(np.sign(d[:-1]) * np.sign(d[1:]) < 0):
            x = p + (t[k, 0] + 0.5 / 2000) * (q - p)
            dist = min(_dist_to_segment(x, a, b) for a, b in segs)
            assert dist < 1e-2


def _dist_to_segment(x, a, b):
    ab = b - a
    s = np.clip(np.dot(x - a, ab) / max(np.dot(ab, ab), 1e-300), 0, 1)
    return float(np.linalg.norm(x - (a + s * ab)))


@pytest.mark.slow
def test_rational_round_trip_regression():
    # Clarkson's LP loop once failed to terminate on this network's round trip
    net = random_network((2, 3, 3, 2), rng=8971)
    form = tropical_form(net)
    form2 = tropical_form(form.to_network())
    X = np.random.default_rng(0).normal(size=(300, 2)) * 3
    assert np.allclose(form2(X), net(X), rtol=1e-9, atol=1e-9)
    assert [form2.n_pieces(k) for k in range(2)] == [form.n_pieces(k) for k in range(2)]


def test_rational_basics():
    F = TropicalPolynomial([0.0, 0.0], [[1.0], [0.0]])
    r = TropicalRational(F, F)
    assert r.n_pieces() == 1 and r.upper_hull_bound() == 2
    assert TropicalRational.from_dict(json.loads(json.dumps(r.to_dict())))(3.0 * np.ones((1, 1))).tolist() == [0.0]
    with pytest.raises(ValueError, match="variables"):
        TropicalRational(F, TropicalPolynomial.variables(2)[0])


def test_time_limit_and_incomplete():
    net = random_network((2, 6, 6, 1), rng=0)
    form = tropical_form(net, time_limit=0.0)
    assert not form.complete and form.rationals is None
    with pytest.raises(ValueError, match="incomplete"):
        form.F
    small = tropical_form(net, prune=False, max_terms=50)
    assert not small.complete


# ---------------------------------------------------------------------------- CLI and plots
def test_cli_json_and_plot(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from relugeom.cli.main import main

    path = tmp_path / "net.npz"
    example_network("three_units").to_npz(path)
    out, png = tmp_path / "out.json", tmp_path / "out.png"
    assert main(["tropical", str(path), "--json", str(out), "--plot", str(png)]) == 0
    data = json.loads(out.read_text())
    assert data["n_terms_F"] == 7 and data["n_terms_G"] == 1 and data["n_pieces"] == 7
    assert len(data["F"]["coefficients"]) == 7
    assert png.stat().st_size > 1000
    assert main(["tropical", str(tmp_path / "missing.npz")]) == 2  # no such file: usage error


def test_plot_one_dimensional(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from relugeom.tropical import plot_tropical

    fig = plot_tropical(example_network("sawtooth"), Box([-0.5], [1.5]), tmp_path / "saw.png")
    assert len(fig.axes) == 2 and (tmp_path / "saw.png").exists()
