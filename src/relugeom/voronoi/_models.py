"""Models ``M ⊂ R^m`` and their nearest-point oracles.

Every model answers three questions for :func:`relugeom.voronoi.voronoi_cell`:

``nearest(u, metric)``
    a point of ``M`` nearest to ``u`` (for ``log``: of largest likelihood), with a flag
    saying whether it is provably a global optimum (``exact``);
``normal_cone(q, theta)``
    an H-description ``{n : H n <= 0, E n = 0}`` of a cone that contains the normal cone
    of ``M`` at ``q`` (the polar of a cone contained in the tangent cone);
``support(n, q)``
    for exact models: whether ``sup_{p ∈ M} nᵀ(p − q) <= 0`` (a ray ``r`` with ``n = Qr``
    lies in the recession cone of the cell), with a competitor when it does not.

Models
------
:class:`FiniteModel`
    finitely many points (exact).
:class:`PolyhedralModel`
    a finite union of polyhedra; Euclidean / Q nearest points by a polished QP per piece
    (exact up to rounding); ``log`` by convex optimisation per piece (not exact for unions).
:class:`ConeUnionModel`
    a finite union of polyhedral cones given by generators; nearest points by NNLS per
    cone (exact). The output sets of one-hidden-layer ReLU networks with scalar output are
    of this kind (:func:`relugeom.voronoi.relu_model`).
:class:`ToricModel`
    a log-linear (toric) statistical model ``p ∝ exp(Aᵀθ)``; its logarithmic Voronoi cells
    are the polytopes ``{u ∈ Δ : A u = A q}`` (Birch's theorem), so they are exact.
:class:`ParametrizedModel`
    the image of a polynomial (or piecewise polynomial) map over ``R^P``, a box, a
    polyhedron or a semialgebraic set ``{g(θ) >= 0}``; nearest points by multistart local
    optimisation, never claimed exact.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from .._tol import Tolerance, resolve
from .._validation import as_array
from ..errors import InfeasibleError
from ..polyhedra import Box, HPolytope, generators, inequalities, solve_lp
from ..polyhedra._lp import LPStatus
from ._metric import Metric, MetricKind, as_metric
from ._qp import project_cone, project_polyhedron

log = logging.getLogger(__name__)

__all__ = ["NearestPoint", "Model", "FiniteModel", "PolyhedralModel", "ConeUnionModel", "ToricModel",
           "ParametrizedModel", "as_model"]


@dataclass(frozen=True)
class NearestPoint:
    """Answer of a nearest-point oracle.

    Attributes
    ----------
    point : ndarray (m,)
        A point of the model.
    loss : float
        ``d(u, point)`` (Euclidean / Q) or ``−Σ u_i log point_i`` (log).
    exact : bool
        Whether ``point`` is provably a global optimum (up to rounding).
    theta : ndarray or None
        Parameters of ``point`` (parametrized models).
    piece : int or None
        Index of the piece (unions of polyhedra / cones).

    Examples
    --------
    >>> FiniteModel([[0.0, 0.0], [2.0, 0.0]]).nearest([1.5, 0.0], "euclidean").point.tolist()
    [2.0, 0.0]
    """

    point: np.ndarray
    loss: float
    exact: bool
    theta: np.ndarray | None = None
    piece: int | None = None


@dataclass(frozen=True)
class SupportCheck:
    """Whether ``sup_{p ∈ M} nᵀ(p − q) <= 0`` and, if not, a competitor ``p`` with ``nᵀ(p − q) > 0``."""

    ok: bool
    competitor: np.ndarray | None = None


def _cone_H(rays: np.ndarray, lin: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Polar ``{n : nᵀr <= 0 (rays), nᵀl = 0 (lineality)}`` of a cone given by generators."""
    rays = np.asarray(rays, dtype=float).reshape(-1, m)
    lin = np.asarray(lin, dtype=float).reshape(-1, m)
    keep = np.linalg.norm(rays, axis=1) > 0
    return rays[keep], lin[np.linalg.norm(lin, axis=1) > 0]


