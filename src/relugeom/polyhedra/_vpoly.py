"""V-polytopes ``conv(points) + cone(rays)``."""

from __future__ import annotations

import numpy as np

from .._tol import Tolerance, resolve
from .._validation import as_array, as_points
from ..errors import SolverError, UnboundedError
from ._lp import LPStatus, solve_lp

__all__ = ["VPolytope"]


class VPolytope:
    """A polyhedron ``conv(points) + cone(rays)`` given by generators.

    Parameters
    ----------
    points : array_like (n, d), n >= 1
    rays : array_like (r, d), optional

    Examples
    --------
    >>> P = VPolytope([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.2, 0.2]])
    >>> P.convex_hull().n_points, P.to_hpolytope().n_constraints
    (3, 3)
    """

    def __init__(self, points: object, rays: object | None = None):
        V = as_array(points, name="points", ndim=2)
        if len(V) == 0:
            raise ValueError("points must hold at least one point (the empty set has no V-representation here)")
        d = V.shape[1]
        R = np.zeros((0, d)) if rays is None else as_array(rays, name="rays", shape=(None, d))
        self.points, self.rays = V, R
        for arr in (self.points, self.rays):
            arr.setflags(write=False)

    @property
    def dim(self) -> int:
        """Ambient dimension.

        Examples
        --------
        >>> VPolytope([[0.0, 1.0]]).dim
        2
        """
        return self.points.shape[1]

    @property
    def n_points(self) -> int:
        """Number of generating points.

        Examples
        --------
        >>> VPolytope([[0.0], [1.0]]).n_points
        2
        """
        return len(self.points)

    def __repr__(self) -> str:
        return f"VPolytope(dim={self.dim}, {self.n_points} points, {len(self.rays)} rays)"

    def is_bounded(self) -> bool:
        """True when there are no (nonzero) rays.

        Examples
        --------
        >>> VPolytope([[0.0]], [[1.0]]).is_bounded()
        False
        """
        return not np.any(self.rays != 0)

    def to_hpolytope(self) -> "HPolytope":
        """An H-representation (pycddlib; equalities for a lower-dimensional hull).

        Examples
        --------
        >>> VPolytope([[0.0, 0.0], [1.0, 1.0]]).to_hpolytope().A_eq.shape
        (1, 2)
        """
        from ._cdd import inequalities
        from ._hpoly import HPolytope

        A, b, A_eq, b_eq = inequalities(self.points, self.rays)
        return HPolytope(A, b, A_eq if len(b_eq) else None, b_eq if len(b_eq) else None)

    def convex_hull(self) -> "VPolytope":
        """The same set with redundant generators removed (extreme points, extreme rays).

        Examples
        --------
        >>> VPolytope([[0.0], [2.0], [1.0]]).convex_hull().points.ravel().tolist()
        [0.0, 2.0]
        """
        import cdd

        d = self.dim
        rows = np.vstack([np.hstack([np.ones((self.n_points, 1)), self.points]),
                          np.hstack([np.zeros((len(self.rays), 1)), self.rays])])
        mat = cdd.matrix_from_array(rows.tolist(), rep_type=cdd.RepType.GENERATOR)
        red = cdd.redundant_rows(mat)
        keep = np.array([i not in red for i in range(len(rows))], dtype=bool)
        # exact duplicate points are not flagged redundant by cdd: drop them here
        G = rows[keep]
        _, first = np.unique(G, axis=0, return_index=True)
        G = G[np.sort(first)]
        pts = G[G[:, 0] == 1, 1:]
        rays = G[G[:, 0] == 0, 1:]
        return VPolytope(pts.reshape(-1, d), rays.reshape(-1, d))

    def vertices(self) -> np.ndarray:
        """Extreme points (bounded or not).

        Examples
        --------
        >>> VPolytope([[0.0], [3.0], [1.0]]).vertices().ravel().tolist()
        [0.0, 3.0]
        """
        return self.convex_hull().points

    def contains(self, x: object, *, tol: Tolerance | None = None) -> np.ndarray | bool:
        """Membership by one LP per point (``x = Vᵀλ + Rᵀμ``, ``λ`` in the simplex, ``μ >= 0``).

        Examples
        --------
        >>> VPolytope([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]).contains([[0.2, 0.2], [1.0, 1.0]]).tolist()
        [True, False]
        """
        t = resolve(tol)
        X, single = as_points(x, self.dim)
        n, r = self.n_points, len(self.rays)
        A_eq = np.vstack([np.hstack([self.points.T, self.rays.T]),
                          np.concatenate([np.ones(n), np.zeros(r)])[None]])
        out = np.zeros(len(X), bool)
        for i, p in enumerate(X):
            res = solve_lp(np.zeros(n + r), None, None, A_eq, np.concatenate([p, [1.0]]),
                           bounds=(0, None), tol=t)
            if res.status is LPStatus.FAILED:
                raise SolverError(f"membership LP failed: {res.message}")
            out[i] = res.optimal
        return bool(out[0]) if single else out

    def volume(self) -> float:
        """Volume of a bounded V-polytope (Qhull; 0 for flat point sets).

        Examples
        --------
        >>> VPolytope([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0]]).volume()
        1.0
        """
        from scipy.spatial import ConvexHull, QhullError

        if not self.is_bounded():
            raise UnboundedError(f"{self!r} is unbounded")
        P = self.points
        if self.dim == 1:
            return float(P.max() - P.min())
        if len(P) <= self.dim:
            return 0.0
        try:
            return float(ConvexHull(P).volume)
        except QhullError:
            return 0.0

    def affine_image(self, M: object, t: object | None = None) -> "VPolytope":
        """``{M x + t}``: generators mapped.

        Examples
        --------
        >>> VPolytope([[1.0, 2.0]]).affine_image([[1.0, 1.0]], [1.0]).points.tolist()
        [[4.0]]
        """
        M = as_array(M, name="M", ndim=2)
        if M.shape[1] != self.dim:
            raise ValueError(f"M must have shape (k, {self.dim}); got {M.shape}")
        t = np.zeros(M.shape[0]) if t is None else as_array(t, name="t", shape=(M.shape[0],))
        return VPolytope(self.points @ M.T + t, self.rays @ M.T)


from ._hpoly import HPolytope  # noqa: E402  (type name for annotations)
