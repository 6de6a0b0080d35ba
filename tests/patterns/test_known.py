"""Known invariants: theorem minors vanish exactly; dimension bounds; the literature examples."""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np
from hypothesis import given, settings, strategies as st

from relugeom.patterns import PatternAssignment, PatternMap, known_invariants, parse_blocks, rank_conditions


def _vanish_exactly(A, bias, seed):
    phi = PatternMap(A, bias=bias)
    gen = np.random.default_rng(seed)
    th = [Fraction(int(a), int(b)) for a, b in zip(gen.integers(-9, 10, phi.n_params), gen.integers(1, 7, phi.n_params))]
    vals = [flint.fmpq(v.numerator, v.denominator) for v in phi.evaluate_exact(th)]
    K = known_invariants(A, max_degree=4, bias=bias)
    for k in K:
        assert k.polynomial(*vals) == 0, k.condition
    return phi, K


@st.composite
def shallow(draw):
    n0, n1, n2 = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    k = draw(st.integers(1, 3))
    pats = draw(st.lists(st.tuples(*[st.booleans()] * n1), min_size=k, max_size=k, unique=True))
    return PatternAssignment((n0, n1, n2), pats)


@settings(max_examples=15)
@given(shallow(), st.sampled_from(["none", "first"]), st.integers(0, 1000))
def test_theorem_minors_vanish_exactly(A, bias, seed):
    _vanish_exactly(A, bias, seed)


@settings(max_examples=10)
@given(st.integers(0, 1000))
def test_deep_conditions_vanish_exactly(seed):
    gen = np.random.default_rng(seed)
    widths = (2, 3, 2, 2)
    pats = gen.integers(0, 2, size=(3, 5)).astype(bool)
    _vanish_exactly(PatternAssignment(widths, pats), "none", seed)


@settings(max_examples=15)
@given(shallow(), st.integers(0, 1000))
def test_dimension_at_most_params_minus_rescalings(A, seed):
    phi = PatternMap(A)
    p = 2**31 - 1
    th = np.random.default_rng(seed).integers(0, p, size=phi.n_params)
    J = phi.jacobian_mod_p(th, p)
    M = flint.nmod_mat(J.shape[0], J.shape[1], [int(v) for v in J.ravel()], p)
    assert M.rank() <= phi.n_params - A.widths[1]
    # and never more than the ambient dimension
    assert M.rank() <= phi.n_outputs


def test_two_block_theorem_sizes():
    # R_1 = {1,2}, R_2 = {2,3} of n_1 = 4 neurons: neuron 4 never active -> u = 3, not n_1 = 4
    A = parse_blocks("1100;0110", (4, 4, 4))
    d = {c.description: c.bound for c in rank_conditions(A)}
    assert d["rank [M_1 | M_2] <= 3"] == 3 and d["rank [M_1; M_2] <= 3"] == 3
    assert d["rank M_1 <= 2"] == 2 and d["rank M_2 <= 2"] == 2
    assert d["rank M_1 - M_2 <= 2"] == 2          # t = r_1 + r_2 - 2 s = 2
    K = known_invariants(A, max_degree=4)
    assert {k.degree for k in K} == {3, 4}


def test_worked_example_polynomials():
    A = parse_blocks("10;11", (2, 2, 2))
    K = known_invariants(A)
    ctx = PatternMap(A).output_ring()
    m = dict(zip(ctx.names(), ctx.gens()))
    det1 = m["m_1_1_1"] * m["m_1_2_2"] - m["m_1_1_2"] * m["m_1_2_1"]
    d = [[m[f"m_1_{i}_{j}"] - m[f"m_2_{i}_{j}"] for j in (1, 2)] for i in (1, 2)]
    det2 = d[0][0] * d[1][1] - d[0][1] * d[1][0]
    got = {str(k.polynomial) for k in K}
    assert {str(det1 / det1.leading_coefficient()), str(det2 / det2.leading_coefficient())} == got