class Model:
    """Base class of models (see the module docstring).

    Attributes
    ----------
    dim : int
        Ambient dimension ``m``.
    is_cone : bool
        ``M`` is closed under multiplication by ``t >= 0`` (then cuts at ``q = 0`` are
        homogeneous).

    Examples
    --------
    >>> FiniteModel([[1.0, 2.0]]).dim
    2
    """

    dim: int
    is_cone: bool = False

    def exact_for(self, metric: Metric) -> bool:
        """Whether :meth:`nearest` is an exact oracle for ``metric``.

        Examples
        --------
        >>> FiniteModel([[0.0]]).exact_for(as_metric("euclidean"))
        True
        """
        return False

    def nearest(self, u: object, metric: object = "euclidean", *, rng: object = None,
                tol: Tolerance | None = None) -> NearestPoint:  # pragma: no cover - abstract
        """A point of the model nearest to ``u`` (implemented by every concrete model).

        Examples
        --------
        >>> FiniteModel([[0.0, 0.0], [2.0, 0.0]]).nearest([1.5, 0.0]).point.tolist()
        [2.0, 0.0]
        """
        raise NotImplementedError

    def normal_cone(self, q: np.ndarray, *, theta: np.ndarray | None = None,
                    tol: Tolerance | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(H, E)``: a cone ``{n : H n <= 0, E n = 0}`` containing the normal cone at ``q``.

        The default (no information) is the whole space.

        Examples
        --------
        >>> H, E = FiniteModel([[0.0, 0.0]]).normal_cone(np.zeros(2))
        >>> H.shape, E.shape
        ((0, 2), (0, 2))
        """
        m = self.dim
        return np.zeros((0, m)), np.zeros((0, m))

    def support(self, n: np.ndarray, q: np.ndarray, *, scale: float = 1.0,
                tol: Tolerance | None = None) -> SupportCheck | None:
        """Exact recession check (``None``: not available for this model).

        Examples
        --------
        >>> FiniteModel([[0.0], [1.0]]).support(np.array([1.0]), np.array([1.0])).ok
        True
        """
        return None

    def _check_u(self, u: object) -> np.ndarray:
        return as_array(u, name="u", shape=(self.dim,))


# ============================================================================ finite
class FiniteModel(Model):
    """A finite set of points (rows).

    Examples
    --------
    >>> M = FiniteModel([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> M.nearest([0.9, 0.2]).point.tolist()
    [1.0, 0.0]
    """

    def __init__(self, points: object):
        P = as_array(points, name="points", ndim=2)
        if P.shape[0] == 0:
            raise ValueError("points must contain at least one point")
        P.setflags(write=False)
        self.points = P
        self.dim = P.shape[1]

    def __repr__(self) -> str:
        return f"FiniteModel({self.points.shape[0]} points in R^{self.dim})"

    def exact_for(self, metric: Metric) -> bool:
        """Always exact (a minimum over finitely many points).

        Examples
        --------
        >>> FiniteModel([[0.1, 0.9]]).exact_for(as_metric("log"))
        True
        """
        return True

    def nearest(self, u: object, metric: object = "euclidean", *, rng: object = None,
                tol: Tolerance | None = None) -> NearestPoint:
        """The nearest point (first one on ties).

        Examples
        --------
        >>> FiniteModel([[0.5, 0.5], [0.9, 0.1]]).nearest([0.8, 0.2], "log").point.tolist()
        [0.9, 0.1]
        """
        met = as_metric(metric)
        u = self._check_u(u)
        L = met.losses(np.broadcast_to(u, self.points.shape), self.points)
        i = int(np.argmin(L))
        return NearestPoint(self.points[i].copy(), float(L[i]), True, piece=i)

    def support(self, n: np.ndarray, q: np.ndarray, *, scale: float = 1.0,
                tol: Tolerance | None = None) -> SupportCheck:
        """``max_p nᵀ(p − q) <= 0`` over the points.

        Examples
        --------
        >>> FiniteModel([[0.0], [2.0]]).support(np.array([1.0]), np.array([0.0])).competitor.tolist()
        [2.0]
        """
        t = resolve(tol)
        vals = (self.points - q) @ n
        i = int(np.argmax(vals))
        if vals[i] <= t.feas_atol * scale * max(1.0, float(np.linalg.norm(n))):
            return SupportCheck(True)
        return SupportCheck(False, self.points[i].copy())


# ======================================================================== polyhedra
class PolyhedralModel(Model):
    """A finite union of polyhedra (``HPolytope`` pieces, e.g. :class:`~relugeom.polyhedra.Box`).

    Parameters
    ----------
    pieces : HPolytope or sequence of HPolytope
        All in the same ``R^m``.

    Examples
    --------
    >>> M = PolyhedralModel([Box([0.0, 0.0], [1.0, 1.0])])
    >>> M.nearest([2.0, 0.5]).point.tolist()
    [1.0, 0.5]
    """

    def __init__(self, pieces: object):
        if isinstance(pieces, HPolytope):
            pieces = [pieces]
        pieces = list(pieces)  # type: ignore[arg-type]
        if not pieces or not all(isinstance(P, HPolytope) for P in pieces):
            raise ValueError("pieces must be a nonempty sequence of HPolytope")
        dims = {P.dim for P in pieces}
        if len(dims) != 1:
            raise ValueError(f"all pieces must lie in the same R^m; got dimensions {sorted(dims)}")
        self.pieces = pieces
        self.dim = dims.pop()

    def __repr__(self) -> str:
        return f"PolyhedralModel({len(self.pieces)} pieces in R^{self.dim})"

    def exact_for(self, metric: Metric) -> bool:
        """Exact for Euclidean / Q (polished QP); for ``log`` only with one piece (convexity).

        Examples
        --------
        >>> PolyhedralModel([Box([0.0], [1.0])]).exact_for(as_metric("euclidean"))
        True
        """
        if metric.kind is MetricKind.LOG:
            return len(self.pieces) == 1
        return True

    def _nearest_piece(self, P: HPolytope, u: np.ndarray, met: Metric, t: Tolerance) -> np.ndarray:
        if met.kind is MetricKind.LOG:
            return _max_likelihood_polyhedron(P, u, t)
        L = met.factor(self.dim)
        return project_polyhedron(u, P.A, P.b, P.A_eq, P.b_eq, L=L, tol=t)

    def nearest(self, u: object, metric: object = "euclidean", *, rng: object = None,
                tol: Tolerance | None = None) -> NearestPoint:
        """Nearest point: the best of the nearest points of the pieces.

        Examples
        --------
        >>> M = PolyhedralModel([Box([0.0], [1.0]), Box([3.0], [4.0])])
        >>> r = M.nearest([2.6]); r.point.tolist(), r.piece
        ([3.0], 1)
        """
        met = as_metric(metric)
        t = resolve(tol)
        u = self._check_u(u)
        best: NearestPoint | None = None
        for i, P in enumerate(self.pieces):
            try:
                x = self._nearest_piece(P, u, met, t)
            except InfeasibleError:
                continue
            val = float(met.losses(u[None], x[None])[0])
            if best is None or val < best.loss:
                best = NearestPoint(x, val, self.exact_for(met), piece=i)
        if best is None:
            raise InfeasibleError("every piece of the model is empty")
        return best

    def pieces_containing(self, q: np.ndarray, tol: Tolerance) -> list[int]:
        """Indices of the pieces that contain ``q`` (up to ``tol.feas_atol`` times the scale).

        Examples
        --------
        >>> PolyhedralModel([Box([0.0], [1.0]), Box([1.0], [2.0])]).pieces_containing(np.array([1.0]), resolve(None))
        [0, 1]
        """
        s = max(1.0, float(np.abs(q).max()))
        t2 = tol.with_(feas_atol=tol.feas_atol * s * 1e3)
        return [i for i, P in enumerate(self.pieces) if P.contains(q, tol=t2)]

    def normal_cone(self, q: np.ndarray, *, theta: np.ndarray | None = None,
                    tol: Tolerance | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The intersection over the pieces containing ``q`` of their normal cones.

        The tangent cone of a union is the union of the tangent cones, so its polar is the
        intersection of the polars; each piece's normal cone at ``q`` is generated by its
        active rows (and spans its equalities).

        Raises
        ------
        ValueError
            If ``q`` lies on no piece.

        Examples
        --------
        >>> H, E = PolyhedralModel([Box([0.0, 0.0], [1.0, 1.0])]).normal_cone(np.array([1.0, 0.5]))
        >>> np.round(H, 12).tolist(), np.abs(np.round(E, 12)).tolist()     # N = cone(e1)
        ([[-1.0, -0.0]], [[0.0, 1.0]])
        """
        t = resolve(tol)
        q = np.asarray(q, dtype=float)
        idx = self.pieces_containing(q, t)
        if not idx:
            raise ValueError("q does not lie on the model (no piece contains it)")
        s = max(1.0, float(np.abs(q).max()))
        Hs, Es = [], []
        for i in idx:
            P = self.pieces[i]
            slack = P.b - P.A @ q
            act = slack <= 1e3 * t.feas_atol * s
            gens = np.vstack([P.A[act], P.A_eq, -P.A_eq])
            H, E = _polar_of_generated(gens, self.dim)
            Hs.append(H)
            Es.append(E)
        return np.vstack(Hs), np.vstack(Es)

    def support(self, n: np.ndarray, q: np.ndarray, *, scale: float = 1.0,
                tol: Tolerance | None = None) -> SupportCheck:
        """LP per piece: ``max nᵀp`` over the piece; unbounded or ``> nᵀq`` fails.

        Examples
        --------
        >>> M = PolyhedralModel([HPolytope([[-1.0]], [0.0])])          # the half-line p >= 0
        >>> M.support(np.array([-1.0]), np.array([0.0])).ok, M.support(np.array([1.0]), np.array([0.0])).ok
        (True, False)
        """
        t = resolve(tol)
        nn = max(1.0, float(np.linalg.norm(n)))
        for P in self.pieces:
            res = solve_lp(-n, P.A, P.b, P.A_eq if len(P.b_eq) else None, P.b_eq if len(P.b_eq) else None,
                           tol=t)
            if res.status is LPStatus.INFEASIBLE:
                continue
            if res.status is LPStatus.OPTIMAL and n @ res.x - n @ q <= t.feas_atol * scale * nn * 1e3:
                continue
            # a competitor: the best point of the piece within a large box around q
            R = 1e3 * scale
            bounds = [(float(qi - R), float(qi + R)) for qi in q]
            res2 = solve_lp(-n, P.A, P.b, P.A_eq if len(P.b_eq) else None, P.b_eq if len(P.b_eq) else None,
                            bounds=bounds, tol=t)
            p = res2.x if res2.status is LPStatus.OPTIMAL else None
            return SupportCheck(False, p)
        return SupportCheck(True)


def _polar_of_generated(gens: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """H-description ``{n : H n <= 0, E n = 0}`` of the cone generated by the rows ``gens``."""
    gens = np.asarray(gens, dtype=float).reshape(-1, m)
    gens = gens[np.linalg.norm(gens, axis=1) > 0]
    if len(gens) == 0:
        return np.zeros((0, m)), np.eye(m)
    A, b, A_eq, b_eq = inequalities(np.zeros((1, m)), gens)
    return A, A_eq


def _max_likelihood_polyhedron(P: HPolytope, u: np.ndarray, t: Tolerance) -> np.ndarray:
    """``argmax Σ u_i log p_i`` over a polyhedron inside the simplex (convex; SLSQP)."""
    from scipy.optimize import minimize

    m = P.dim
    try:
        x0 = P.interior_point(tol=t)
    except Exception:
        raise InfeasibleError("empty piece") from None
    pos = u > 0

    def f(x: np.ndarray) -> float:
        xp = np.maximum(x[pos], 1e-300)
        return -float(u[pos] @ np.log(xp))

    def g(x: np.ndarray) -> np.ndarray:
        out = np.zeros(m)
        out[pos] = -u[pos] / np.maximum(x[pos], 1e-300)
        return out

    cons = [{"type": "ineq", "fun": lambda x: P.b - P.A @ x, "jac": lambda x: -P.A}]
    if len(P.b_eq):
        cons.append({"type": "eq", "fun": lambda x: P.A_eq @ x - P.b_eq, "jac": lambda x: P.A_eq})
    cons.append({"type": "ineq", "fun": lambda x: x, "jac": lambda x: np.eye(m)})
    x0 = np.maximum(x0, 1e-9)
    res = minimize(f, x0, jac=g, constraints=cons, method="SLSQP", options={"maxiter": 500, "ftol": 1e-15})
    return np.asarray(res.x, dtype=float)


# ============================================================================ cones
class ConeUnionModel(PolyhedralModel):
    """A finite union of polyhedral cones ``cone(G_i)`` (generators as columns).

    Nearest points are exact by NNLS on each cone; the H-descriptions (for normal cones) are
    computed by pycddlib only for the cones that contain the point asked about.

    Parameters
    ----------
    generators : sequence of ndarray (m, r_i)
        Generator matrices; lineality as pairs ``±g``.
    labels : sequence, optional
        A label per cone (e.g. the activation patterns and signs it comes from).

    Examples
    --------
    >>> M = ConeUnionModel([np.eye(2)])                  # the closed positive quadrant
    >>> M.nearest([-1.0, 3.0]).point.tolist()
    [0.0, 3.0]
    """

    is_cone = True

    def __init__(self, generators: Sequence[np.ndarray], labels: Sequence[Any] | None = None):
        gens = [np.asarray(G, dtype=float) for G in generators]
        if not gens:
            raise ValueError("generators must contain at least one cone")
        m = gens[0].shape[0]
        for G in gens:
            if G.ndim != 2 or G.shape[0] != m:
                raise ValueError(f"every generator matrix must have shape ({m}, r); got {G.shape}")
        self.generators = gens
        self.labels = list(labels) if labels is not None else list(range(len(gens)))
        self.dim = m
        self._H: dict[int, HPolytope] = {}

    def __repr__(self) -> str:
        return f"ConeUnionModel({len(self.generators)} cones in R^{self.dim})"

    @property
    def pieces(self) -> list[HPolytope]:  # type: ignore[override]
        """H-descriptions of all cones (computed on first use)."""
        return [self.piece(i) for i in range(len(self.generators))]

    def piece(self, i: int) -> HPolytope:
        """The H-description ``{z : A z <= 0, A_eq z = 0}`` of cone ``i``.

        Examples
        --------
        >>> ConeUnionModel([np.eye(2)]).piece(0).contains([1.0, 2.0])
        True
        """
        if i not in self._H:
            G = self.generators[i]
            m = self.dim
            if G.shape[1] == 0 or not np.any(G):
                self._H[i] = HPolytope(np.zeros((0, m)), np.zeros(0), np.eye(m), np.zeros(m))
            else:
                A, b, A_eq, b_eq = inequalities(np.zeros((1, m)), G.T)
                self._H[i] = HPolytope(A, np.zeros(len(b)), A_eq, np.zeros(len(b_eq)))
        return self._H[i]

    def exact_for(self, metric: Metric) -> bool:
        """Exact for Euclidean and Q-weighted distances (NNLS).

        Examples
        --------
        >>> ConeUnionModel([np.eye(2)]).exact_for(as_metric("log"))
        False
        """
        return metric.kind is not MetricKind.LOG

    def nearest(self, u: object, metric: object = "euclidean", *, rng: object = None,
                tol: Tolerance | None = None) -> NearestPoint:
        """Nearest point by NNLS on every cone.

        Examples
        --------
        >>> M = ConeUnionModel([np.array([[1.0], [0.0]]), np.array([[0.0], [1.0]])])  # two axes
        >>> r = M.nearest([1.0, 2.0]); r.point.tolist(), r.piece
        ([0.0, 2.0], 1)
        """
        met = as_metric(metric)
        if met.kind is MetricKind.LOG:
            raise ValueError("ConeUnionModel supports Euclidean and Q-weighted distances only")
        u = self._check_u(u)
        L = met.factor(self.dim)
        best: NearestPoint | None = None
        for i, G in enumerate(self.generators):
            p, _ = project_cone(u, G, L=L)
            val = float(np.linalg.norm(L @ (u - p)))
            if best is None or val < best.loss:
                best = NearestPoint(p, val, True, piece=i)
        assert best is not None
        return best

    def pieces_containing(self, q: np.ndarray, tol: Tolerance) -> list[int]:
        """Cones whose NNLS distance to ``q`` is within the tolerance.

        Examples
        --------
        >>> ConeUnionModel([np.eye(2), -np.eye(2)]).pieces_containing(np.array([0.0, 1.0]), resolve(None))
        [0]
        """
        s = max(1.0, float(np.abs(q).max()))
        out = []
        for i, G in enumerate(self.generators):
            p, _ = project_cone(q, G)
            if np.linalg.norm(p - q) <= 1e3 * tol.feas_atol * s:
                out.append(i)
        return out

    def support(self, n: np.ndarray, q: np.ndarray, *, scale: float = 1.0,
                tol: Tolerance | None = None) -> SupportCheck:
        """``sup`` over a cone is 0 or ``+∞``: check ``nᵀg <= 0`` for all generators and ``nᵀq >= 0``.

        Examples
        --------
        >>> ConeUnionModel([np.eye(2)]).support(np.array([-1.0, -1.0]), np.zeros(2)).ok
        True
        """
        t = resolve(tol)
        nn = max(1.0, float(np.linalg.norm(n)))
        eps = 1e3 * t.feas_atol * nn
        if n @ q < -eps * scale:
            return SupportCheck(False, np.zeros(self.dim))
        best, arg = eps, None
        for G in self.generators:
            if G.shape[1] == 0:
                continue
            g = G / np.maximum(np.linalg.norm(G, axis=0), 1e-300)
            v = n @ g
            k = int(np.argmax(v))
            if v[k] > best:
                best, arg = float(v[k]), g[:, k]
        if arg is None:
            return SupportCheck(True)
        return SupportCheck(False, arg * 1e3 * scale)


# ============================================================================ toric
class ToricModel(Model):
    """A log-linear (toric) statistical model ``{p ∈ Δ : log p − log c ∈ rowspan(A) + R·1}``.

    Parameters
    ----------
    A : array_like (k, m)
        Integer (or real) design matrix; the all-ones row is added when it is not in the row
        span, so ``p ∝ c · exp(Aᵀθ)``.
    coefficients : array_like (m,), optional
        Positive coefficients ``c`` (a scaled toric model); all ones by default. The binomial
        twisted cubic, ``p = (s³, 3s²t, 3st², t³)``, has ``A = [[3, 2, 1, 0], [0, 1, 2, 3]]``
        and ``c = (1, 3, 3, 1)``.

    Notes
    -----
    By Birch's theorem, which holds for every positive ``c``, the maximum likelihood estimate
    of ``u ∈ Δ`` is the unique model point ``p̂`` with ``A p̂ = A u``; hence the logarithmic
    Voronoi cell of ``q`` is the polytope ``{u ∈ Δ : A u = A q}``, exactly.

    Examples
    --------
    Independence of two binary variables (rows: row sums and column sums):

    >>> M = ToricModel([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1]])
    >>> np.round(M.nearest([0.1, 0.2, 0.3, 0.4], "log").point, 6).tolist()
    [0.12, 0.18, 0.28, 0.42]

    The binomial model of three trials; its MLE is Binomial(3, θ̂), θ̂ the mean count / 3:

    >>> B = ToricModel([[3, 2, 1, 0], [0, 1, 2, 3]], coefficients=[1, 3, 3, 1])
    >>> B.contains([1/8, 3/8, 3/8, 1/8])
    True
    >>> np.round(B.nearest([0.25, 0.25, 0.25, 0.25]).point, 6).tolist()   # θ̂ = 1/2
    [0.125, 0.375, 0.375, 0.125]
    """

    def __init__(self, A: object, coefficients: object = None):
        A = as_array(A, name="A", ndim=2)
        m = A.shape[1]
        ones = np.ones((1, m))
        if np.linalg.matrix_rank(np.vstack([A, ones])) > np.linalg.matrix_rank(A):
            A = np.vstack([A, ones])
        A.setflags(write=False)
        self.A = A
        self.dim = m
        if coefficients is None:
            c = np.ones(m)
        else:
            c = as_array(coefficients, name="coefficients", shape=(m,))
            if np.any(c <= 0):
                raise ValueError(f"the coefficients of a toric model must be positive; got {c.tolist()}")
        c = c.astype(float).copy()
        c.setflags(write=False)
        self.coefficients = c
        self._logc = np.log(c)

    def __repr__(self) -> str:
        extra = "" if np.all(self.coefficients == 1) else f", coefficients {self.coefficients.tolist()}"
        return f"ToricModel(A with shape {self.A.shape}{extra})"

    def exact_for(self, metric: Metric) -> bool:
        """Exact for ``log`` (a strictly concave problem in log-linear coordinates).

        Examples
        --------
        >>> ToricModel([[1, 0], [0, 1]]).exact_for(as_metric("log"))
        True
        """
        return metric.kind is MetricKind.LOG

    def contains(self, q: object, *, tol: Tolerance | None = None) -> bool:
        """Whether ``q`` is a positive point of the model (``log q ∈ rowspan(A)``).

        Examples
        --------
        >>> M = ToricModel([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1]])
        >>> M.contains([1/12, 1/4, 1/6, 1/2]), M.contains([0.1, 0.2, 0.3, 0.4])
        (True, False)
        """
        t = resolve(tol)
        q = np.asarray(q, dtype=float)
        if np.any(q <= 0) or abs(q.sum() - 1) > t.eval_rtol:
            return False
        lq = np.log(q) - self._logc
        coef = np.linalg.lstsq(self.A.T, lq, rcond=None)[0]
        return bool(np.linalg.norm(self.A.T @ coef - lq) <= t.eval_rtol * max(1.0, np.abs(lq).max()))

    def nearest(self, u: object, metric: object = "log", *, rng: object = None,
                tol: Tolerance | None = None) -> NearestPoint:
        """The maximum likelihood estimate (Newton's method on the convex dual).

        Examples
        --------
        >>> M = ToricModel([[2, 1, 0], [0, 1, 2]])        # p ∝ (s², st, t²)
        >>> np.round(M.nearest([0.5, 0.0, 0.5]).point, 6).tolist()
        [0.333333, 0.333333, 0.333333]
        """
        met = as_metric(metric)
        if met.kind is not MetricKind.LOG:
            raise ValueError("ToricModel supports the log-likelihood metric only; use a ParametrizedModel")
        u = self._check_u(u)
        u = u / u.sum()
        A = self.A
        b = A @ u
        lc = self._logc
        theta = np.zeros(A.shape[0])
        for _ in range(200):
            z = A.T @ theta + lc
            z -= z.max()
            p = np.exp(z)
            p /= p.sum()
            g = A @ p - b
            if np.linalg.norm(g) <= 1e-15 * max(1.0, np.abs(b).max()):
                break
            Hm = (A * p) @ A.T - np.outer(A @ p, A @ p)
            step = np.linalg.lstsq(Hm, g, rcond=None)[0]
            # damped Newton on f(θ) = log Σ c exp(Aᵀθ) − bᵀθ
            z0 = A.T @ theta + lc
            f0 = np.log(np.exp(z0 - z0.max()).sum()) + z0.max() - b @ theta
            s = 1.0
            while s > 1e-10:
                th2 = theta - s * step
                z2 = A.T @ th2 + lc
                f2 = np.log(np.exp(z2 - z2.max()).sum()) + z2.max() - b @ th2
                if f2 <= f0 + 1e-14 * abs(f0):
                    break
                s *= 0.5
            theta = theta - s * step
        z = A.T @ theta + lc
        p = np.exp(z - z.max())
        p /= p.sum()
        return NearestPoint(p, float(met.losses(u[None], p[None])[0]), True, theta=theta)

    def log_cell(self, q: np.ndarray) -> HPolytope:
        """The logarithmic Voronoi cell ``{u ∈ Δ : A u = A q}`` of a model point.

        Examples
        --------
        >>> M = ToricModel([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1]])
        >>> M.log_cell(np.array([1/12, 1/4, 1/6, 1/2])).dimension()
        1
        """
        m = self.dim
        return HPolytope(-np.eye(m), np.zeros(m), self.A, self.A @ q)

    def normal_cone(self, q: np.ndarray, *, theta: np.ndarray | None = None,
                    tol: Tolerance | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Normal space ``{n : n ⊥ T}`` of the model at ``q``, ``T = {diag(q) Aᵀλ : qᵀAᵀλ = 0}``.

        The log-normal condition ``u/q ∈ N`` is then ``A u ∥ A q`` (Birch).

        Examples
        --------
        >>> H, E = ToricModel([[1, 0], [0, 1]]).normal_cone(np.array([0.5, 0.5]))  # the whole simplex
        >>> H.shape, E.shape
        ((0, 2), (1, 2))
        """
        m = self.dim
        q = np.asarray(q, dtype=float)
        # tangent space: {diag(q) Aᵀ λ : qᵀAᵀλ = 0}; normal space: its orthogonal complement
        Aq = (self.A @ q)[None, :]
        _, sv, Vt = np.linalg.svd(Aq)
        K = Vt[int((sv > 1e-14).sum()):].T
        T = (q[:, None] * self.A.T) @ K
        U, s, _ = np.linalg.svd(T, full_matrices=False)
        r = int((s > 1e-12 * max(1.0, s.max(initial=0.0))).sum())
        E = U[:, :r].T
        return np.zeros((0, m)), E


# ===================================================================== parametrized
def _poly_constraints(ineq: object, param: object) -> Callable | None:
    """Wrap inequalities ``g(θ) >= 0`` (strings, a Parametrization or a callable)."""
    if ineq is None:
        return None
    if callable(ineq) and not hasattr(ineq, "evaluate"):
        return ineq
    if not hasattr(ineq, "evaluate"):
        from ..algebra import PolynomialParametrization
        from ..algebra._parse import parse_inequality

        names = list(getattr(param, "param_names", [f"t{i}" for i in range(param.n_params)]))
        items = [ineq] if isinstance(ineq, str) else list(ineq)
        # strings are read (never evaluated): "g", "g >= h", "g <= h", "g > h", "g < h"; strict
        # inequalities constrain the closure (the optimisation is over closed sets)
        gs = [parse_inequality(g, names, what=f"inequality {i}").nonnegative() if isinstance(g, str) else g
              for i, g in enumerate(items)]
        ineq = PolynomialParametrization(gs, params=names, outputs=[f"g{i + 1}" for i in range(len(gs))])
    g = ineq

    def fun(theta: np.ndarray) -> np.ndarray:
        return np.asarray(g.evaluate(theta), dtype=float)

    fun.jacobian = lambda theta: np.asarray(g.jacobian(theta), dtype=float)  # type: ignore[attr-defined]
    return fun


def _num_jac(f: Callable, x: np.ndarray, f0: np.ndarray | None = None) -> np.ndarray:
    f0 = f(x) if f0 is None else f0
    h = 1e-7 * np.maximum(1.0, np.abs(x))
    J = np.empty((len(f0), len(x)))
    for j in range(len(x)):
        xp = x.copy()
        xp[j] += h[j]
        J[:, j] = (f(xp) - f0) / h[j]
    return J


class ParametrizedModel(Model):
    r"""The image ``{φ(θ) : θ ∈ D}`` of a polynomial parametrization over a domain.

    Parameters
    ----------
    param : Parametrization
        Any object with ``n_params``, ``n_outputs``, batched ``evaluate`` and single-point
        ``jacobian`` (a :class:`relugeom.algebra.Parametrization`, a pattern map, …). A
        piecewise map may define ``smooth_at(θ)``; where it is False no normal cone is used.
    domain : Box or HPolytope, optional
        Linear constraints on θ (default: all of ``R^P``).
    inequalities : sequence of str, Parametrization or callable, optional
        Semialgebraic constraints ``g_i(θ) >= 0`` (polynomial strings in the parameter
        names, read by :func:`relugeom.algebra._parse.parse_inequality`: ``"g"`` means
        ``g >= 0``, and ``"p >= q"``, ``"p <= q"``, ``"p > q"``, ``"p < q"`` are accepted,
        strict ones constraining the closure; or a callable ``θ ↦ g(θ)``).
    cone : bool, optional
        Whether the image is closed under ``t >= 0`` scaling (default: the parametrization is
        homogeneous and the domain is all of ``R^P``).
    theta_scale : float
        Standard deviation of random starting points on unbounded domains.
    n_starts : int
        Random starts of the multistart local optimisation (plus warm starts).

    Notes
    -----
    Nearest points come from multistart local optimisation (``scipy.optimize``:
    ``least_squares`` on boxes, SLSQP with constraints, L-BFGS-B for the likelihood). They
    are *not* certified: Voronoi cells of these models are never reported exact.

    Examples
    --------
    The upper half circle:

    >>> from relugeom.algebra import PolynomialParametrization
    >>> from relugeom.voronoi import half_circle
    >>> M = half_circle()
    >>> np.round(M.nearest([0.0, 2.0], rng=0).point, 6).tolist()
    [0.0, 1.0]
    """

    def __init__(self, param: object, domain: HPolytope | None = None, *, inequalities: object = None,
                 cone: bool | None = None, theta_scale: float = 1.0, n_starts: int = 8):
        for attr in ("n_params", "n_outputs", "evaluate", "jacobian"):
            if not hasattr(param, attr):
                raise TypeError(f"param must provide {attr!r} (a relugeom Parametrization); "
                                f"got {type(param).__name__}")
        self.param = param
        self.n_params = int(param.n_params)
        self.dim = int(param.n_outputs)
        if domain is not None:
            if not isinstance(domain, HPolytope):
                raise TypeError("domain must be a Box or HPolytope over the parameters")
            if domain.dim != self.n_params:
                raise ValueError(f"domain must live in R^{self.n_params} (the parameters); got R^{domain.dim}")
        self.domain = domain
        self.ineq = _poly_constraints(inequalities, param)
        if cone is None:
            cone = bool(getattr(param, "homogeneous", False)) and domain is None and self.ineq is None
        self.is_cone = bool(cone)
        self.theta_scale = float(theta_scale)
        self.n_starts = int(n_starts)
        self._pool: list[np.ndarray] = []
        try:
            degs = [int(np.asarray(E).sum(axis=1).max()) for E in param.output_exponents() if len(E)]
            self.degree = max(1, max(degs)) if degs else 1
        except Exception:
            self.degree = int(getattr(param, "degree", 1))
        self._box = None
        if isinstance(domain, Box):
            self._box = (np.asarray(domain.lo, dtype=float), np.asarray(domain.hi, dtype=float))

    def __repr__(self) -> str:
        return f"ParametrizedModel({self.param!r}, domain={self.domain!r})"

    # ------------------------------------------------------------- feasibility
    def feasible(self, theta: np.ndarray, tol: Tolerance | None = None) -> bool:
        """Whether θ lies in the domain (up to the tolerance).

        Examples
        --------
        >>> from relugeom.voronoi import half_circle
        >>> half_circle().feasible(np.array([4.0]))
        False
        """
        t = resolve(tol)
        s = max(1.0, float(np.abs(theta).max()))
        if self.domain is not None and not np.all(self.domain.A @ theta - self.domain.b <= 1e3 * t.feas_atol * s):
            return False
        if self.domain is not None and len(self.domain.b_eq) and not np.allclose(
                self.domain.A_eq @ theta, self.domain.b_eq, atol=1e3 * t.feas_atol * s):
            return False
        if self.ineq is not None and np.any(self.ineq(theta) < -1e3 * t.feas_atol * s):
            return False
        return True

    def _starts(self, gen: np.random.Generator, u: np.ndarray, extra: list[np.ndarray]) -> list[np.ndarray]:
        P = self.n_params
        starts = [e for e in extra if e is not None]
        if self._box is not None:
            lo, hi = self._box
            lo2 = np.where(np.isfinite(lo), lo, -3 * self.theta_scale)
            hi2 = np.where(np.isfinite(hi), hi, 3 * self.theta_scale)
            starts += list(gen.uniform(lo2, hi2, size=(self.n_starts, P)))
        else:
            un = float(np.linalg.norm(u))
            sc = self.theta_scale * max(1.0, un) ** (1.0 / self.degree)
            starts += list(gen.normal(0.0, sc, size=(self.n_starts, P)))
            if self.domain is not None or self.ineq is not None:
                starts += list(gen.normal(0.0, self.theta_scale, size=(self.n_starts, P)))
        return starts

    def _local(self, theta0: np.ndarray, u: np.ndarray, met: Metric, L: np.ndarray | None,
               fine: bool = False) -> np.ndarray:
        from scipy.optimize import least_squares, minimize

        phi, P = self.param, self.n_params
        linear = self.domain is not None and not isinstance(self.domain, Box)
        if met.kind is not MetricKind.LOG:
            assert L is not None
            if not linear and self.ineq is None:
                lb, ub = (self._box if self._box is not None else (np.full(P, -np.inf), np.full(P, np.inf)))
                x0 = np.clip(theta0, lb, ub)
                x0 = np.where((x0 == lb) | (x0 == ub), np.clip(x0 + 1e-9 * (ub - lb), lb, ub), x0) \
                    if self._box is not None else x0
                ftol = 1e-15 if fine else 1e-8
                # MINPACK's Levenberg-Marquardt when unconstrained and not underdetermined
                lm = self._box is None and L.shape[0] >= P
                res = least_squares(lambda th: L @ (phi.evaluate(th) - u), x0,
                                    jac=lambda th: L @ phi.jacobian(th), bounds=(lb, ub),
                                    method="lm" if lm else "trf", xtol=ftol, ftol=ftol, gtol=ftol,
                                    max_nfev=(200 if fine else 40) * (P + 1 if lm else 1))
                return np.clip(res.x, lb, ub)

            def f(th: np.ndarray) -> tuple[float, np.ndarray]:
                r = L @ (phi.evaluate(th) - u)
                return 0.5 * float(r @ r), (L @ phi.jacobian(th)).T @ r
        else:
            pos = u > 0

            def f(th: np.ndarray) -> tuple[float, np.ndarray]:
                p = phi.evaluate(th)
                if np.any(p[pos] <= 0):
                    return 1e300, np.zeros(P)
                J = phi.jacobian(th)
                return -float(u[pos] @ np.log(p[pos])), -(u[pos] / p[pos]) @ J[pos]
            if not linear and self.ineq is None:
                bounds = None if self._box is None else list(zip(*self._box))
                res = minimize(f, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                               options={"maxiter": 500 if fine else 60, "ftol": 1e-15 if fine else 1e-9,
                                        "gtol": 1e-12 if fine else 1e-7})
                return res.x
        cons = []
        if self.domain is not None:
            D = self.domain
            cons.append({"type": "ineq", "fun": lambda th: D.b - D.A @ th, "jac": lambda th: -D.A})
            if len(D.b_eq):
                cons.append({"type": "eq", "fun": lambda th: D.A_eq @ th - D.b_eq, "jac": lambda th: D.A_eq})
        if self.ineq is not None:
            g = self.ineq
            jac = getattr(g, "jacobian", None) or (lambda th: _num_jac(g, th))
            cons.append({"type": "ineq", "fun": g, "jac": jac})
        res = minimize(f, theta0, jac=True, method="SLSQP", constraints=cons,
                       options={"maxiter": 300 if fine else 60, "ftol": 1e-15 if fine else 1e-9})
        return res.x

    def nearest(self, u: object, metric: object = "euclidean", *, rng: object = None,
                tol: Tolerance | None = None, warm: Sequence[np.ndarray] = ()) -> NearestPoint:
        """Multistart local optimisation of ``d(u, φ(θ))`` over the domain (not certified).

        Parameters
        ----------
        warm : sequence of ndarray
            Extra starting parameters (tried first).

        Examples
        --------
        >>> from relugeom.voronoi import rank_one_model
        >>> r = rank_one_model(2, 2).nearest([3.0, 0.0, 0.0, 1.0], rng=0)
        >>> np.round(r.point, 6).tolist(), r.exact
        ([3.0, 0.0, 0.0, 0.0], False)
        """
        met = as_metric(metric)
        t = resolve(tol)
        u = self._check_u(u)
        gen = np.random.default_rng(rng)
        L = None if met.kind is MetricKind.LOG else met.factor(self.dim)
        best: NearestPoint | None = None
        for th0 in self._starts(gen, u, list(warm) + self._pool[-2:]):
            try:
                with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                    th = self._local(np.asarray(th0, dtype=float), u, met, L)
            except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:  # pragma: no cover
                log.debug("local solve failed: %s", exc)
                continue
            if not np.all(np.isfinite(th)) or not self.feasible(th, t):
                continue
            p = np.asarray(self.param.evaluate(th), dtype=float)
            val = float(met.losses(u[None], p[None])[0])
            if best is None or val < best.loss:
                best = NearestPoint(p, val, False, theta=th)
        if best is None:
            raise InfeasibleError("no feasible parameter found by the local searches")
        # polish the best local solution with tight tolerances
        try:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                th = self._local(np.asarray(best.theta, dtype=float), u, met, L, fine=True)
            if np.all(np.isfinite(th)) and self.feasible(th, t):
                p = np.asarray(self.param.evaluate(th), dtype=float)
                val = float(met.losses(u[None], p[None])[0])
                if val <= best.loss:
                    best = NearestPoint(p, val, False, theta=th)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError):  # pragma: no cover
            pass
        self._pool.append(best.theta)
        self._pool = self._pool[-8:]
        return best

    def preimage(self, q: np.ndarray, *, rng: object = None, tol: Tolerance | None = None) -> np.ndarray:
        """A parameter θ with ``φ(θ) ≈ q`` (by the nearest-point search).

        Raises
        ------
        ValueError
            If no parameter maps close to ``q`` (``q`` is not on the model).

        Examples
        --------
        >>> from relugeom.voronoi import half_circle
        >>> np.round(half_circle().preimage(np.array([0.0, 1.0]), rng=0), 6).tolist()
        [1.570796]
        """
        t = resolve(tol)
        r = self.nearest(q, "euclidean", rng=rng, tol=t)
        if r.loss > max(1e-6, t.eval_rtol) * max(1.0, float(np.linalg.norm(q))):
            raise ValueError(f"q is not on the model: the nearest model point found is at distance {r.loss:.3g}")
        return r.theta

    def normal_cone(self, q: np.ndarray, *, theta: np.ndarray | None = None,
                    tol: Tolerance | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The polar of ``J·D`` with ``J = dφ(θ)`` and ``D`` the cone of feasible directions at θ.

        ``J·D`` lies in the tangent cone of the image at ``q = φ(θ)`` (for linear domain
        constraints, and for polynomial ones whose active gradients are independent), so its
        polar contains the normal cone: a valid outer approximation even at singular
        points (where ``J`` drops rank). Without a usable ``D`` the whole space is returned.

        Examples
        --------
        >>> from relugeom.voronoi import half_circle
        >>> H, E = half_circle().normal_cone(np.array([1.0, 0.0]), theta=np.array([0.0]))
        >>> np.round(H, 12).tolist(), E.shape
        ([[0.0, 1.0]], (0, 2))
        """
        t = resolve(tol)
        if theta is None:
            theta = self.preimage(q, tol=t)
        theta = np.asarray(theta, dtype=float)
        smooth = getattr(self.param, "smooth_at", None)
        if smooth is not None and not smooth(theta):
            log.info("the parametrization is not smooth at θ (a kink); no normal cone used")
            return np.zeros((0, self.dim)), np.zeros((0, self.dim))
        J = np.asarray(self.param.jacobian(theta), dtype=float).reshape(self.dim, self.n_params)
        s = max(1.0, float(np.abs(theta).max()))
        eps = 1e-7 * s
        G = []  # active constraint gradients: feasible directions d satisfy G d >= 0
        if self.domain is not None:
            D = self.domain
            act = D.b - D.A @ theta <= eps
            G += list(-D.A[act])
        nonlinear = []
        if self.ineq is not None:
            gv = self.ineq(theta)
            act = np.abs(gv) <= eps
            if np.any(act):
                jac = getattr(self.ineq, "jacobian", None)
                Jg = jac(theta) if jac is not None else _num_jac(self.ineq, theta, gv)
                nonlinear = list(np.asarray(Jg)[act])
        if nonlinear and np.linalg.matrix_rank(np.array(nonlinear)) < len(nonlinear):
            log.info("active polynomial constraints are not independent at θ; no normal cone used")
            m = self.dim
            return np.zeros((0, m)), np.zeros((0, m))
        G += nonlinear
        eqs = []
        if self.domain is not None and len(self.domain.b_eq):
            eqs = list(self.domain.A_eq)
        P = self.n_params
        if not G and not eqs:
            return np.zeros((0, self.dim)), J.T.copy()
        Dcone = HPolytope(-np.array(G).reshape(-1, P), np.zeros(len(G)),
                          np.array(eqs).reshape(-1, P) if eqs else None, np.zeros(len(eqs)) if eqs else None)
        V, R = generators(Dcone)
        # lineality shows up as ± pairs; treat every ray as a ray (polar: nᵀ(J r) <= 0)
        H = (J @ R.T).T if len(R) else np.zeros((0, self.dim))
        H = H[np.linalg.norm(H, axis=1) > 1e-12 * max(1.0, np.abs(J).max())]
        return H, np.zeros((0, self.dim))


def as_model(model: object) -> Model:
    """A :class:`Model` from a model, an ``(n, m)`` array of points, or a polyhedron.

    Examples
    --------
    >>> as_model([[0.0, 1.0], [1.0, 0.0]])
    FiniteModel(2 points in R^2)
    """
    if isinstance(model, Model):
        return model
    if isinstance(model, HPolytope):
        return PolyhedralModel([model])
    if hasattr(model, "evaluate") and hasattr(model, "jacobian"):
        return ParametrizedModel(model)
    return FiniteModel(model)
