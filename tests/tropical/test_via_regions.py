"""algorithm="regions" (terms read off the linear regions) agrees with the pruned recursion."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relugeom._tol import resolve
from relugeom.network._examples import random_network
from relugeom.tropical import tropical_form


def _term_set(p, tol):
    A, c = p.float_arrays()
    M = np.column_stack([c, A])
    scale = max(1.0, float(np.abs(M).max(initial=0.0)))
    return {tuple(r) for r in np.round(M / (scale * 1e3 * tol.map_rtol)).astype(np.int64)}


@settings(deadline=None, max_examples=15)
@given(n=st.integers(1, 3), hidden=st.lists(st.integers(1, 4), min_size=1, max_size=2),
       seed=st.integers(0, 10**6))
def test_regions_matches_recursion(n, hidden, seed):
    net = random_network((n, *hidden, 1), rng=seed)
    t = resolve(None)
    rec = tropical_form(net, algorithm="recursion")
    reg = tropical_form(net, algorithm="regions")
    assert rec.complete and reg.complete
    assert reg.F.n_terms == rec.F.n_terms and reg.G.n_terms == rec.G.n_terms
    assert _term_set(reg.F, t) == _term_set(rec.F, t)
    assert _term_set(reg.G, t) == _term_set(rec.G, t)
    assert [(s.terms, s.max_terms, s.terms_unpruned) for s in reg.layers] == \
        [(s.terms, s.max_terms, s.terms_unpruned) for s in rec.layers]
    X = np.random.default_rng(seed).normal(size=(200, n)) * 3
    np.testing.assert_allclose(reg(X), net(X), rtol=1e-7, atol=1e-7)
    # pieces kept from the region complex = pieces from the cells of F ⊙ G (tropical side)
    assert reg.pieces is not None and rec.pieces is None
    assert reg.n_pieces() == reg[0].n_pieces(tol=reg.tol) == rec.n_pieces()


def test_regions_exact_and_multi_output():
    net = random_network((2, 4, 3, 2), rng=3)
    rec = tropical_form(net, algorithm="recursion", exact=True)
    reg = tropical_form(net, algorithm="regions", exact=True)
    for k in range(2):
        assert sorted(reg[k].F.terms()) == sorted(rec[k].F.terms())
        assert sorted(reg[k].G.terms()) == sorted(rec[k].G.terms())
    from fractions import Fraction
    x = [Fraction(1, 3), Fraction(-2, 7)]
    assert reg.evaluate_exact(x) == net.evaluate_exact(x)
    assert [reg.n_pieces(k) for k in range(2)] == [rec.n_pieces(k) for k in range(2)]


def test_regions_needs_prune():
    with pytest.raises(ValueError, match="prune"):
        tropical_form(random_network((1, 2, 1), rng=0), algorithm="regions", prune=False)
