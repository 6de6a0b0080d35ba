r"""Output-variety invariants ``I_X^A`` for given data, and reachability of outputs.

For data blocks ``X_b`` (``c × n_b``, points as columns, ``c = n_0`` or ``n_0 + 1`` with
first-layer biases) the outputs on the activation region are ``Y_b = M_b X_b``.

Change of coordinates (every ``X_b`` of full row rank ``c``)
    ``M_b = Y_b X_b^+`` with the right inverse ``X_b^+ = X_bᵀ (X_b X_bᵀ)^{-1}``, and the
    columns of a kernel basis ``K_b`` of ``X_b`` give the linear invariants
    ``Y_b K_b = 0``. Then ``I_X^A = ⟨ f(Y_1 X_1^+, …, Y_k X_k^+) : f ∈ J^A ⟩ + ⟨ Y_b K_b ⟩``
    (Alexandr–Montúfar): the generators of ``J^A`` are substituted exactly over Q.
Otherwise
    ``φ_X^A`` (:class:`~relugeom.patterns.OutputMap`) is implicitized directly.

Floats in ``X`` are converted to rationals exactly (every float is a rational).

Reachability
    An invariant ``g`` with ``g(Y) ≠ 0`` proves that no parameter — in the activation
    region or anywhere else — produces ``Y`` through these pattern matrices (exact for
    rational ``Y``; for float ``Y`` the relative residual is compared with
    ``tol.eval_rtol``). A parameter θ in the region with ``φ_X^A(θ) = Y`` (found for one
    hidden layer by alternating an LP in ``W_1`` over the region with least squares in
    ``W_2``) proves reachability up to the reported residual. Otherwise: unknown.
"""

from __future__ import annotations

import logging
import numbers
import time
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from typing import Sequence

import numpy as np

from .._tol import Tolerance, resolve
from ..polyhedra import solve_lp
from ._assignment import PatternAssignment
from ._known import rref_kernel
from ._maps import BiasMode, OutputMap, PatternMap
from ._region import ActivationRegion, RegionStatus, find_region_point

log = logging.getLogger(__name__)

__all__ = ["OutputInvariants", "output_invariants", "Reachability", "ReachStatus", "reachability", "is_reachable"]


