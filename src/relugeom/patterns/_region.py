r"""Activation regions in parameter space: membership, witnesses, realizability.

The activation region of data ``X`` (points ``x_1, …, x_n``) and an assignment ``A`` is the
set of parameters θ under which every ``x_j`` has its assigned pattern.

Convention on ties
------------------
A neuron is *active* when its pre-activation is ``> 0`` and *inactive* when it is
``<= 0`` (as in :meth:`relugeom.network.ReLUNetwork.activation_patterns`): a point on a
neuron's hyperplane counts as inactive. The region is therefore
``{θ : z_k(x_j) > 0 for assigned-active, z_k(x_j) <= 0 for assigned-inactive}``.

Methods
-------
One hidden layer (and the first layer of any network)
    The region is polyhedral in each row ``w`` of ``W_1`` (with ``b_1`` as an extra
    coordinate when biases are used): ``w·x_j > 0`` (active) and ``w·x_j <= 0``
    (inactive). Since the constraints are homogeneous the strict inequalities can be
    scaled to ``w·x_j >= 1``; one LP per neuron decides feasibility exactly up to the LP
    tolerance, and an infeasible neuron comes with a Farkas certificate ``y >= 0`` with
    ``Σ_active y_j x_j = Σ_inactive y_j x_j`` and ``Σ_active y_j = 1`` (a non-negative
    combination of the active points equals one of the inactive points, so no ``w`` is
    positive on the first and non-positive on the second), verified in exact rational
    arithmetic. Only such a certificate is reported as *infeasible*.
Deeper networks
    A search: layer by layer, fix the earlier layers and solve the LP of the next layer on
    the hidden features, with random objectives and random restarts; a θ is returned only
    after an exact rational check of every pre-activation sign. Failing that, the answer
    is *not found* (never "unrealizable" unless proven by the first-layer LP or by a
    point whose hidden features vanish while a later neuron is assigned active).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

import numpy as np

from .._tol import Tolerance, resolve
from ..polyhedra import solve_lp
from ._assignment import PatternAssignment
from ._maps import BiasMode, ParameterLayout

log = logging.getLogger(__name__)

__all__ = ["RegionStatus", "RegionSearchResult", "ActivationRegion", "find_region_point", "is_realizable"]


class RegionStatus(str, Enum):
    """Outcome of a search for a parameter in an activation region."""

    FOUND = "found"
    INFEASIBLE = "infeasible"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class RegionSearchResult:
    """Result of :func:`find_region_point`.

    Attributes
    ----------
    status : RegionStatus
        FOUND (``theta`` is a checked witness), INFEASIBLE (proven empty; see
        ``certificate``), NOT_FOUND (search gave up; nothing is claimed).
    theta : ndarray or None
        A flat parameter vector in the layout of :class:`~relugeom.patterns.PatternMap`
        (float; an object array of Fractions when forced ties needed an exact projection).
    certificate : dict or None
        For INFEASIBLE: ``{"layer": l, "neuron": k, "active_points": [...],
        "inactive_points": [...], "weights": [Fraction, ...]}`` (layer and neuron from 1,
        points from 0; ``Σ w_a x_a = Σ w_i x_i`` with ``Σ w_a = 1``), or
        ``{"reason": "zero features", ...}``.
    exact : bool
        Whether the witness / certificate was verified in exact rational arithmetic.
    restarts : int
    seed : object
        The ``rng`` argument.
    tol : Tolerance
    message : str

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks, ActivationRegion, find_region_point
    >>> R = ActivationRegion(parse_blocks("1;0", (1, 1, 1), point_blocks=[0, 1]), [[1.0], [-1.0]])
    >>> find_region_point(R, rng=0).status.value
    'found'
    """

    status: RegionStatus
    theta: np.ndarray | None
    certificate: dict | None
    exact: bool
    restarts: int
    seed: object
    tol: Tolerance
    message: str = ""

    @property
    def realizable(self) -> bool | None:
        """True (witness), False (proven empty) or None (unknown)."""
        return {RegionStatus.FOUND: True, RegionStatus.INFEASIBLE: False}.get(self.status)


@dataclass(frozen=True)
class _Infeasible:
    certificate: dict
    exact: bool


def _to_fractions(a: np.ndarray) -> np.ndarray:
    return np.array([Fraction(v) if isinstance(v, (int, Fraction)) else Fraction(float(v))
                     for v in np.asarray(a, dtype=object).ravel()], dtype=object).reshape(np.shape(a))


def _fmpq_mat(rows: list[list[Fraction]]):
    import flint

    m = len(rows)
    n = len(rows[0]) if m else 0
    return flint.fmpq_mat(m, n, [flint.fmpq(int(v.numerator), int(v.denominator)) for r in rows for v in r])


def _fq(v) -> Fraction:
    return Fraction(int(v.p), int(v.q))


def _row_basis(rows: list[list[Fraction]]) -> list[list[Fraction]]:
    """A basis of the row span (exact)."""
    if not rows:
        return []
    R, rank = _fmpq_mat(rows).rref()
    return [[_fq(R[i, j]) for j in range(R.ncols())] for i in range(rank)]


def _project_out(w: list[Fraction], rows: list[list[Fraction]]) -> list[Fraction]:
    """Orthogonal projection of ``w`` onto the complement of span(rows), exactly."""
    B = _row_basis(rows)
    if not B:
        return w
    import flint

    Bm = _fmpq_mat(B)
    G = Bm * Bm.transpose()
    rhs = Bm * _fmpq_mat([[v] for v in w])
    c = G.solve(rhs)
    corr = Bm.transpose() * c
    return [w[i] - _fq(corr[i, 0]) for i in range(len(w))]


def _farkas(act: np.ndarray, inact: np.ndarray, tol: Tolerance) -> _Infeasible | None:
    """Certificate that no w has w·a > 0 (rows of act) and w·b <= 0 (rows of inact)."""
    na, ni = act.shape[0], inact.shape[0]
    d = act.shape[1]
    # variables y (na + ni) >= 0: act^T y_a - inact^T y_i = 0, sum y_a = 1
    A_eq = np.zeros((d + 1, na + ni))
    A_eq[:d, :na] = act.T
    A_eq[:d, na:] = -inact.T
    A_eq[d, :na] = 1.0
    b_eq = np.zeros(d + 1)
    b_eq[d] = 1.0
    res = solve_lp(np.zeros(na + ni), A_eq=A_eq, b_eq=b_eq, bounds=(0, None), tol=tol)
    if not res.optimal:
        return None
    y = res.x
    supp = np.flatnonzero(y > tol.feas_atol)
    cert = {"active_points": [], "inactive_points": [], "weights": []}
    # exact re-solve on the support
    Ae = _to_fractions(A_eq[:, supp])
    be = [Fraction(0)] * d + [Fraction(1)]
    exact = False
    try:
        M = _fmpq_mat([list(r) for r in Ae])
        G = M.transpose() * M
        ys = G.solve(M.transpose() * _fmpq_mat([[v] for v in be]))
        yq = [_fq(ys[i, 0]) for i in range(len(supp))]
        ok = all(v >= 0 for v in yq)
        chk = M * _fmpq_mat([[v] for v in yq])
        ok = ok and all(_fq(chk[i, 0]) == be[i] for i in range(d + 1))
        if ok:
            exact = True
            y_out = yq
        else:
            y_out = [Fraction(float(v)) for v in y[supp]]
    except (ZeroDivisionError, ValueError):
        y_out = [Fraction(float(v)) for v in y[supp]]
    for s, v in zip(supp, y_out):
        if s < na:
            cert["active_points"].append(int(s))
        else:
            cert["inactive_points"].append(int(s - na))
        cert["weights"].append(v)
    return _Infeasible(cert, exact)


def _neuron_lp(act: np.ndarray, inact: np.ndarray, gen: np.random.Generator | None, tol: Tolerance,
               bound: float = 10.0) -> np.ndarray | None | _Infeasible:
    """A row ``w`` with w·a >= 1 (act rows) and w·b <= -s (inact rows), s maximal in [0, 1].

    Returns ``w`` (float), or an :class:`_Infeasible` certificate, or None on solver failure.
    """
    d = act.shape[1] if act.size else inact.shape[1]
    na, ni = act.shape[0], inact.shape[0]
    A_ub = np.zeros((na + ni, d + 1))
    b_ub = np.zeros(na + ni)
    A_ub[:na, :d] = -act
    b_ub[:na] = -1.0
    A_ub[na:, :d] = inact
    A_ub[na:, d] = 1.0
    c = np.zeros(d + 1)
    c[d] = -1.0
    if gen is not None:
        c[:d] = gen.normal(size=d) * 1e-3
    bounds = [(-bound, bound)] * d + [(0.0, 1.0)]
    if na + ni == 0:
        return gen.normal(size=d) if gen is not None else np.zeros(d)
    res = solve_lp(c, A_ub, b_ub, bounds=bounds, tol=tol)
    if res.optimal:
        return res.x[:d]
    if res.status.value == "infeasible":
        # without the box: decide with the Farkas LP (the box only limits the scale)
        cert = _farkas(act, inact, tol)
        if cert is not None:
            return cert
        res2 = solve_lp(c, A_ub, b_ub, bounds=[(None, None)] * d + [(0.0, 1.0)], tol=tol)
        return res2.x[:d] if res2.optimal else None
    return None


class ActivationRegion:
    """The activation region of data ``X`` and an assignment in parameter space.

    Parameters
    ----------
    assignment : PatternAssignment
        With ``point_blocks``.
    X : array_like (n, n_0)
        Data points, one per row (floats are used exactly as rationals for exact checks).
    bias : BiasMode or str
        Parameter layout, as for :class:`~relugeom.patterns.PatternMap`.
    tol : Tolerance, optional

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks
    >>> A = parse_blocks("10;11", (1, 2, 1), point_blocks=[0, 1])
    >>> R = ActivationRegion(A, [[1.0], [2.0]])
    >>> R.contains([1.0, 1.0, 1.0, 1.0])     # both neurons active at x = 1
    False
    >>> R.find_point(rng=0).status.value     # neuron 2 positive at x=2 but not at x=1: impossible
    'infeasible'
    """

    def __init__(self, assignment: PatternAssignment, X: object, *, bias: BiasMode | str = BiasMode.NONE,
                 tol: Tolerance | None = None):
        self.bias = BiasMode(bias)
        self.tol = resolve(tol)
        if assignment.point_blocks is None:
            raise ValueError("the assignment needs point_blocks (the block of every data point)")
        self.assignment = assignment
        Xa = np.asarray(X, dtype=object)
        if Xa.ndim != 2 or Xa.shape != (assignment.point_blocks.size, assignment.widths[0]):
            raise ValueError(
                f"X must have shape ({assignment.point_blocks.size}, {assignment.widths[0]}) (one data point "
                f"per row); got {Xa.shape}")
        self.X_exact = _to_fractions(Xa)
        self.X = np.array(self.X_exact, dtype=float)
        self.patterns = assignment.point_patterns()
        self._layout = ParameterLayout(assignment.widths, self.bias)

    @property
    def n_params(self) -> int:
        """Number of parameters in the layout."""
        return self._layout.n_params

    # ------------------------------------------------------------- membership
    def preactivations(self, theta: object, *, exact: bool = False) -> list[np.ndarray]:
        """Hidden pre-activations (n, n_l) of every data point under θ (Fractions if exact).

        Examples
        --------
        >>> from relugeom.patterns import parse_blocks
        >>> R = ActivationRegion(parse_blocks("1", (1, 1, 1), point_blocks=[0]), [[2.0]])
        >>> R.preactivations([3.0, 1.0])[0].tolist()
        [[6.0]]
        """
        th = np.asarray(theta, dtype=object if exact else float).reshape(-1)
        if th.size != self.n_params:
            raise ValueError(f"theta must have {self.n_params} entries; got {th.size}")
        if exact:
            th = _to_fractions(th)
        Ws, bs = self._layout.split(th[None, :])
        H = self.X_exact if exact else self.X
        out = []
        L = self._layout.L
        for l in range(L - 1):
            W, b = Ws[l][0], bs[l]
            Z = H.dot(W.T) if exact else H @ W.T
            if b is not None:
                Z = Z + b[0][None, :]
            out.append(Z)
            H = np.where(Z > 0, Z, Fraction(0) if exact else 0.0)
            if exact:
                H = H.astype(object)
        return out

    def contains(self, theta: object, *, exact: bool = True) -> bool:
        """Whether every data point has its assigned pattern under θ (ties count inactive).

        With ``exact=True`` (default) the float θ is converted to rationals and the signs
        are decided exactly.

        Examples
        --------
        >>> from relugeom.patterns import parse_blocks
        >>> R = ActivationRegion(parse_blocks("1;0", (1, 1, 1), point_blocks=[0, 1]), [[1.0], [-1.0]])
        >>> R.contains([1.0, 5.0]), R.contains([-1.0, 5.0])
        (True, False)
        """
        Z = self.preactivations(theta, exact=exact)
        got = np.concatenate([z > 0 for z in Z], axis=1).astype(bool)
        return bool(np.array_equal(got, self.patterns))

    # --------------------------------------------------------------- search
    def find_point(self, *, rng: object = None, max_restarts: int = 50,
                   time_limit: float | None = None) -> RegionSearchResult:
        """Find a θ in the region, prove it empty, or report that none was found.

        See :func:`find_region_point`.

        Examples
        --------
        >>> from relugeom.patterns import parse_blocks
        >>> A = parse_blocks("10;01", (2, 2, 2), point_blocks=[0, 1])
        >>> r = ActivationRegion(A, [[1.0, 0.0], [0.0, 1.0]]).find_point(rng=1)
        >>> r.status.value, r.exact
        ('found', True)
        """
        return find_region_point(self, rng=rng, max_restarts=max_restarts, time_limit=time_limit)

    # internal: constraint rows for a layer given features
    def _layer_features(self, l: int, H: np.ndarray) -> np.ndarray:
        """Features entering hidden layer l (0-based): H plus the constant if that layer has a bias."""
        if self._layout.b_slices[l] is not None:
            return np.hstack([H, np.ones((H.shape[0], 1))])
        return H


def find_region_point(region: ActivationRegion, *, rng: object = None, max_restarts: int = 50,
                      time_limit: float | None = None) -> RegionSearchResult:
    """Find a parameter θ in an activation region (or prove the region empty).

    Parameters
    ----------
    region : ActivationRegion
    rng : seed or Generator, optional
        Randomness of the search (objectives, output layer, restarts); recorded.
    max_restarts : int
        Restarts of the layer-by-layer search (deep networks).
    time_limit : float, optional
        Seconds; the search stops with NOT_FOUND when exceeded.

    Returns
    -------
    RegionSearchResult
        FOUND with an exactly checked θ; INFEASIBLE with a Farkas certificate (first layer)
        or a zero-feature argument; NOT_FOUND otherwise.

    Notes
    -----
    One hidden layer: one exact LP per neuron decides the region. Deeper networks: the
    layers are chosen one after the other by LPs (random objectives, ``max_restarts``
    restarts); when a later layer's LP fails, all hidden layers are refined together by
    alternating LPs (with the patterns fixed, every pre-activation is linear in any one
    layer's weights), minimising the total violation of the assigned signs. Every witness
    is checked in exact rational arithmetic.

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks
    >>> A = parse_blocks("11,1;10,0", (2, 2, 1, 1), point_blocks=[0, 1])
    >>> R = ActivationRegion(A, [[1.0, 1.0], [1.0, -1.0]])
    >>> r = find_region_point(R, rng=0)
    >>> r.status.value, R.contains(r.theta)
    ('found', True)
    """
    gen = np.random.default_rng(rng)
    tol = region.tol
    t0 = time.perf_counter()
    lay = region._layout
    A = region.assignment
    L = lay.L
    widths = A.widths
    pats = _layer_patterns(region)

    def layer_pattern(l: int) -> np.ndarray:
        return pats[l]

    # W-independent proof: a point with all-inactive layer l-1 has zero features at layer l
    # (no bias there) and must be inactive at layer l.
    for l in range(1, L - 1):
        if lay.b_slices[l] is not None:
            continue
        dead = ~layer_pattern(l - 1).any(axis=1)
        if lay.bias is BiasMode.FIRST and l >= 1:
            pass  # the constant coordinate does not survive a dead layer either
        bad = dead & layer_pattern(l).any(axis=1)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            cert = {"reason": "zero features", "point": j, "layer": l + 1,
                    "detail": f"point {j} has no active neuron in hidden layer {l}, so every pre-activation "
                              f"of hidden layer {l + 1} is 0 (inactive), but an active one is assigned"}
            return RegionSearchResult(RegionStatus.INFEASIBLE, None, cert, True, 0, rng, tol, cert["detail"])

    # first layer: exact LP per neuron
    X1 = region._layer_features(0, region.X)
    pat1 = layer_pattern(0)
    n_restarts = 1 if L == 2 else max(1, int(max_restarts))
    restarts = 0
    for attempt in range(n_restarts):
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
        restarts = attempt + 1
        sub = gen if attempt > 0 or L > 2 else None
        W1 = np.zeros((widths[1], X1.shape[1]))
        for k in range(widths[1]):
            r = _neuron_lp(X1[pat1[:, k]], X1[~pat1[:, k]], sub, tol)
            if isinstance(r, _Infeasible):
                cert = dict(r.certificate, layer=1, neuron=k + 1)
                return RegionSearchResult(
                    RegionStatus.INFEASIBLE, None, cert, r.exact, restarts, rng, tol,
                    f"hidden layer 1, neuron {k + 1}: a non-negative combination of its active points equals "
                    f"one of its inactive points (Farkas certificate{'' if r.exact else ', float'})")
            if r is None:
                W1 = None
                break
            W1[k] = r
        if W1 is None:
            continue
        Ws, bs = [W1[:, :widths[0]]], [W1[:, widths[0]] if X1.shape[1] > widths[0] else None]
        H = np.maximum(X1 @ W1.T, 0.0) * pat1
        ok = True
        for l in range(1, L - 1):
            F = region._layer_features(l, H)
            pl = layer_pattern(l)
            Wl = np.zeros((widths[l + 1], F.shape[1]))
            for k in range(widths[l + 1]):
                r = _neuron_lp(F[pl[:, k]], F[~pl[:, k]], gen, tol)
                if r is None or isinstance(r, _Infeasible):
                    ok = False
                    break
                Wl[k] = r
            if not ok:
                break
            Ws.append(Wl[:, :widths[l]])
            bs.append(Wl[:, widths[l]] if F.shape[1] > widths[l] else None)
            H = np.maximum(F @ Wl.T, 0.0) * pl
        if not ok:
            # the layer-by-layer choice painted a later layer into a corner: refine all hidden
            # layers together by alternating LPs (each layer's constraints are linear in it)
            Wts = _hidden_feature_maps(region, Ws, bs, gen)
            theta = _alternate(region, Wts, gen, tol, t0, time_limit)
            if theta is not None:
                return RegionSearchResult(RegionStatus.FOUND, theta, None, True, restarts, rng, tol,
                                          "witness checked exactly (alternating LPs over the layers)")
            continue
        Ws.append(gen.normal(size=(widths[-1], widths[-2])))
        bs.append(gen.normal(size=widths[-1]) if lay.b_slices[L - 1] is not None else None)
        theta = _flatten(lay, Ws, bs)
        if region.contains(theta, exact=True):
            return RegionSearchResult(RegionStatus.FOUND, theta, None, True, restarts, rng, tol, "witness checked exactly")
        theta = _exact_fix(region, theta)
        if theta is not None and region.contains(theta, exact=True):
            return RegionSearchResult(RegionStatus.FOUND, theta, None, True, restarts, rng, tol,
                                      "witness checked exactly (after exact projection onto tight hyperplanes)")
    return RegionSearchResult(RegionStatus.NOT_FOUND, None, None, False, restarts, rng, tol,
                              "no parameter found (nothing is claimed about emptiness)")


def _layer_patterns(region: ActivationRegion) -> list[np.ndarray]:
    """The assigned patterns split by hidden layer: bool arrays (n_points, n_l)."""
    offs = np.concatenate([[0], np.cumsum(region.assignment.widths[1:-1])])
    return [region.patterns[:, offs[l]:offs[l + 1]] for l in range(len(offs) - 1)]


def _hidden_feature_maps(region: ActivationRegion, Ws: list, bs: list, gen: np.random.Generator) -> list[np.ndarray]:
    """Hidden layers as matrices on their features (bias column last), random where missing."""
    widths = region.assignment.widths
    lay = region._layout
    out = []
    for l in range(lay.L - 1):
        f = widths[l] + (1 if lay.b_slices[l] is not None else 0)
        if l < len(Ws):
            M = np.asarray(Ws[l], float)
            if f > widths[l]:
                M = np.hstack([M, np.asarray(bs[l], float).reshape(-1, 1)])
        else:
            M = gen.normal(size=(widths[l + 1], f))
        out.append(M)
    return out


def _alternate(region: ActivationRegion, Wts: list[np.ndarray], gen: np.random.Generator, tol: Tolerance,
               t0: float, time_limit: float | None, sweeps: int = 12, bound: float = 100.0) -> np.ndarray | None:
    """Block-coordinate LPs: with the patterns fixed, every pre-activation is linear in any one layer.

    For layer ``l`` (the others fixed) the pre-activations of layers ``m >= l`` at point ``i``
    are ``P_m(i) z_l(i) + q_m(i)`` with ``z_l(i) = W_l F_l(i)``; one LP minimises the total
    violation of the assigned signs (margin 1 for active, 1e-3 for inactive neurons) over
    ``W_l`` in a box. After every update θ is checked exactly; returns it or None.
    """
    lay = region._layout
    widths = region.assignment.widths
    H_hidden = lay.L - 1
    pats = [p.astype(float) for p in _layer_patterns(region)]
    n = region.patterns.shape[0]
    for _ in range(sweeps):
        for l in range(H_hidden):
            if time_limit is not None and time.perf_counter() - t0 > time_limit:
                return None
            # features entering layer l under the assigned patterns
            Hc = region.X
            for m in range(l):
                Hc = (region._layer_features(m, Hc) @ Wts[m].T) * pats[m]
            F = region._layer_features(l, Hc)  # (n, f)
            nl, f = Wts[l].shape
            rows, rhs_q, signs = [], [], []
            Pm = np.broadcast_to(np.eye(nl), (n, nl, nl)).copy()
            qm = np.zeros((n, nl))
            for m in range(l, H_hidden):
                if m > l:
                    Wm = Wts[m]
                    lin = Wm[:, :widths[m]]
                    Pm = np.einsum("kr,ir,irs->iks", lin, pats[m - 1], Pm)
                    qm = np.einsum("kr,ir,ir->ik", lin, pats[m - 1], qm)
                    if Wm.shape[1] > widths[m]:
                        qm = qm + Wm[:, widths[m]][None, :]
                # coefficient of W_l[r, c] in z_m(i)[k]: Pm[i, k, r] * F[i, c]
                rows.append(np.einsum("ikr,ic->ikrc", Pm, F).reshape(n * Pm.shape[1], nl * f))
                rhs_q.append(qm.reshape(-1))
                signs.append(pats[m].reshape(-1))
            R = np.vstack(rows)
            q = np.concatenate(rhs_q)
            act = np.concatenate(signs) > 0
            k = R.shape[0]
            # active:  R w + q >= 1 - s   ->  -R w - s <= q - 1
            # inactive: R w + q <= -1e-3 + s -> R w - s <= -q - 1e-3
            sg = np.where(act, -1.0, 1.0)
            A_ub = np.hstack([sg[:, None] * R, -np.eye(k)])
            b_ub = np.where(act, q - 1.0, -q - 1e-3)
            c = np.concatenate([gen.normal(size=nl * f) * 1e-6, np.ones(k)])
            res = solve_lp(c, A_ub, b_ub, bounds=[(-bound, bound)] * (nl * f) + [(0.0, None)] * k, tol=tol)
            if not res.optimal:
                return None
            Wts[l] = res.x[:nl * f].reshape(nl, f)
            theta = _theta_from_feature_maps(region, Wts)
            if region.contains(theta, exact=True):
                return theta
    return None


def _theta_from_feature_maps(region: ActivationRegion, Wts: list[np.ndarray]) -> np.ndarray:
    lay = region._layout
    widths = region.assignment.widths
    Ws = [M[:, :widths[l]] for l, M in enumerate(Wts)]
    bs = [M[:, widths[l]] if M.shape[1] > widths[l] else None for l, M in enumerate(Wts)]
    Ws.append(np.ones((widths[-1], widths[-2])))
    bs.append(np.zeros(widths[-1]) if lay.b_slices[lay.L - 1] is not None else None)
    return _flatten(lay, Ws, bs)


def _flatten(lay: ParameterLayout, Ws: list[np.ndarray], bs: list[np.ndarray | None]) -> np.ndarray:
    theta = np.zeros(lay.n_params)
    for l in range(lay.L):
        s, e = lay.W_slices[l]
        theta[s:e] = np.asarray(Ws[l]).ravel()
        if lay.b_slices[l] is not None:
            bsl = lay.b_slices[l]
            theta[bsl[0]:bsl[1]] = 0.0 if bs[l] is None else bs[l]
    return theta


def _exact_fix(region: ActivationRegion, theta: np.ndarray) -> np.ndarray | None:
    """Shallow networks: project each row of W_1 exactly off the inactive points it nearly touches."""
    lay = region._layout
    if lay.L != 2:
        return None
    widths = region.assignment.widths
    X1 = region.X_exact
    if lay.b_slices[0] is not None:
        X1 = np.hstack([X1, np.full((X1.shape[0], 1), Fraction(1), dtype=object)])
    th = list(_to_fractions(theta))
    Ws, bs = lay.split(np.array([th], dtype=object))
    W1 = Ws[0][0]
    rows = []
    for k in range(widths[1]):
        w = list(W1[k]) + ([bs[0][0][k]] if bs[0] is not None else [])
        z = X1.dot(np.array(w, dtype=object))
        inact = ~region.patterns[:, k]
        tight = [list(X1[j]) for j in np.flatnonzero(inact) if abs(float(z[j])) <= 1e-6]
        rows.append(_project_out(w, tight))
    out = np.array(th, dtype=object)
    s, e = lay.W_slices[0]
    out[s:e] = np.array([r[:widths[0]] for r in rows], dtype=object).ravel()
    if lay.b_slices[0] is not None:
        bsl = lay.b_slices[0]
        out[bsl[0]:bsl[1]] = [r[widths[0]] for r in rows]
    if not region.contains(out, exact=True):
        return None
    return out


def is_realizable(assignment: PatternAssignment, X: object, *, bias: BiasMode | str = BiasMode.NONE,
                  rng: object = None, max_restarts: int = 50, time_limit: float | None = None) -> bool | None:
    """Whether some parameter θ gives every data point its assigned pattern.

    Returns True (a witness was found and checked exactly), False (proven impossible: a
    Farkas certificate for one first-layer neuron, or a zero-feature argument) or None
    (deep networks: the search found nothing; unknown). Use :func:`find_region_point` for
    the witness or the certificate.

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks
    >>> A = parse_blocks("1;0", (1, 1, 1), point_blocks=[0, 1])
    >>> is_realizable(A, [[1.0], [-1.0]]), is_realizable(A, [[1.0], [2.0]])
    (True, False)
    """
    return find_region_point(ActivationRegion(assignment, X, bias=bias), rng=rng, max_restarts=max_restarts,
                             time_limit=time_limit).realizable
