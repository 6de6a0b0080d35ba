"""H-polytopes ``{x : A x <= b, A_eq x = b_eq}``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._tol import Tolerance, resolve
from .._validation import as_array, as_points
from ..errors import InfeasibleError, SolverError, UnboundedError
from ._lp import LPStatus, solve_lp

if TYPE_CHECKING:
    from ._exact import BoundCertificate, FarkasCertificate
    from ._vpoly import VPolytope

__all__ = ["HPolytope", "Box", "AffineHull"]

_BIG = 1e12  # cap on the Chebyshev radius of unbounded polyhedra


@dataclass(frozen=True)
class AffineHull:
    """An affine subspace ``{origin + directionsᵀ t : t ∈ R^k}`` = ``{x : A_eq x = b_eq}``.

    Attributes
    ----------
    origin : ndarray (d,)
        A point of the subspace (for :meth:`HPolytope.affine_hull`: a relative-interior
        point of the polyhedron).
    directions : ndarray (k, d)
        Orthonormal rows spanning the direction space.
    A_eq, b_eq : ndarray (d - k, d), (d - k,)
        Orthonormal equations of the subspace.
    tol : Tolerance
        The tolerance used to detect it.

    Examples
    --------
    >>> Box([0, 0], [1, 0]).affine_hull().dimension
    1
    """

    origin: np.ndarray
    directions: np.ndarray
    A_eq: np.ndarray
    b_eq: np.ndarray
    tol: Tolerance

    @property
    def dimension(self) -> int:
        """``k``, the number of directions.

        Examples
        --------
        >>> Box([0, 0], [1, 1]).affine_hull().dimension
        2
        """
        return int(self.directions.shape[0])

    def to_coordinates(self, x: object) -> np.ndarray:
        """Coordinates ``t`` of points (orthogonal projection onto the subspace).

        Examples
        --------
        >>> H = Box([0, 0], [1, 0]).affine_hull()
        >>> np.allclose(H.from_coordinates(H.to_coordinates([[0.3, 0.0]])), [[0.3, 0.0]])
        True
        """
        X = np.asarray(x, dtype=float)
        return (X - self.origin) @ self.directions.T

    def from_coordinates(self, t: object) -> np.ndarray:
        """Points ``origin + directionsᵀ t`` (rows).

        Examples
        --------
        >>> Box([0, 0], [1, 0]).affine_hull().from_coordinates(np.zeros((1, 1))).shape
        (1, 2)
        """
        T = np.asarray(t, dtype=float)
        return self.origin + T @ self.directions


class HPolytope:
    r"""A convex polyhedron ``{x ∈ R^d : A x <= b, A_eq x = b_eq}``.

    Parameters
    ----------
    A : array_like (m, d)
    b : array_like (m,)
    A_eq : array_like (k, d), optional
    b_eq : array_like (k,), optional

    Notes
    -----
    The name says polytope, but unbounded polyhedra are allowed; :meth:`is_bounded` tells.
    The constructor only stores and checks shapes (the arrays are read-only); every
    computation is a method.

    Examples
    --------
    >>> P = HPolytope([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [1.0, 1.0, 0.0])
    >>> P.dim, P.n_constraints
    (2, 3)
    >>> P.contains([[0.2, 0.2], [2.0, 0.0]]).tolist()
    [True, False]
    """

    def __init__(self, A: object, b: object, A_eq: object | None = None,
                 b_eq: object | None = None):
        A = as_array(A, name="A", ndim=2)
        self.A = A
        self.b = as_array(b, name="b", shape=(A.shape[0],))
        d = A.shape[1]
        if A_eq is None:
            self.A_eq, self.b_eq = np.zeros((0, d)), np.zeros(0)
        else:
            self.A_eq = as_array(A_eq, name="A_eq", shape=(None, d))
            self.b_eq = as_array(b_eq, name="b_eq", shape=(self.A_eq.shape[0],))
        for arr in (self.A, self.b, self.A_eq, self.b_eq):
            arr.setflags(write=False)

    # ---------------------------------------------------------------- basics
    @property
    def dim(self) -> int:
        """Ambient dimension ``d``.

        Examples
        --------
        >>> Box([0, 0, 0], [1, 1, 1]).dim
        3
        """
        return self.A.shape[1]

    @property
    def n_constraints(self) -> int:
        """Number of inequality rows.

        Examples
        --------
        >>> Box([0, 0], [1, 1]).n_constraints
        4
        """
        return self.A.shape[0]

    def __repr__(self) -> str:
        eq = f", {self.A_eq.shape[0]} equalities" if len(self.b_eq) else ""
        return f"HPolytope(dim={self.dim}, {self.n_constraints} inequalities{eq})"

    @classmethod
    def from_box(cls, lo: object, hi: object) -> "HPolytope":
        """The box ``lo <= x <= hi``. See :class:`Box`.

        Examples
        --------
        >>> HPolytope.from_box([-1, -1], [1, 1]).n_constraints
        4
        """
        return Box(lo, hi)

    def contains(self, x: object, *, tol: Tolerance | None = None) -> np.ndarray | bool:
        """Whether points lie in the polyhedron, up to ``tol.feas_atol``.

        Examples
        --------
        >>> Box([0], [1]).contains([0.5])
        True
        """
        t = resolve(tol)
        X, single = as_points(x, self.dim)
        ok = np.all(X @ self.A.T - self.b <= t.feas_atol, axis=1)
        if len(self.b_eq):
            ok &= np.all(np.abs(X @ self.A_eq.T - self.b_eq) <= t.feas_atol, axis=1)
        return bool(ok[0]) if single else ok

    def intersect(self, other: "HPolytope") -> "HPolytope":
        """Intersection (constraints stacked, not simplified).

        Examples
        --------
        >>> Box([0], [2]).intersect(Box([1], [3])).chebyshev_center()[1]
        0.5
        """
        if other.dim != self.dim:
            raise ValueError(f"cannot intersect polyhedra in R^{self.dim} and R^{other.dim}")
        return HPolytope(np.vstack([self.A, other.A]), np.concatenate([self.b, other.b]),
                         np.vstack([self.A_eq, other.A_eq]), np.concatenate([self.b_eq, other.b_eq]))

    def add_halfspaces(self, A: object, b: object) -> "HPolytope":
        """The polyhedron cut by extra inequalities ``A x <= b``.

        Examples
        --------
        >>> Box([0], [2]).add_halfspaces([[1.0]], [1.0]).n_constraints
        3
        """
        A = as_array(A, name="A", shape=(None, self.dim))
        b = as_array(b, name="b", shape=(A.shape[0],))
        return HPolytope(np.vstack([self.A, A]), np.concatenate([self.b, b]), self.A_eq, self.b_eq)

    # ------------------------------------------------------------ LP queries
    def chebyshev_center(self, *, tol: Tolerance | None = None) -> tuple[np.ndarray, float]:
        """Centre and radius of the largest inscribed ball (within the equality subspace).

        The radius is capped at 1e12 for unbounded polyhedra.

        Raises
        ------
        InfeasibleError
            If the polyhedron is empty.

        Examples
        --------
        >>> c, r = Box([0, 0], [2, 4]).chebyshev_center(); r
        1.0
        """
        t = resolve(tol)
        d = self.dim
        norms = np.linalg.norm(self.A, axis=1)
        if len(self.b_eq):
            # the ball lives in the equality subspace: measure a_i's component orthogonal to A_eq's rows
            Q = _row_space(self.A_eq)
            proj = self.A - (self.A @ Q.T) @ Q
            norms = np.linalg.norm(proj, axis=1)
        A_ub = np.hstack([self.A, norms[:, None]])
        A_eq = np.hstack([self.A_eq, np.zeros((len(self.b_eq), 1))]) if len(self.b_eq) else None
        c = np.zeros(d + 1)
        c[-1] = -1.0
        bounds = [(None, None)] * d + [(0.0, _BIG)]
        res = solve_lp(c, A_ub, self.b, A_eq, self.b_eq if len(self.b_eq) else None,
                       bounds=bounds, tol=t)
        if res.status is LPStatus.INFEASIBLE:
            raise InfeasibleError(f"{self!r} is empty")
        if not res.optimal:
            raise SolverError(f"Chebyshev-centre LP failed: {res.message}")
        return res.x[:d], float(res.x[d])

    def interior_point(self, *, tol: Tolerance | None = None) -> np.ndarray:
        """A point in the relative interior (the Chebyshev centre).

        Raises
        ------
        InfeasibleError
            If empty or of lower dimension than its equality subspace.

        Examples
        --------
        >>> Box([0], [2]).interior_point().tolist()
        [1.0]
        """
        t = resolve(tol)
        x, r = self.chebyshev_center(tol=t)
        if r <= t.interior_atol:
            raise InfeasibleError(f"{self!r} has empty relative interior (Chebyshev radius {r:.3g})")
        return x

    def is_empty(self, *, tol: Tolerance | None = None) -> bool:
        """True when no point satisfies the constraints (up to ``tol.feas_atol``).

        Examples
        --------
        >>> HPolytope([[1.0], [-1.0]], [0.0, -1.0]).is_empty()
        True
        """
        res = solve_lp(np.zeros(self.dim), self.A, self.b, self.A_eq if len(self.b_eq) else None,
                       self.b_eq if len(self.b_eq) else None, tol=tol)
        if res.status is LPStatus.FAILED:
            raise SolverError(f"feasibility LP failed: {res.message}")
        return res.status is LPStatus.INFEASIBLE

    def is_full_dimensional(self, *, tol: Tolerance | None = None) -> bool:
        """True when the polyhedron has a ball of radius > ``tol.interior_atol`` inside.

        Examples
        --------
        >>> Box([0, 0], [1, 0]).is_full_dimensional()
        False
        """
        t = resolve(tol)
        if len(self.b_eq):
            return False
        try:
            return self.chebyshev_center(tol=t)[1] > t.interior_atol
        except InfeasibleError:
            return False

    def support(self, direction: object, *, tol: Tolerance | None = None) -> float:
        """``max direction @ x`` over the polyhedron.

        Raises
        ------
        InfeasibleError, UnboundedError

        Examples
        --------
        >>> Box([0, 0], [1, 2]).support([1.0, 1.0])
        3.0
        """
        c = as_array(direction, name="direction", shape=(self.dim,))
        res = solve_lp(-c, self.A, self.b, self.A_eq if len(self.b_eq) else None,
                       self.b_eq if len(self.b_eq) else None, tol=tol)
        if res.status is LPStatus.INFEASIBLE:
            raise InfeasibleError(f"{self!r} is empty")
        if res.status is LPStatus.UNBOUNDED:
            raise UnboundedError(f"{self!r} is unbounded in direction {c.tolist()}")
        if not res.optimal:
            raise SolverError(f"support LP failed: {res.message}")
        return -res.value

    def supports(self, directions: object, *, tol: Tolerance | None = None) -> np.ndarray:
        """``max u @ x`` over the polyhedron for each row ``u`` of ``directions``.

        One warm-started :class:`~relugeom.polyhedra.IncrementalLP` for all directions;
        ``+inf`` where unbounded.

        Raises
        ------
        InfeasibleError
            If the polyhedron is empty.

        Examples
        --------
        >>> Box([0, 0], [1, 2]).supports([[1.0, 0.0], [0.0, -1.0], [1.0, 1.0]]).tolist()
        [1.0, 0.0, 3.0]
        >>> HPolytope([[1.0, 0.0]], [1.0]).supports([[1.0, 0.0], [-1.0, 0.0]]).tolist()
        [1.0, inf]
        """
        from ._highs import IncrementalLP

        t = resolve(tol)
        D = as_array(directions, name="directions", shape=(None, self.dim))
        lp = IncrementalLP(self.A, self.b, self.A_eq if len(self.b_eq) else None,
                           self.b_eq if len(self.b_eq) else None, tol=t)
        out = np.empty(len(D))
        for i, u in enumerate(D):
            res = lp.solve(u, maximize=True)
            if res.status is LPStatus.INFEASIBLE:
                raise InfeasibleError(f"{self!r} is empty")
            if res.status is LPStatus.UNBOUNDED:
                out[i] = np.inf
            elif res.optimal:
                out[i] = res.value + 0.0  # no -0.0
            else:
                raise SolverError(f"support LP failed: {res.message}")
        return out

    def is_bounded(self, *, tol: Tolerance | None = None) -> bool:
        """True when the polyhedron is bounded (the empty set counts as bounded).

        A nonempty polyhedron is bounded iff its recession cone
        ``{y : A y <= 0, A_eq y = 0}`` is {0}, iff ``[A; A_eq]`` has rank ``d`` and some
        ``λ >= 1``, ``μ`` satisfy ``Aᵀλ + A_eqᵀμ = 0`` (then every ``a_i y`` is 0 on the cone).
        That is one feasibility LP on the normalised rows; an emptiness LP is run only when
        the cone test fails.

        Examples
        --------
        >>> Box([0], [1]).is_bounded(), HPolytope([[1.0]], [1.0]).is_bounded()
        (True, False)
        >>> HPolytope([[1.0, 0.0], [-1.0, 0.0]], [1.0, 1.0]).is_bounded()   # a strip
        False
        """
        t = resolve(tol)
        if _recession_cone_is_zero(self.A, self.A_eq, t):
            return True
        return self.is_empty(tol=t)

    def remove_redundant(self, *, tol: Tolerance | None = None) -> "HPolytope":
        """An irredundant H-representation of a full-dimensional polyhedron.

        Row ``i`` is kept iff maximising ``a_i x`` subject to the other kept rows (with row
        ``i`` relaxed by 1) exceeds ``b_i`` by more than ``tol.interior_atol·|a_i|``.
        Duplicate rows (after normalisation) are removed first.

        Examples
        --------
        >>> Box([0], [1]).add_halfspaces([[1.0]], [5.0]).remove_redundant().n_constraints
        2
        """
        t = resolve(tol)
        keep = irredundant_rows(self.A, self.b, A_eq=self.A_eq, b_eq=self.b_eq, tol=t)
        return HPolytope(self.A[keep], self.b[keep], self.A_eq, self.b_eq)

    # ------------------------------------------------------ affine dimension
    def implicit_equalities(self, *, tol: Tolerance | None = None) -> np.ndarray:
        """Indices of the inequality rows that hold with equality on the whole polyhedron.

        Found by LPs ``max Σ s_i`` subject to ``a_i x + s_i <= b_i``, ``0 <= s_i <= 1`` (rows
        normalised): rows reaching slack above ``tol.interior_atol`` are not implicit
        equalities; the LP is repeated on the undecided rows until its optimum is 0 (usually
        one or two LPs).

        Raises
        ------
        InfeasibleError
            If the polyhedron is empty.

        Examples
        --------
        >>> HPolytope([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]], [0.0, 0.0, 1.0, 1.0]).implicit_equalities().tolist()
        [0, 1]
        """
        t = resolve(tol)
        m, d = self.A.shape
        norms = np.linalg.norm(self.A, axis=1)
        alive = norms > 0
        if np.any(self.b[~alive] < -t.feas_atol):
            raise InfeasibleError(f"{self!r} is empty (a row 0 <= b_i with b_i < 0)")
        An = np.zeros_like(self.A)
        bn = np.zeros_like(self.b)
        An[alive] = self.A[alive] / norms[alive, None]
        bn[alive] = self.b[alive] / norms[alive]
        undecided = np.flatnonzero(alive)
        Aeq = self.A_eq if len(self.b_eq) else None
        beq = self.b_eq if len(self.b_eq) else None
        if len(undecided) == 0:
            if self.is_empty(tol=t):
                raise InfeasibleError(f"{self!r} is empty")
            return undecided.astype(np.int64)
        first = True
        while len(undecided):
            k = len(undecided)
            # variables (x, s_undecided); all rows kept, undecided rows get a slack
            S = np.zeros((m, k))
            S[undecided, np.arange(k)] = 1.0
            A_ub = np.hstack([An, S])
            c = np.concatenate([np.zeros(d), -np.ones(k)])
            bounds = [(None, None)] * d + [(0.0, 1.0)] * k
            res = solve_lp(c, A_ub, bn, None if Aeq is None else np.hstack([Aeq, np.zeros((len(beq), k))]),
                           beq, bounds=bounds, tol=t)
            if res.status is LPStatus.INFEASIBLE:
                if first:
                    raise InfeasibleError(f"{self!r} is empty")
                raise SolverError("implicit-equality LP became infeasible")
            if not res.optimal:
                raise SolverError(f"implicit-equality LP failed: {res.message}")
            first = False
            slack = res.x[d:]
            loose = slack > t.interior_atol
            if not loose.any():
                break
            undecided = undecided[~loose]
        return np.sort(undecided).astype(np.int64)

    def affine_hull(self, *, tol: Tolerance | None = None) -> "AffineHull":
        """The affine hull ``{origin + directionsᵀ t}`` of the (nonempty) polyhedron.

        Raises
        ------
        InfeasibleError
            If the polyhedron is empty.

        Examples
        --------
        >>> H = HPolytope([[1.0, 1.0], [-1.0, -1.0], [1.0, 0.0], [-1.0, 0.0]], [1.0, -1.0, 1.0, 0.0]).affine_hull()
        >>> H.dimension, np.round(np.abs(H.directions), 6).tolist()
        (1, [[0.707107, 0.707107]])
        >>> np.allclose(H.A_eq @ H.origin, H.b_eq)
        True
        """
        t = resolve(tol)
        imp = self.implicit_equalities(tol=t)
        E = np.vstack([self.A_eq, self.A[imp]])
        Q = _row_space(E)  # (r, d) orthonormal
        d = self.dim
        # directions: orthonormal complement of the row space
        if len(Q):
            _, _, Vt = np.linalg.svd(np.vstack([Q, np.zeros((max(0, d - len(Q)), d))]))
            U = Vt[len(Q):]
        else:
            U = np.eye(d)
        # a relative-interior point: Chebyshev centre inside the hull
        P = HPolytope(self.A, self.b, E, np.concatenate([self.b_eq, self.b[imp]]))
        origin, _ = P.chebyshev_center(tol=t)
        return AffineHull(origin=origin, directions=U, A_eq=Q, b_eq=Q @ origin, tol=t)

    def dimension(self, *, tol: Tolerance | None = None) -> int:
        """Affine dimension (``-1`` for the empty set).

        Examples
        --------
        >>> Box([0, 0, 0], [1, 1, 0]).dimension(), Box([0, 0], [1, 1]).dimension()
        (2, 2)
        >>> HPolytope([[1.0], [-1.0]], [0.0, -1.0]).dimension()
        -1
        """
        try:
            return self.affine_hull(tol=tol).dimension
        except InfeasibleError:
            return -1

    def restrict_to_affine_hull(self, *, tol: Tolerance | None = None
                                ) -> tuple["HPolytope", "AffineHull"]:
        """The polyhedron in coordinates of its affine hull: ``{t : origin + Uᵀ t ∈ P}``.

        Returns a full-dimensional polyhedron in R^k (k = its dimension) and the hull;
        ``x = hull.origin + hull.directions.T @ t`` maps back.

        Examples
        --------
        >>> Q, H = Box([0, 0, 2], [1, 3, 2]).restrict_to_affine_hull()
        >>> Q.dim, round(Q.volume(), 9)
        (2, 3.0)
        """
        t = resolve(tol)
        H = self.affine_hull(tol=t)
        A = self.A @ H.directions.T
        b = self.b - self.A @ H.origin
        # rows (numerically) orthogonal to the hull are constant on it: satisfied, drop them
        keep = np.linalg.norm(A, axis=1) > 1e-10 * np.maximum(np.linalg.norm(self.A, axis=1), 1e-300)
        return HPolytope(A[keep], b[keep]), H

    # ------------------------------------------------------------ images, boxes
    def affine_image(self, M: object, t: object | None = None) -> "VPolytope":
        """The image ``{M x + t : x ∈ P}`` as a V-polytope (vertices and rays mapped).

        Use ``.to_hpolytope()`` on the result for an H-representation (pycddlib; low
        dimension).

        Examples
        --------
        >>> V = Box([0, 0], [1, 1]).affine_image([[1.0, 1.0]], [1.0])
        >>> sorted(V.convex_hull().points.ravel().tolist())
        [1.0, 3.0]
        """
        from ._cdd import generators
        from ._vpoly import VPolytope

        M = as_array(M, name="M", ndim=2)
        if M.shape[1] != self.dim:
            raise ValueError(f"M must have shape (k, {self.dim}) to act on R^{self.dim}; got {M.shape}")
        t = np.zeros(M.shape[0]) if t is None else as_array(t, name="t", shape=(M.shape[0],))
        V, R = generators(self)
        if len(V) == 0:
            raise InfeasibleError(f"{self!r} is empty; its image is empty")
        return VPolytope(V @ M.T + t, R @ M.T)

    def project(self, dims: object) -> "HPolytope":
        """The projection onto the coordinates ``dims`` as an H-polytope (vertex method).

        Examples
        --------
        >>> P = HPolytope([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [0.0, 0.0, 1.0]).project([0])
        >>> sorted(P.vertices().ravel().tolist())
        [0.0, 1.0]
        """
        dims = np.atleast_1d(np.asarray(dims, dtype=np.int64))
        if len(dims) == 0 or dims.min() < 0 or dims.max() >= self.dim:
            raise ValueError(f"dims must be coordinate indices in [0, {self.dim}); got {dims.tolist()}")
        M = np.eye(self.dim)[dims]
        return self.affine_image(M).to_hpolytope()

    def bounding_box(self, *, tol: Tolerance | None = None) -> "Box":
        """The smallest box containing the polyhedron (2d warm-started LPs).

        Raises
        ------
        InfeasibleError, UnboundedError

        Examples
        --------
        >>> HPolytope([[-1.0, 0.0], [0.0, -1.0], [1.0, 2.0]], [0.0, 0.0, 2.0]).bounding_box()
        Box(lo=[0.0, 0.0], hi=[2.0, 1.0])
        """
        from ._highs import IncrementalLP

        t = resolve(tol)
        d = self.dim
        lp = IncrementalLP(self.A, self.b, self.A_eq if len(self.b_eq) else None,
                           self.b_eq if len(self.b_eq) else None, tol=t)
        lo, hi = np.empty(d), np.empty(d)
        for i in range(d):
            for sign, out in ((1.0, hi), (-1.0, lo)):
                e = np.zeros(d)
                e[i] = sign
                res = lp.solve(e, maximize=True)
                if res.status is LPStatus.INFEASIBLE:
                    raise InfeasibleError(f"{self!r} is empty")
                if res.status is LPStatus.UNBOUNDED:
                    raise UnboundedError(f"{self!r} is unbounded in coordinate {i}")
                if not res.optimal:
                    raise SolverError(f"bounding-box LP failed: {res.message}")
                out[i] = sign * res.value
        return Box(lo, np.maximum(hi, lo))

    # ------------------------------------------------------ exact certificates
    def certify_empty(self, *, tol: Tolerance | None = None) -> "FarkasCertificate":
        """An exact Farkas certificate of emptiness; see :func:`farkas_certificate`.

        Examples
        --------
        >>> HPolytope([[1.0], [-1.0]], [0.0, -1.0]).certify_empty().verified
        True
        >>> Box([0], [1]).certify_empty().verified
        False
        """
        from ._exact import farkas_certificate

        eq = (self.A_eq, self.b_eq) if len(self.b_eq) else (None, None)
        return farkas_certificate(self.A, self.b, *eq, tol=tol)

    def certify_support_bound(self, direction: object, bound: float, *,
                              tol: Tolerance | None = None) -> "BoundCertificate":
        """An exact certificate of ``max direction @ x <= bound``; see :func:`bound_certificate`.

        Examples
        --------
        >>> Box([0, 0], [1, 1]).certify_support_bound([1.0, 1.0], 2.0).verified
        True
        """
        from ._exact import bound_certificate

        eq = (self.A_eq, self.b_eq) if len(self.b_eq) else (None, None)
        return bound_certificate(direction, self.A, self.b, bound, *eq, tol=tol)

    # ------------------------------------------------------------- geometry
    def vertices(self) -> np.ndarray:
        """Vertices (bounded polyhedra), via pycddlib. Shape (n_vertices, d).

        Raises
        ------
        UnboundedError
            If the polyhedron is unbounded.

        Examples
        --------
        >>> np.round(Box([0, 0], [1, 1]).vertices()[np.lexsort(Box([0, 0], [1, 1]).vertices().T[::-1])], 12).tolist()
        [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
        """
        from ._cdd import generators

        V, R = generators(self)
        if len(R):
            raise UnboundedError(f"{self!r} is unbounded; use generators() for its rays")
        return V

    def volume(self) -> float:
        """Volume (d-dimensional Lebesgue measure) of a bounded polyhedron.

        Computed from the vertices (pycddlib) with a Qhull convex hull; meant for low
        dimension (d <= 8 or so: the vertex count grows fast). Empty and lower-dimensional
        polyhedra have volume 0.

        Raises
        ------
        UnboundedError
            If the polyhedron is unbounded (its volume is infinite or undefined).

        Examples
        --------
        >>> Box([0, 0, 0], [1, 2, 3]).volume()
        6.0
        >>> HPolytope([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [0.0, 0.0, 1.0]).volume()
        0.5
        >>> HPolytope([[1.0], [-1.0]], [2.0, 1.0]).volume()
        3.0
        """
        from scipy.spatial import ConvexHull, QhullError

        if len(self.b_eq) and np.linalg.matrix_rank(self.A_eq) > 0:
            self.vertices()  # still raise for unbounded input
            return 0.0
        V = self.vertices()
        if len(V) <= self.dim:
            return 0.0
        if self.dim == 1:
            return float(V.max() - V.min())
        try:
            return float(ConvexHull(V).volume)
        except QhullError:  # flat point set
            return 0.0

    def to_shapely(self) -> object:
        """The 2-D polygon as a shapely geometry (bounded polyhedra in R^2).

        Examples
        --------
        >>> Box([0, 0], [1, 2]).to_shapely().area
        2.0
        """
        import shapely
        from scipy.spatial import ConvexHull

        if self.dim != 2:
            raise ValueError(f"to_shapely needs a polygon in R^2; got dimension {self.dim}")
        V = self.vertices()
        if len(V) < 3:
            return shapely.Polygon()
        hull = ConvexHull(V)
        return shapely.Polygon(V[hull.vertices])

    def to_dict(self) -> dict:
        """A JSON-ready dict ``{"A": …, "b": …}`` (plus equalities if any).

        Examples
        --------
        >>> HPolytope.from_dict(Box([0], [1]).to_dict()).n_constraints
        2
        """
        out = {"A": self.A.tolist(), "b": self.b.tolist()}
        if len(self.b_eq):
            out.update(A_eq=self.A_eq.tolist(), b_eq=self.b_eq.tolist())
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "HPolytope":
        """Inverse of :meth:`to_dict` (also accepts ``{"lo": …, "hi": …}`` boxes).

        Examples
        --------
        >>> HPolytope.from_dict({"lo": [0, 0], "hi": [1, 1]}).n_constraints
        4
        """
        if "lo" in data and "hi" in data:
            return Box(data["lo"], data["hi"])
        if "A" not in data or "b" not in data:
            raise ValueError(f"an H-polytope dict needs keys 'A' and 'b' (or 'lo' and 'hi'); got {sorted(data)}")
        return cls(data["A"], data["b"], data.get("A_eq"), data.get("b_eq"))


class Box(HPolytope):
    """The box ``{x : lo <= x <= hi}``.

    Examples
    --------
    >>> B = Box([-1, -1], [1, 1]); B.lo.tolist(), B.volume()
    ([-1.0, -1.0], 4.0)
    >>> Box([1], [0])
    Traceback (most recent call last):
    ...
    relugeom.errors.EmptyDomainError: box is empty: lo > hi in coordinate 0 (1.0 > 0.0)
    """

    def __init__(self, lo: object, hi: object):
        from ..errors import EmptyDomainError

        lo = as_array(lo, name="lo", ndim=1)
        hi = as_array(hi, name="hi", shape=lo.shape)
        bad = np.flatnonzero(lo > hi)
        if len(bad):
            i = int(bad[0])
            raise EmptyDomainError(f"box is empty: lo > hi in coordinate {i} ({lo[i]} > {hi[i]})")
        d = len(lo)
        super().__init__(np.vstack([np.eye(d), -np.eye(d)]), np.concatenate([hi, -lo]))
        self.lo, self.hi = lo, hi

    def __repr__(self) -> str:
        return f"Box(lo={self.lo.tolist()}, hi={self.hi.tolist()})"

    def volume(self) -> float:
        """Exact product of the side lengths.

        Examples
        --------
        >>> Box([0, 0], [2, 3]).volume()
        6.0
        """
        return float(np.prod(self.hi - self.lo))

    def vertices(self) -> np.ndarray:
        """The ``2^k`` corners (k = number of sides of positive length).

        Examples
        --------
        >>> Box([0, 0], [1, 0]).vertices().tolist()
        [[0.0, 0.0], [1.0, 0.0]]
        """
        d = self.dim
        free = np.flatnonzero(self.hi > self.lo)
        corners = (np.arange(2 ** len(free))[:, None] >> np.arange(len(free))) & 1
        V = np.tile(self.lo, (len(corners), 1))
        V[:, free] = np.where(corners == 1, self.hi[free], self.lo[free])
        return V

    def is_bounded(self, *, tol: Tolerance | None = None) -> bool:
        """Always True.

        Examples
        --------
        >>> Box([0], [1]).is_bounded()
        True
        """
        return True

    def bounding_box(self, *, tol: Tolerance | None = None) -> "Box":
        """The box itself.

        Examples
        --------
        >>> Box([0], [1]).bounding_box()
        Box(lo=[0.0], hi=[1.0])
        """
        return self

    @property
    def widths(self) -> np.ndarray:
        """Side lengths ``hi - lo``.

        Examples
        --------
        >>> Box([0, 1], [2, 2]).widths.tolist()
        [2.0, 1.0]
        """
        return self.hi - self.lo

    @property
    def center(self) -> np.ndarray:
        """The centre ``(lo + hi) / 2``.

        Examples
        --------
        >>> Box([0, 1], [2, 2]).center.tolist()
        [1.0, 1.5]
        """
        return (self.lo + self.hi) / 2

    def split(self, axis: int | None = None, at: float | None = None) -> tuple["Box", "Box"]:
        """Bisect into two boxes (lower part first).

        Parameters
        ----------
        axis : int, optional
            Coordinate to cut; default the longest side (the lowest index on ties).
        at : float, optional
            Where to cut; default the midpoint. Must lie in ``[lo[axis], hi[axis]]``.

        Examples
        --------
        >>> Box([0, 0], [1, 2]).split()
        (Box(lo=[0.0, 0.0], hi=[1.0, 1.0]), Box(lo=[0.0, 1.0], hi=[1.0, 2.0]))
        >>> Box([0, 0], [1, 2]).split(axis=0, at=0.25)[0].hi.tolist()
        [0.25, 2.0]
        """
        if axis is None:
            axis = int(np.argmax(self.widths))
        axis = int(axis)
        if not 0 <= axis < self.dim:
            raise ValueError(f"axis must be in [0, {self.dim}); got {axis}")
        cut = (self.lo[axis] + self.hi[axis]) / 2 if at is None else float(at)
        if not self.lo[axis] <= cut <= self.hi[axis]:
            raise ValueError(f"cut {cut} lies outside [{self.lo[axis]}, {self.hi[axis]}] on axis {axis}")
        hi1 = self.hi.copy()
        hi1[axis] = cut
        lo2 = self.lo.copy()
        lo2[axis] = cut
        return Box(self.lo, hi1), Box(lo2, self.hi)

    def sample(self, n: int, rng: object = None) -> np.ndarray:
        """``n`` uniform random points, shape (n, d); ``rng`` is a seed or a Generator.

        Examples
        --------
        >>> X = Box([0, 10], [1, 11]).sample(5, rng=0); X.shape, bool(Box([0, 10], [1, 11]).contains(X).all())
        ((5, 2), True)
        """
        gen = np.random.default_rng(rng)
        return self.lo + (self.hi - self.lo) * gen.random((int(n), self.dim))


def _row_space(M: np.ndarray, rtol: float = 1e-12) -> np.ndarray:
    """Orthonormal basis (as rows) of the row space of ``M`` (numerical rank by SVD)."""
    if M.shape[0] == 0:
        return np.zeros((0, M.shape[1]))
    _, s, Vt = np.linalg.svd(M, full_matrices=False)
    r = int(np.sum(s > rtol * max(1.0, s[0] if len(s) else 0.0)))
    return Vt[:r]


def _recession_cone_is_zero(A: np.ndarray, A_eq: np.ndarray, tol: Tolerance) -> bool:
    """Whether ``{y : A y <= 0, A_eq y = 0} = {0}`` (see :meth:`HPolytope.is_bounded`)."""
    d = A.shape[1]
    M = np.vstack([A, A_eq])
    if M.shape[0] < d or np.linalg.matrix_rank(M) < d:
        return False
    nrm = np.linalg.norm(A, axis=1)
    An = A[nrm > 0] / nrm[nrm > 0, None]
    m = len(An)
    if m == 0:
        return True  # the equalities alone have full rank: a point
    k = A_eq.shape[0]
    # variables (λ, μ): Anᵀ λ + A_eqᵀ μ = 0, λ >= 1
    Aeq = np.hstack([An.T, A_eq.T])
    bounds = [(1.0, None)] * m + [(None, None)] * k
    res = solve_lp(np.zeros(m + k), None, None, Aeq, np.zeros(d), bounds=bounds, tol=tol)
    if res.status is LPStatus.FAILED:
        raise SolverError(f"boundedness LP failed: {res.message}")
    return res.status is LPStatus.OPTIMAL


def _chebyshev_normalised(An: np.ndarray, bn: np.ndarray, t: Tolerance) -> tuple[np.ndarray, float]:
    """Chebyshev centre and radius of ``An x <= bn`` (unit rows), radius capped."""
    d = An.shape[1]
    c = np.zeros(d + 1)
    c[-1] = -1.0
    res = solve_lp(c, np.hstack([An, np.ones((len(bn), 1))]), bn,
                   bounds=[(None, None)] * d + [(0.0, _BIG)], tol=t)
    if res.status is LPStatus.INFEASIBLE:
        raise InfeasibleError("polyhedron is empty")
    if not res.optimal:
        raise SolverError(f"Chebyshev-centre LP failed: {res.message}")
    return res.x[:d], float(res.x[d])


def _facets_by_ray_shooting(An: np.ndarray, bn: np.ndarray, x0: np.ndarray, t: Tolerance,
                            n_rays: int | None = None) -> np.ndarray:
    """Rows certainly irredundant: first hits of rays from the interior point ``x0``."""
    m, d = An.shape
    k = n_rays if n_rays is not None else max(4 * m, 8 * d)
    rng = np.random.default_rng(0)  # only the speed depends on these directions
    U = rng.normal(size=(k, d))
    U = np.vstack([U, An])  # the rows' own normals are good candidates too
    slack = bn - An @ x0  # > 0
    S = An @ U.T  # (m, rays): rate at which each row is approached
    with np.errstate(divide="ignore", invalid="ignore"):
        T = np.where(S > 0, slack[:, None] / S, np.inf)
    first = np.argmin(T, axis=0)
    tmin = T[first, np.arange(T.shape[1])]
    ok = np.isfinite(tmin)
    sure = np.zeros(m, bool)
    if not ok.any():
        return sure
    P = x0 + tmin[ok, None] * U[ok]  # hit points
    sl = bn[None, :] - P @ An.T  # slacks of all rows at the hit points
    sl[np.arange(len(P)), first[ok]] = np.inf
    good = sl.min(axis=1) > 2 * t.interior_atol
    sure[first[ok][good]] = True
    return sure


def irredundant_rows(A: np.ndarray, b: np.ndarray, *, A_eq: np.ndarray | None = None,
                     b_eq: np.ndarray | None = None, tol: Tolerance | None = None) -> np.ndarray:
    """Indices of the irredundant rows of ``A x <= b`` (one LP per candidate row).

    Rows are normalised; among rows with the same normal (to 12 digits) only the tightest
    is a candidate; zero rows ``0 <= b_i`` with ``b_i >= 0`` are dropped. Candidate ``i``
    is redundant when ``max a_i x`` over the other kept rows (row ``i`` relaxed by 1) is at
    most ``b_i + tol.interior_atol``. Rows are removed one at a time, so of two identical
    rows exactly one survives.

    Raises
    ------
    InfeasibleError
        If the polyhedron is empty.

    Examples
    --------
    >>> irredundant_rows(np.array([[1.0], [1.0], [-1.0]]), np.array([1.0, 2.0, 0.0])).tolist()
    [0, 2]
    >>> irredundant_rows(np.array([[1.0], [2.0], [-1.0]]), np.array([1.0, 2.0, 0.0])).tolist()
    [0, 2]
    """
    from ._highs import IncrementalLP

    t = resolve(tol)
    A = np.asarray(A, float)
    b = np.asarray(b, float)
    d = A.shape[1]
    norms = np.linalg.norm(A, axis=1)
    alive = norms > 0
    if np.any(b[~alive] < -t.feas_atol):
        raise InfeasibleError("a constraint 0 <= b with b < 0 makes the polyhedron empty")
    idx = np.flatnonzero(alive)
    An = A[idx] / norms[idx, None]
    bn = b[idx] / norms[idx]
    if len(idx) == 0:
        return idx.astype(np.int64)
    # duplicates: same rounded normal -> keep the tightest (smallest bn, then lowest index)
    key = np.round(An, 12) + 0.0  # + 0.0 turns -0.0 into 0.0
    order = np.lexsort((idx, bn, *key.T[::-1]))
    ks = key[order]
    first = np.ones(len(order), bool)
    first[1:] = np.any(ks[1:] != ks[:-1], axis=1)
    cand_local = np.sort(order[first])
    An, bn, cand = An[cand_local], bn[cand_local], idx[cand_local]
    Ae = None if A_eq is None or len(b_eq) == 0 else np.asarray(A_eq, float)
    be = None if Ae is None else np.asarray(b_eq, float)
    sure = np.zeros(len(cand), bool)  # rows already known to be facets
    if Ae is None and len(cand) > d + 1:
        # one Chebyshev LP, then rays from the centre: the first hyperplane a ray meets,
        # with every other row slack by more than interior_atol there, is a facet
        # (the same criterion as the LP test below), so its LP can be skipped.
        x0, r = _chebyshev_normalised(An, bn, t)  # raises InfeasibleError if empty
        if r > t.interior_atol:
            sure = _facets_by_ray_shooting(An, bn, x0, t)
    lp = IncrementalLP(An, bn, A_eq=Ae, b_eq=be, tol=t)
    if not sure.any():
        feas = lp.solve(np.zeros(d))
        if feas.status is LPStatus.INFEASIBLE:
            raise InfeasibleError("polyhedron is empty")
    kept = np.ones(len(cand), bool)
    for i in np.flatnonzero(~sure):
        lp.set_rhs(i, bn[i] + 1.0)
        res = lp.solve(-An[i])
        if res.status is LPStatus.INFEASIBLE:
            raise InfeasibleError("polyhedron is empty")
        if res.status is LPStatus.FAILED:
            raise SolverError(f"redundancy LP failed: {res.message}")
        if res.optimal and -res.value <= bn[i] + t.interior_atol:
            kept[i] = False
            lp.set_rhs(i, np.inf)  # drop the row from later LPs
        else:
            lp.set_rhs(i, bn[i])
    return np.sort(cand[kept]).astype(np.int64)