def _primitive(g):
    """Scale a rational polynomial to integer coefficients with content 1 and positive leading term."""
    from math import gcd, lcm

    import flint

    cs = g.coeffs()
    den = 1
    for c in cs:
        den = lcm(den, int(c.q))
    nums = [int(c.p) * (den // int(c.q)) for c in cs]
    g0 = 0
    for v in nums:
        g0 = gcd(g0, abs(v))
    f = flint.fmpq(den, g0 if g0 else 1)
    h = g * f
    return -h if h.leading_coefficient() < 0 else h


def _fmpq(v: Fraction):
    import flint

    return flint.fmpq(int(v.numerator), int(v.denominator))


def _exact_inverse_data(Xb: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(X^+ (n_b × c), K (n_b × (n_b − c))) exactly, or None if X_b lacks full row rank."""
    import flint

    c, nb = Xb.shape
    M = flint.fmpq_mat(c, nb, [_fmpq(v) for v in Xb.ravel()])
    if nb < c or M.rank() < c:
        return None
    G = M * M.transpose()
    Xp = M.transpose() * G.inv()
    Xplus = np.array([[Fraction(int(Xp[i, j].p), int(Xp[i, j].q)) for j in range(c)] for i in range(nb)],
                     dtype=object)
    K = rref_kernel(M)  # the linear invariants Y_b K_b = 0 come from ker X_b
    Kmat = np.array(K, dtype=object).T.reshape(nb, len(K)) if K else np.zeros((nb, 0), dtype=object)
    return Xplus, Kmat


@dataclass(frozen=True)
class OutputInvariants:
    """Invariants of the output variety ``V_X^A`` (result of :func:`output_invariants`).

    Attributes
    ----------
    variables : tuple of str
        ``y_b_i_j``.
    generators : list of fmpq_mpoly
        Generators of ``I_X^A`` of degree ``<= max_degree`` (linear ones first).
    degrees : list of int
    method : str
        ``"change_of_coordinates"`` or ``"interpolation"``.
    pattern_result : object
        The implicitization of ``J^A`` (change of coordinates) or of ``φ_X^A``.
    complete : bool
        False when the underlying implicitization stopped early.
    seconds : float

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks, output_invariants
    >>> inv = output_invariants(parse_blocks("1", (1, 1, 1), point_blocks=[0, 0]), [[1], [2]], 1)
    >>> [str(g) for g in inv.generators]
    ['2*y_1_1_1 - y_1_1_2']
    """

    variables: tuple
    generators: list
    degrees: list
    method: str
    pattern_result: object
    complete: bool
    seconds: float
    max_degree: int = 0

    def to_strings(self) -> list[str]:
        """Generators in sympy syntax.

        Examples
        --------
        >>> from relugeom.patterns import parse_blocks
        >>> A = parse_blocks("1", (1, 1, 1), point_blocks=[0, 0])
        >>> output_invariants(A, [[1], [2]], 2).to_strings()
        ['2*y_1_1_1 - y_1_1_2']
        """
        return [str(g).replace("^", "**") for g in self.generators]


def _implicitize(param: object, max_degree: int, **kw):
    from ..algebra import implicitize

    if "symmetry" not in kw and hasattr(param, "symmetry"):
        kw["symmetry"] = param.symmetry()
    return implicitize(param, max_degree, **kw)


def _generators_of(result: object) -> list:
    gens = getattr(result, "generators", None)
    if callable(gens):
        gens = gens()
    return [getattr(g, "polynomial", g) for g in (gens or [])]


def output_invariants(assignment: PatternAssignment, X: object, max_degree: int, *,
                      bias: BiasMode | str = BiasMode.NONE, pattern_result: object = None,
                      method: str = "auto", **implicitize_kwargs) -> OutputInvariants:
    """Invariants of the output variety ``V_X^A`` through degree ``max_degree``.

    Parameters
    ----------
    assignment : PatternAssignment
        With ``point_blocks``.
    X : array_like (n, n_0)
        Data points, one per row; rationals (Fractions/ints) or floats (converted exactly).
    max_degree : int
    bias : BiasMode or str
    pattern_result : Implicitization, optional
        A precomputed implicitization of ``J^A`` (:class:`PatternMap`) to substitute into.
    method : {"auto", "change_of_coordinates", "interpolation"}
    **implicitize_kwargs
        Passed to :func:`relugeom.algebra.implicitize` (``time_limit``, ``rng``, …).

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks
    >>> A = parse_blocks("10;11", (2, 2, 2), point_blocks=[0, 0, 1, 1])
    >>> inv = output_invariants(A, [[1, 0], [0, 1], [1, 1], [1, -1]], 2)
    >>> inv.method, inv.degrees
    ('change_of_coordinates', [2, 2])
    """
    t0 = time.perf_counter()
    if method not in ("auto", "change_of_coordinates", "interpolation"):
        raise ValueError(f"method must be 'auto', 'change_of_coordinates' or 'interpolation'; got {method!r}")
    psi = OutputMap(assignment, X, bias=bias)
    ctx = psi.output_ring()
    data = [_exact_inverse_data(Xb) for Xb in psi.data_blocks]
    use_coc = all(d is not None for d in data) if method == "auto" else method == "change_of_coordinates"
    if use_coc and not all(d is not None for d in data):
        raise ValueError("the change of coordinates needs every data block X_b of full row rank")
    if not use_coc:
        res = _implicitize(psi, max_degree, **implicitize_kwargs)
        gens = _generators_of(res)
        return OutputInvariants(psi.output_names, gens, [int(g.total_degree()) for g in gens], "interpolation",
                                res, bool(getattr(res, "complete", True)), time.perf_counter() - t0, max_degree)
    phi = PatternMap(assignment, bias=bias)
    if pattern_result is None:
        pattern_result = _implicitize(phi, max_degree, **implicitize_kwargs)
    ygens = ctx.gens()
    nL = assignment.widths[-1]
    subs = []
    linear = []
    pos = 0
    for b, (Xb, (Xplus, K)) in enumerate(zip(psi.data_blocks, data)):
        nb = Xb.shape[1]
        Yb = [[ygens[pos + i * nb + j] for j in range(nb)] for i in range(nL)]
        pos += nL * nb
        for i in range(nL):
            for q in range(psi.ncols):
                s = ctx.from_dict({})
                for j in range(nb):
                    if Xplus[j, q] != 0:
                        s = s + Yb[i][j] * _fmpq(Xplus[j, q])
                subs.append(s)
            for t in range(K.shape[1]):
                s = ctx.from_dict({})
                for j in range(nb):
                    if K[j, t] != 0:
                        s = s + Yb[i][j] * _fmpq(K[j, t])
                linear.append(_primitive(s))
    gens = list(linear)
    for f in _generators_of(pattern_result):
        if f.total_degree() > max_degree:
            continue
        g = f.compose(*subs, ctx=ctx) if not f.is_constant() else f
        if not g.is_zero():
            gens.append(_primitive(g))
    return OutputInvariants(psi.output_names, gens, [int(g.total_degree()) for g in gens], "change_of_coordinates",
                            pattern_result, bool(getattr(pattern_result, "complete", True)),
                            time.perf_counter() - t0, max_degree)


# ============================================================================ reachability
class ReachStatus(str, Enum):
    """Outcome of a reachability question."""

    REACHABLE = "reachable"
    UNREACHABLE = "unreachable"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Reachability:
    """Result of :func:`reachability`.

    Attributes
    ----------
    status : ReachStatus
    reason : str
    exact : bool
        UNREACHABLE: proven in exact arithmetic (rational ``Y``) rather than by a float
        residual above tolerance. REACHABLE: always a float witness (see ``residual``).
    invariant : fmpq_mpoly or None
        An invariant not vanishing at ``Y``.
    value : Fraction or float or None
        Its value at ``Y`` (relative residual for floats).
    theta : ndarray or None
        A witness parameter in the activation region (REACHABLE).
    residual : float or None
        ``max |φ_X^A(θ) − Y|`` of the witness.
    tol : Tolerance
    seed : object

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks, reachability
    >>> r = reachability(parse_blocks("1", (1, 1, 1), point_blocks=[0, 0]), [[1], [2]], [[1], [3]], max_degree=1)
    >>> r.status.value, r.exact
    ('unreachable', True)
    """

    status: ReachStatus
    reason: str
    exact: bool
    invariant: object = None
    value: object = None
    theta: np.ndarray | None = None
    residual: float | None = None
    tol: Tolerance = field(default_factory=lambda: resolve(None))
    seed: object = None

    @property
    def reachable(self) -> bool | None:
        """True / False / None (unknown)."""
        return {ReachStatus.REACHABLE: True, ReachStatus.UNREACHABLE: False}.get(self.status)


def _y_vector(psi: OutputMap, Y: object) -> tuple[list, bool]:
    """Y as a flat list in the order of psi.output_names; exact when all entries are rational."""
    arr = np.asarray(Y, dtype=object)
    n = psi.assignment.n_points
    nL = psi.assignment.widths[-1]
    if arr.shape == (psi.n_outputs,):
        flat = list(arr)
    elif arr.shape == (n, nL):
        flat = []
        pb = psi.assignment.point_blocks
        for b in range(psi.assignment.n_blocks):
            rows = arr[pb == b]  # (n_b, nL)
            for i in range(nL):
                flat += list(rows[:, i])
    else:
        raise ValueError(f"Y must have shape ({n}, {nL}) (one output per data point, as rows) or "
                         f"({psi.n_outputs},) (ordered as the y_b_i_j); got {arr.shape}")
    exact = all(isinstance(v, numbers.Rational) for v in flat)
    return flat, exact


def _eval_poly(f, values: Sequence, exact: bool):
    if exact:
        import flint

        v = f(*[_fmpq(Fraction(x)) for x in values])
        return Fraction(int(v.p), int(v.q))
    val = 0.0
    scale = 0.0
    for exps, c in f.terms():
        t = float(c)
        a = abs(float(c))
        for var, e in enumerate(exps):
            if e:
                t *= float(values[var]) ** int(e)
                a *= abs(float(values[var])) ** int(e)
        val += t
        scale += a
    return val, scale


def reachability(assignment: PatternAssignment, X: object, Y: object, *, max_degree: int = 4,
                 bias: BiasMode | str = BiasMode.NONE, invariants: OutputInvariants | None = None,
                 tol: Tolerance | None = None, rng: object = None, max_restarts: int = 20,
                 **implicitize_kwargs) -> Reachability:
    """Can a network in the activation region of ``(X, A)`` produce the outputs ``Y``?

    Parameters
    ----------
    assignment : PatternAssignment
        With ``point_blocks``.
    X : array_like (n, n_0)
    Y : array_like (n, n_L) or (n_outputs,)
        Outputs of the data points (rows), or the flat vector in ``y_b_i_j`` order.
        Rational entries (ints, Fractions) give exact answers.
    max_degree : int
        Degree bound of the invariants (ignored when ``invariants`` is given).
    invariants : OutputInvariants, optional
        Precomputed invariants of ``V_X^A``.
    tol : Tolerance, optional
        ``eval_rtol`` decides float residuals.
    rng : seed, optional
        For the witness search; recorded.

    Returns
    -------
    Reachability

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks
    >>> A = parse_blocks("1", (1, 1, 1), point_blocks=[0, 0])
    >>> reachability(A, [[1], [2]], [[1], [3]], max_degree=1).status.value   # y2 = 2 y1 is violated
    'unreachable'
    >>> reachability(A, [[1], [2]], [[1], [2]], max_degree=1, rng=0).status.value
    'reachable'
    """
    tol = resolve(tol)
    psi = OutputMap(assignment, X, bias=bias)
    yv, exact = _y_vector(psi, Y)
    if invariants is None:
        invariants = output_invariants(assignment, X, max_degree, bias=bias, **implicitize_kwargs)
    for g in invariants.generators:
        if exact:
            v = _eval_poly(g, yv, True)
            if v != 0:
                return Reachability(ReachStatus.UNREACHABLE,
                                    f"the invariant {g} of V_X^A does not vanish at Y (value {v}, exact)",
                                    True, g, v, None, None, tol, rng)
        else:
            v, scale = _eval_poly(g, yv, False)
            rel = abs(v) / max(scale, np.finfo(float).tiny)
            if rel > tol.eval_rtol:
                return Reachability(ReachStatus.UNREACHABLE,
                                    f"the invariant {g} of V_X^A has relative residual {rel:.3g} > "
                                    f"eval_rtol={tol.eval_rtol} at Y (float)", False, g, rel, None, None, tol, rng)
    region = ActivationRegion(assignment, X, bias=bias, tol=tol)
    found = find_region_point(region, rng=rng)
    if found.status is RegionStatus.INFEASIBLE:
        return Reachability(ReachStatus.UNREACHABLE, f"the activation region is empty: {found.message}",
                            found.exact, None, None, None, None, tol, rng)
    if assignment.shallow and found.status is RegionStatus.FOUND:
        w = _shallow_witness(region, psi, np.array([float(v) for v in yv]), found, tol, rng, max_restarts)
        if w is not None:
            theta, res = w
            return Reachability(ReachStatus.REACHABLE,
                                f"a parameter in the activation region produces Y up to {res:.3g}",
                                False, None, None, theta, res, tol, rng)
    return Reachability(ReachStatus.UNKNOWN,
                        f"all {len(invariants.generators)} invariants of degree <= {invariants.max_degree} vanish "
                        "at Y and no witness was found", exact, None, None, None, None, tol, rng)


def _shallow_witness(region: ActivationRegion, psi: OutputMap, y: np.ndarray, start, tol: Tolerance,
                     rng: object, max_restarts: int):
    """Alternate least squares in W_2 with an L1-LP in W_1 over the region (one hidden layer)."""
    A = region.assignment
    lay = region._layout
    n0, n1, n2 = A.widths
    c = lay.ncols
    gen = np.random.default_rng(rng)
    Xf = region.X if c == n0 else np.hstack([region.X, np.ones((region.X.shape[0], 1))])
    P = region.patterns  # (n, n1)
    # per point j: y_j = W2 (d_j * (W1aug x_j))
    pb = A.point_blocks
    order = np.concatenate([np.flatnonzero(pb == b) for b in range(A.n_blocks)])
    # y in psi order is block-major, row-major within block: reshape to (n, n2)
    Yp = np.zeros((Xf.shape[0], n2))
    pos = 0
    for b in range(A.n_blocks):
        idx = np.flatnonzero(pb == b)
        blk = y[pos:pos + n2 * idx.size].reshape(n2, idx.size)
        Yp[idx] = blk.T
        pos += n2 * idx.size
    scale = max(1.0, float(np.abs(Yp).max()))
    theta0 = np.asarray(start.theta, dtype=float)
    W1 = theta0[:n1 * c].reshape(n1, c) if lay.b_slices[0] is None else np.hstack(
        [theta0[:n1 * n0].reshape(n1, n0), theta0[n1 * n0:n1 * n0 + n1, None]])
    best = None
    for attempt in range(max_restarts):
        if attempt > 0:
            r = find_region_point(region, rng=gen)
            if r.theta is None:
                break
            th = np.asarray(r.theta, dtype=float)
            W1 = th[:n1 * c].reshape(n1, c) if lay.b_slices[0] is None else np.hstack(
                [th[:n1 * n0].reshape(n1, n0), th[n1 * n0:n1 * n0 + n1, None]])
            W1 = W1 * np.exp(gen.normal(size=(n1, 1)))
        for _ in range(8):
            H = (Xf @ W1.T) * P  # (n, n1)
            W2, *_ = np.linalg.lstsq(H, Yp, rcond=None)
            W2 = W2.T  # (n2, n1)
            res = float(np.abs(H @ W2.T - Yp).max())
            if res <= tol.eval_rtol * scale:
                break
            W1n = _l1_step(Xf, P, W2, Yp, tol)
            if W1n is None:
                break
            W1 = W1n
        H = (Xf @ W1.T) * P
        W2, *_ = np.linalg.lstsq(H, Yp, rcond=None)
        W2 = W2.T
        theta = np.concatenate([W1[:, :n0].ravel()] + ([W1[:, n0]] if c > n0 else []) + [W2.ravel()])
        if not region.contains(theta, exact=False):
            continue
        res = float(np.abs(psi.evaluate(theta) - y).max())
        if res <= tol.eval_rtol * scale:
            return theta, res
        if best is None or res < best[1]:
            best = (theta, res)
    return None


def _l1_step(Xf: np.ndarray, P: np.ndarray, W2: np.ndarray, Yp: np.ndarray, tol: Tolerance):
    """min Σ |W2 diag(d_j) W1 x_j − y_j| over W1 in the region (margin small), as an LP."""
    n, c = Xf.shape
    n1 = P.shape[1]
    n2 = W2.shape[0]
    nv = n1 * c
    ne = n * n2
    # residual rows: for point j, output i: sum_k W2[i,k] d_jk sum_q W1[k,q] x_jq - y_ji
    Arows = np.zeros((ne, nv))
    for j in range(n):
        for i in range(n2):
            coef = W2[i] * P[j]  # (n1,)
            Arows[j * n2 + i] = np.outer(coef, Xf[j]).ravel()
    yv = Yp.ravel()
    # variables: W1 (nv), t (ne) ; min sum t ; A w - y <= t ; -(A w - y) <= t
    margin = 1e-3 * max(1.0, float(np.abs(Xf).max()))
    A_ub = [np.hstack([Arows, -np.eye(ne)]), np.hstack([-Arows, -np.eye(ne)])]
    b_ub = [yv, -yv]
    # region: active: -w_k x_j <= -margin ; inactive: w_k x_j <= 0
    R = np.zeros((n * n1, nv + ne))
    rb = np.zeros(n * n1)
    for j in range(n):
        for k in range(n1):
            row = np.zeros(nv)
            row[k * c:(k + 1) * c] = Xf[j]
            if P[j, k]:
                R[j * n1 + k, :nv] = -row
                rb[j * n1 + k] = -margin
            else:
                R[j * n1 + k, :nv] = row
    A_ub.append(R)
    b_ub.append(rb)
    cost = np.concatenate([np.zeros(nv), np.ones(ne)])
    res = solve_lp(cost, np.vstack(A_ub), np.concatenate(b_ub), bounds=[(None, None)] * nv + [(0, None)] * ne,
                   tol=tol)
    if not res.optimal:
        return None
    return res.x[:nv].reshape(n1, c)


def is_reachable(assignment: PatternAssignment, X: object, Y: object, **kwargs) -> bool | None:
    """True (witness), False (an invariant or the empty region proves it) or None (unknown).

    See :func:`reachability` for the arguments and the full result.

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks
    >>> A = parse_blocks("1", (1, 1, 1), point_blocks=[0, 0])
    >>> is_reachable(A, [[1], [2]], [[1], [3]], max_degree=1)
    False
    """
    return reachability(assignment, X, Y, **kwargs).reachable
