"""Contract tests of the LP wrapper (both backends) and of IncrementalLP."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from relugeom._tol import DEFAULT, Tolerance
from relugeom.polyhedra import IncrementalLP, LPBackend, LPStatus, solve_lp

BACKENDS = list(LPBackend)


def _kkt_ok(c, A, b, res, Ae=None, be=None, atol=1e-7):
    """Primal feasibility, dual feasibility, stationarity and zero duality gap (free vars)."""
    x, y = res.x, res.dual
    assert np.all(A @ x - b <= atol)
    assert np.all(y >= -atol)
    grad = c + A.T @ y
    dual_obj = -b @ y
    if Ae is not None:
        assert np.allclose(Ae @ x, be, atol=atol)
        grad = grad + Ae.T @ res.dual_eq
        dual_obj = dual_obj - be @ res.dual_eq
    assert np.allclose(grad, 0, atol=atol)
    assert res.value == pytest.approx(c @ x, abs=atol)
    assert res.value == pytest.approx(dual_obj, abs=1e-6 * (1 + abs(res.value)))


@pytest.mark.parametrize("backend", BACKENDS)
class TestContract:
    def test_optimal_with_known_value(self, backend):
        # min -x - y on the triangle x, y >= 0, x + 2y <= 4, 3x + y <= 6 : optimum at (8/5, 6/5)
        A = np.array([[-1.0, 0], [0, -1], [1, 2], [3, 1]])
        b = np.array([0.0, 0, 4, 6])
        c = np.array([-1.0, -1.0])
        r = solve_lp(c, A, b, backend=backend)
        assert r.status is LPStatus.OPTIMAL and r.optimal
        assert np.allclose(r.x, [1.6, 1.2])
        assert r.value == pytest.approx(-2.8)
        _kkt_ok(c, A, b, r)
        assert r.tol is DEFAULT

    def test_infeasible_unbounded_kept_apart(self, backend):
        A = np.array([[1.0, 0.0], [-1.0, 0.0]])
        inf = solve_lp([0.0, 1.0], A, [0.0, -1.0], backend=backend)  # x <= 0, x >= 1
        assert inf.status is LPStatus.INFEASIBLE and inf.value == np.inf and inf.x is None
        unb = solve_lp([0.0, 1.0], A, [1.0, 1.0], backend=backend)   # y free below
        assert unb.status is LPStatus.UNBOUNDED and unb.value == -np.inf
        # both unbounded and infeasible-looking: infeasible must win
        both = solve_lp([0.0, -1.0], A, [0.0, -1.0], backend=backend)
        assert both.status is LPStatus.INFEASIBLE

    def test_equalities_and_bounds(self, backend):
        # min x0 + 2 x1 + 3 x2, x0 + x1 + x2 = 1, 0 <= x <= 1  -> x = e0
        r = solve_lp([1.0, 2.0, 3.0], None, None, [[1.0, 1.0, 1.0]], [1.0], bounds=(0, 1),
                     backend=backend)
        assert r.optimal and np.allclose(r.x, [1, 0, 0]) and r.value == pytest.approx(1.0)
        r = solve_lp([-1.0, -1.0], bounds=[(0, 2), (None, 3)], backend=backend)
        assert r.optimal and np.allclose(r.x, [2, 3])
        r = solve_lp([1.0], bounds=[(2, 1)], backend=backend)
        assert r.status is LPStatus.INFEASIBLE
        r = solve_lp([1.0, 1.0], None, None, [[1.0, 1.0], [1.0, 1.0]], [1.0, 2.0], backend=backend)
        assert r.status is LPStatus.INFEASIBLE

    def test_no_constraints(self, backend):
        assert solve_lp([0.0, 0.0], backend=backend).optimal
        assert solve_lp([1.0, 0.0], backend=backend).status is LPStatus.UNBOUNDED

    def test_malformed_input_is_one_clear_error(self, backend):
        with pytest.raises(ValueError, match="A_ub must have shape"):
            solve_lp([1.0, 1.0], [[1.0]], [1.0], backend=backend)
        with pytest.raises(ValueError, match="NaN"):
            solve_lp([np.nan], [[1.0]], [1.0], backend=backend)
        with pytest.raises(ValueError, match="both A_ub and b_ub"):
            solve_lp([1.0], [[1.0]], None, backend=backend)

    def test_tolerance_reported(self, backend):
        t = Tolerance(feas_atol=1e-7)
        assert solve_lp([1.0], [[-1.0]], [0.0], tol=t, backend=backend).tol is t


def test_bad_backend_name():
    with pytest.raises(ValueError, match="higs"):
        solve_lp([1.0], backend="higs")


def test_farkas_ray_from_highspy():
    A = np.array([[1.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    b = np.array([-1.0, 0.0, 0.0])  # x + y <= -1, x, y >= 0
    r = solve_lp([0.0, 0.0], A, b)
    assert r.status is LPStatus.INFEASIBLE and r.ray is not None
    y = r.ray
    assert np.all(y >= -1e-12) and np.allclose(y @ A, 0) and y @ b < 0


def _random_lp(rng, m, n, kind):
    A = rng.normal(size=(m, n))
    if kind == "bounded":
        x0 = rng.normal(size=n)
        b = A @ x0 + rng.uniform(0.1, 1.0, size=m)
        A = np.vstack([A, np.eye(n), -np.eye(n)])
        b = np.concatenate([b, x0 + 5, 5 - x0])
    elif kind == "infeasible":
        x0 = rng.normal(size=n)
        b = A @ x0 + rng.uniform(0.1, 1.0, size=m)
        a = rng.normal(size=n)
        # a x <= t and -a x <= -t - 1 contradict
        A = np.vstack([A, a, -a])
        b = np.concatenate([b, [0.0, -1.0]])
    else:  # maybe unbounded: few constraints
        b = rng.uniform(0.1, 1.0, size=m)
    return A, b


@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 12), n=st.integers(1, 5),
       kind=st.sampled_from(["bounded", "infeasible", "free"]))
def test_backends_agree_on_random_lps(seed, m, n, kind):
    rng = np.random.default_rng(seed)
    A, b = _random_lp(rng, m, n, kind)
    c = rng.normal(size=n)
    r1 = solve_lp(c, A, b)
    r2 = solve_lp(c, A, b, backend="scipy")
    assert r1.status is r2.status
    if kind == "infeasible":
        assert r1.status is LPStatus.INFEASIBLE
    if kind == "bounded":
        assert r1.optimal
    if r1.optimal:
        assert r1.value == pytest.approx(r2.value, rel=1e-7, abs=1e-7)
        _kkt_ok(c, A, b, r1)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4))
def test_incremental_matches_solve_lp(seed, n):
    rng = np.random.default_rng(seed)
    A, b = _random_lp(rng, 8, n, "bounded")
    lp = IncrementalLP(A, b)
    base = lp.n_rows
    for step in range(12):
        op = rng.integers(4)
        if op == 0:  # add a random row (possibly making the LP infeasible)
            a = rng.normal(size=n)
            lp.add_rows(a[None], [rng.normal()])
        elif op == 1 and lp.n_rows > base:
            lp.remove_rows([int(rng.integers(base, lp.n_rows))])
        elif op == 2:
            lp.truncate(base)
        else:
            i = int(rng.integers(lp.n_rows))
            lp.set_rhs(i, lp.b[i] + rng.uniform(-0.2, 0.2))
        c = rng.normal(size=n)
        maximize = bool(rng.integers(2))
        r1 = lp.solve(c, maximize=maximize)
        r2 = solve_lp(-c if maximize else c, lp.A, lp.b)
        assert r1.status is r2.status
        if r1.optimal:
            want = -r2.value if maximize else r2.value
            assert r1.value == pytest.approx(want, rel=1e-7, abs=1e-7)
            assert len(r1.dual) == lp.n_rows
            _kkt_ok(-c if maximize else c, lp.A, lp.b,
                    type(r1)(r1.status, r1.x, r2.value, r1.dual, "", r1.tol))
        if r1.status is LPStatus.INFEASIBLE and r1.ray is not None:
            y = r1.ray
            assert np.all(y >= -1e-9) and np.allclose(y @ lp.A, 0, atol=1e-7) and y @ lp.b < 0


def test_incremental_equalities_and_bounds():
    lp = IncrementalLP(np.zeros((0, 3)), np.zeros(0), [[1.0, 1.0, 1.0]], [1.0], bounds=(0, None))
    r = lp.solve([3.0, 1.0, 2.0])
    assert r.optimal and np.allclose(r.x, [0, 1, 0]) and len(r.dual) == 0
    assert r.dual_eq.shape == (1,) and r.dual_eq[0] == pytest.approx(-1.0)
    lp.set_bounds([(0, None), (0, 0.25), (0, None)])
    assert lp.solve().value == pytest.approx(0.25 + 2 * 0.75)
    lp.add_rows([[0.0, 0.0, 1.0]], [0.5])
    r = lp.solve()
    assert r.optimal and np.allclose(r.x, [0.25, 0.25, 0.5])
    with pytest.raises(IndexError):
        lp.remove_rows([5])


def test_solver_failure_is_its_own_status():
    """A solve stopped by the time limit is FAILED, never INFEASIBLE/UNBOUNDED/OPTIMAL."""
    rng = np.random.default_rng(0)
    A = rng.normal(size=(200, 20))
    lp = IncrementalLP(A, np.ones(200), time_limit=0.0)
    r = lp.solve(rng.normal(size=20))
    assert r.status is LPStatus.FAILED and not r.optimal
    assert np.isnan(r.value) and r.x is None and "time limit" in r.message
