"""check_safety against brute force on small random networks; counterexamples check out."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from relugeom._tol import DEFAULT
from relugeom.errors import EmptyDomainError, UnboundedError
from relugeom.network import ReLUNetwork
from relugeom.network._examples import random_network
from relugeom.polyhedra import Box, HPolytope, LPStatus, solve_lp
from relugeom.verify import InputSet, UnsafeSet, Verdict, check_safety

BAND = 1e-6   # brute-force optima closer to 0 than this are not used to judge the verdict


def brute_force_min_violation(net, lo, hi, uns: UnsafeSet, Pin=None) -> float:
    """min over ALL activation patterns (2^N) and unsafe parts of the LP
    ``min t s.t. C_j (A x + c) - d_j <= t`` on the pattern's region inside the box.

    Independent of the verifier: no bounds, no splitting, every pattern tried."""
    N, d = net.n_neurons, net.input_dim
    best = np.inf
    for bits in itertools.product([False, True], repeat=N):
        p = np.array(bits, dtype=bool)
        G, g = net.preactivation_maps(p)
        s = np.where(p, 1.0, -1.0)
        A_reg, b_reg = -s[:, None] * G, s * g
        A, c = net.affine_map(p)
        for j in range(uns.n_parts):
            rows = uns.group == j
            Cj, dj = uns.C[rows], uns.d[rows]
            A_ub = np.vstack([np.hstack([A_reg, np.zeros((N, 1))]),
                              np.hstack([Cj @ A, -np.ones((len(dj), 1))])])
            b_ub = np.concatenate([b_reg, dj - Cj @ c])
            if Pin is not None:
                A_ub = np.vstack([A_ub, np.hstack([Pin.A, np.zeros((len(Pin.b), 1))])])
                b_ub = np.concatenate([b_ub, Pin.b])
            cost = np.zeros(d + 1)
            cost[-1] = 1.0
            r = solve_lp(cost, A_ub, b_ub, bounds=list(zip(lo, hi)) + [(None, None)])
            if r.status is LPStatus.OPTIMAL:
                best = min(best, r.value)
    return best


def assert_counterexample(net, ins, uns, res, tol=DEFAULT):
    cex = res.counterexample
    assert cex is not None
    assert ins.contains(cex.x, tol=tol)
    y = net(cex.x)
    np.testing.assert_allclose(y, cex.y)
    assert uns.margin(y) <= tol.feas_atol
    assert uns.part_margins(y[None])[0, cex.unsafe_part] <= tol.feas_atol


@st.composite
def problems(draw):
    seed = draw(st.integers(0, 10**6))
    d = draw(st.integers(1, 3))
    hidden = draw(st.lists(st.integers(1, 4), min_size=1, max_size=2).filter(lambda h: sum(h) <= 7))
    m = draw(st.integers(1, 2))
    rng = np.random.default_rng(seed)
    net = random_network((d, *hidden, m), rng=rng, bias_scale=0.5)
    lo = rng.uniform(-1, 0, d)
    hi = lo + rng.uniform(0.2, 1.5, d)
    # unsafe: 1-2 parts of 1-2 random half-spaces, thresholds drawn around the output range
    Y = net(lo + (hi - lo) * rng.random((200, d)))
    parts = []
    for _ in range(draw(st.integers(1, 2))):
        k = draw(st.integers(1, 2))
        C = rng.normal(size=(k, m))
        vals = Y @ C.T
        q = draw(st.sampled_from([0.0, 0.02, 0.3]))
        off = draw(st.sampled_from([-0.05, -0.002, 0.0, 0.002]))
        dd = np.quantile(vals, q, axis=0) + off
        parts.append(HPolytope(C, dd))
    return net, Box(lo, hi), UnsafeSet(parts)


@given(problems(), st.booleans())
@settings(max_examples=40, deadline=None)
def test_verdict_agrees_with_brute_force(prob, falsify):
    net, box, uns = prob
    res = check_safety(net, box, uns, rng=0, falsify=falsify)
    assert res.verdict in (Verdict.SAFE, Verdict.UNSAFE)
    best = brute_force_min_violation(net, box.lo, box.hi, uns)
    if res.verdict is Verdict.UNSAFE:
        assert_counterexample(net, InputSet(box), uns, res)
        assert best <= DEFAULT.feas_atol
    else:
        assert best > -BAND, f"SAFE but brute force finds violation {best}"
        assert res.coverage == 1.0
    if best < -BAND:
        assert res.verdict is Verdict.UNSAFE
    if best > BAND:
        assert res.verdict is Verdict.SAFE


@given(problems())
@settings(max_examples=15, deadline=None)
def test_never_safe_when_sampling_finds_violation(prob):
    net, box, uns = prob
    rng = np.random.default_rng(1)
    X = box.lo + (box.hi - box.lo) * rng.random((20000, box.dim))
    violated = bool((uns.margin(net(X)) < -DEFAULT.feas_atol).any())
    res = check_safety(net, box, uns, rng=7, max_splits=5000)
    if violated:
        assert res.verdict is Verdict.UNSAFE
        assert_counterexample(net, InputSet(box), uns, res)


def test_polytope_and_union_inputs():
    net = random_network((2, 6, 5, 1), rng=3, bias_scale=0.5)
    tri = HPolytope([[1.0, 1.0], [-1.0, 0.0], [0.0, -1.0]], [1.0, 0.0, 0.0])
    ins = InputSet([tri, Box([1.5, 1.5], [2.0, 2.0])])
    Y = net(ins.sample(4000, rng=0))
    top = float(Y.max())
    # unsafe above the sampled max + margin: safe on both parts (checked by brute force)
    uns_safe = UnsafeSet(HPolytope([[-1.0]], [-(top + 0.5)]))
    res = check_safety(net, ins, uns_safe, rng=0)
    for k, p in enumerate(ins.parts):
        lo, hi = ins.part_bounds(k)
        best = brute_force_min_violation(net, lo, hi, uns_safe, None if isinstance(p, Box) else p)
        assert best > 0
    assert res.verdict is Verdict.SAFE
    uns_bad = UnsafeSet(HPolytope([[-1.0]], [-(top - 1e-3)]))
    res = check_safety(net, ins, uns_bad, rng=0)
    assert res.verdict is Verdict.UNSAFE
    assert_counterexample(net, ins, uns_bad, res)


def test_executor_gives_same_verdicts():
    net = random_network((2, 8, 8, 2), rng=11, bias_scale=0.3)
    box = Box([-1, -1], [1, 1])
    Y = net(box.lo + 2 * np.random.default_rng(0).random((5000, 2)))
    for shift, want in [(0.3, Verdict.SAFE), (-0.05, Verdict.UNSAFE)]:
        uns = UnsafeSet(HPolytope([[-1.0, 0.0]], [-(Y[:, 0].max() + shift)]))
        with ThreadPoolExecutor(2) as ex:
            r1 = check_safety(net, box, uns, rng=0, executor=ex)
        r0 = check_safety(net, box, uns, rng=0)
        assert r0.verdict is r1.verdict is want


def test_exact_counterexample_is_checked_in_rationals():
    net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])          # |x|
    res = check_safety(net, Box([-1], [2]), HPolytope([[-1.0]], [-1.5]), exact=True, rng=0)
    assert res.verdict is Verdict.UNSAFE and res.exact
    cex = res.counterexample
    assert isinstance(cex.exact_margin, Fraction) and cex.exact_margin <= 0
    assert net.evaluate_exact([Fraction(cex.x[0])])[0] >= Fraction(3, 2)


def test_limits_give_partial_results():
    net = random_network((3, 10, 10, 2), rng=5, bias_scale=0.2)
    box = Box([-1, -1, -1], [1, 1, 1])
    Y = net(box.lo + 2 * np.random.default_rng(0).random((5000, 3)))
    uns = UnsafeSet(HPolytope([[-1.0, 1.0]], [-(np.max(Y[:, 0] - Y[:, 1]) + 0.1)]))
    r = check_safety(net, box, uns, rng=0, max_splits=1)
    assert r.verdict is Verdict.UNKNOWN
    assert 0.0 <= r.coverage < 1.0 and "max_splits" in r.reason
    r = check_safety(net, box, uns, rng=0, time_limit=0.0)
    assert r.verdict is Verdict.TIMEOUT and r.coverage < 1.0
    r = check_safety(net, box, uns, rng=0)
    assert r.verdict is Verdict.SAFE and r.coverage == 1.0


def test_seed_is_recorded_and_tolerance_reported():
    net = ReLUNetwork([[[1.0]]])
    r = check_safety(net, Box([0], [1]), HPolytope([[-1.0]], [-2.0]), rng=42)
    assert r.seed == 42 and r.tol is DEFAULT and r.seconds >= 0


def test_size_and_domain_errors():
    net = ReLUNetwork([[[1.0, 1.0]]])       # R^2 -> R
    with pytest.raises(ValueError, match="input set lives in R\\^1 but the network has 2 inputs"):
        check_safety(net, Box([0], [1]), HPolytope([[1.0]], [0.0]))
    with pytest.raises(ValueError, match="unsafe set lives in R\\^2 but the network has 1 outputs"):
        check_safety(net, Box([0, 0], [1, 1]), HPolytope([[1.0, 0.0]], [0.0]))
    empty = HPolytope([[1.0, 0.0], [-1.0, 0.0]], [0.0, -1.0])
    with pytest.raises(EmptyDomainError):
        check_safety(net, empty, HPolytope([[1.0]], [0.0]))
    halfplane = HPolytope([[1.0, 0.0]], [0.0])
    with pytest.raises(UnboundedError, match="unbounded"):
        check_safety(net, halfplane, HPolytope([[1.0]], [0.0]))
    with pytest.raises(TypeError, match="input set must be"):
        check_safety(net, "box", HPolytope([[1.0]], [0.0]))


@given(problems())
@settings(max_examples=15, deadline=None)
def test_exact_mode_agrees_with_brute_force(prob):
    net, box, uns = prob
    res = check_safety(net, box, uns, rng=0, exact=True, falsify=False, time_limit=60)
    best = brute_force_min_violation(net, box.lo, box.hi, uns)
    assert res.exact
    if res.verdict is Verdict.UNSAFE:
        assert_counterexample(net, InputSet(box), uns, res)
        assert res.counterexample.exact_margin <= 0
    elif res.verdict is Verdict.SAFE:
        assert best > -BAND
        assert any(c.kind == "leaf" for c in res.certificates)
        assert all(all(v >= 0 for v in c.y) for c in res.certificates)
    else:  # only allowed when a certificate could not be found on a boundary case
        assert res.verdict is Verdict.UNKNOWN and abs(best) <= BAND
    if best < -BAND:
        assert res.verdict is Verdict.UNSAFE
    if best > BAND:
        assert res.verdict is Verdict.SAFE


def test_progress_bar_and_generator_seed(capsys):
    net = random_network((2, 6, 1), rng=0)
    gen = np.random.default_rng(3)
    r = check_safety(net, Box([-1, -1], [1, 1]), HPolytope([[-1.0]], [-100.0]), progress=True, rng=gen)
    assert r.verdict is Verdict.SAFE and r.seed is None


@given(problems(), st.sampled_from(["best", "all"]), st.sampled_from(["gradient", "smear", "widest"]))
@settings(max_examples=25, deadline=None)
def test_search_options_agree_with_brute_force(prob, alpha_rows, split):
    """The branch and bound alone (no falsification), with α-CROWN from the first box and
    each split rule: SAFE only when brute force finds no violation, counterexamples real."""
    from relugeom.verify._check import _bab_part

    net, box, uns = prob
    out = _bab_part(net, uns, box.lo, box.hi, None, DEFAULT, None, 20000, alpha_after=0,
                    alpha_rows=alpha_rows, split=split, exact_unstable=0)
    best = brute_force_min_violation(net, box.lo, box.hi, uns)
    assert out.status in ("safe", "cex")
    if out.status == "safe":
        assert best > -BAND
    else:
        assert box.contains(out.x, tol=DEFAULT)
        assert uns.margin(net(out.x)) <= DEFAULT.feas_atol
        assert best <= DEFAULT.feas_atol
