"""Output-variety invariants and reachability."""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np
import pytest

from relugeom.patterns import (ActivationRegion, OutputMap, ReachStatus, output_invariants, parse_blocks,
                               reachability)

P = 2147483629


def _data(rng, n0=2):
    return [[Fraction(int(v)) for v in row] for row in rng.integers(-4, 5, size=(6, n0))]


@pytest.fixture
def case(rng):
    A = parse_blocks("10;11", (2, 2, 2), point_blocks=[0, 0, 0, 1, 1, 1])
    X = np.array([[1, 0], [2, -1], [3, -1], [1, 1], [2, 1], [1, 2]], dtype=object)
    X = np.vectorize(Fraction)(X)
    return A, X


def test_change_of_coordinates_invariants_vanish_on_the_region(case, rng):
    A, X = case
    inv = output_invariants(A, X, 3)
    assert inv.method == "change_of_coordinates"
    # 2 kernel directions per block and output row -> 4 linear; 2 quadrics from J^A
    assert sorted(inv.degrees) == [1, 1, 1, 1, 2, 2]
    psi = OutputMap(A, X)
    R = ActivationRegion(A, X)
    for seed in range(3):
        found = R.find_point(rng=seed)
        assert found.theta is not None
        y = psi.evaluate_exact([Fraction(float(v)) for v in np.asarray(found.theta, dtype=float)])
        vals = [flint.fmpq(v.numerator, v.denominator) for v in y]
        assert all(g(*vals) == 0 for g in inv.generators)
    # and on the whole parametrization (mod p, random theta)
    th = rng.integers(0, P, size=(5, psi.n_params))
    Y = psi.evaluate_mod_p(th, P)
    for g in inv.generators:
        for row in Y:
            v = g(*[flint.fmpq(int(x)) for x in row])
            assert int(v.p) * pow(int(v.q), -1, P) % P == 0


def test_interpolation_agrees_with_change_of_coordinates(case):
    A, X = case
    a = output_invariants(A, X, 2, method="change_of_coordinates")
    b = output_invariants(A, X, 2, method="interpolation")
    assert sorted(a.degrees) == sorted(b.degrees)
    # same ideal in degree <= 2: each generator of one vanishes where the other's do -> compare spans
    ctx = OutputMap(A, X).output_ring()
    def span_rank(polys):
        mons = sorted({m for f in polys for m in f.to_dict()})
        rows = [[f.to_dict().get(m, 0) for m in mons] for f in polys]
        return flint.fmpq_mat(len(rows), len(mons), [c for r in rows for c in r]).rank()
    both = list(a.generators) + list(b.generators)
    # degree-2 parts modulo linear forms differ by linear multiples, so compare the linear parts exactly
    la = [g for g in a.generators if g.total_degree() == 1]
    lb = [g for g in b.generators if g.total_degree() == 1]
    assert span_rank(la) == span_rank(lb) == span_rank(la + lb) == 4
    assert len(both) == 12


def test_rank_deficient_blocks_use_interpolation():
    A = parse_blocks("10;11", (2, 2, 2), point_blocks=[0, 1, 1])
    X = [[1, 2], [1, 0], [0, 1]]
    inv = output_invariants(A, np.vectorize(Fraction)(np.array(X, dtype=object)), 2)
    assert inv.method == "interpolation"


def test_reachability_exact_unreachable_and_reachable(case, rng):
    A, X = case
    inv = output_invariants(A, X, 2)
    psi = OutputMap(A, X)
    # a generic rational Y violates the linear (kernel) invariants
    Y = rng.integers(-5, 6, size=(6, 2)).tolist()
    r = reachability(A, X, Y, invariants=inv)
    assert r.status is ReachStatus.UNREACHABLE and r.exact and r.value != 0
    # an output of a network in the region is never declared unreachable, and a witness is found
    found = ActivationRegion(A, X).find_point(rng=0)
    theta = np.asarray(found.theta, dtype=float)
    yflat = psi.evaluate(theta)
    r2 = reachability(A, X, yflat, invariants=inv, rng=0)
    assert r2.status is ReachStatus.REACHABLE and r2.residual <= 1e-6 * max(1, np.abs(yflat).max())


def test_reachability_empty_region():
    A = parse_blocks("10;11", (1, 2, 1), point_blocks=[0, 1])
    r = reachability(A, [[1], [2]], [[1], [2]], max_degree=2)
    assert r.status is ReachStatus.UNREACHABLE and "empty" in r.reason
