"""Vertex/ray enumeration and convex hulls through pycddlib (floating point).

Sign convention of cdd: an H-row ``[b, -a]`` means ``0 <= b - a x``; a V-row ``[1, v]`` is a
point and ``[0, r]`` a ray. Conversion happens here and nowhere else.
"""

from __future__ import annotations

import numpy as np

__all__ = ["generators", "inequalities"]


def generators(P) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and extreme rays (and lineality as ± rays) of an H-polyhedron.

    The polyhedron is ``conv(V) + cone(R)``. An empty polyhedron gives two empty arrays;
    a nonempty one at least one point (for a cone ``A x <= 0`` cdd lists only rays and the
    apex 0 is added here).

    Returns
    -------
    V : ndarray (n_vertices, d)
    R : ndarray (n_rays, d)

    Examples
    --------
    >>> from relugeom.polyhedra import HPolytope
    >>> V, R = generators(HPolytope([[-1.0, 0.0], [0.0, -1.0]], [0.0, 0.0]))
    >>> V.tolist(), sorted(map(tuple, np.abs(R).tolist()))
    ([[0.0, 0.0]], [(0.0, 1.0), (1.0, 0.0)])
    >>> generators(HPolytope([[1.0], [-1.0]], [0.0, -1.0]))[0].shape      # empty
    (0, 1)
    """
    import cdd

    d = P.dim
    rows = np.hstack([P.b[:, None], -P.A])  # cdd: 0 <= b - A x
    lin: list[int] = []
    if len(P.b_eq):
        eq = np.hstack([P.b_eq[:, None], -P.A_eq])
        lin = list(range(len(rows), len(rows) + len(eq)))
        rows = np.vstack([rows, eq])
    if len(rows) == 0:  # all of R^d
        return np.zeros((1, d)), np.vstack([np.eye(d), -np.eye(d)])
    mat = cdd.matrix_from_array(rows.tolist(), lin_set=lin, rep_type=cdd.RepType.INEQUALITY)
    poly = cdd.polyhedron_from_matrix(mat)
    gen = cdd.copy_generators(poly)
    G = np.array(gen.array, dtype=float).reshape(-1, d + 1)
    linset = sorted(gen.lin_set)
    # cdd's floating-point rays may carry a first coordinate of ~1e-16 instead of 0
    scale = np.maximum(1.0, np.abs(G).max(axis=1)) if len(G) else np.ones(0)
    is_vertex = np.abs(G[:, 0]) > 64 * np.finfo(float).eps * scale
    V = G[is_vertex, 1:] / G[is_vertex, :1]
    R = G[~is_vertex, 1:]
    if linset:
        R = np.vstack([R, -G[linset, 1:]])
    if len(V) == 0 and len(G):
        # homogeneous system: cdd reports the cone's rays only; its apex is the origin
        V = np.zeros((1, d))
    return V, R


def inequalities(V: np.ndarray, R: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """H-representation ``A x <= b, A_eq x = b_eq`` of ``conv(V) + cone(R)``.

    Parameters
    ----------
    V : ndarray (n, d)
        Points (at least one).
    R : ndarray (r, d), optional
        Rays.

    Returns
    -------
    A, b, A_eq, b_eq : ndarray
        Irredundant up to cdd's floating-point arithmetic; equalities describe the affine
        hull when the hull is lower-dimensional.

    Examples
    --------
    >>> A, b, A_eq, b_eq = inequalities(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    >>> A.shape, A_eq.shape
    ((3, 2), (0, 2))
    """
    import cdd

    V = np.asarray(V, dtype=float)
    if V.ndim != 2 or len(V) == 0:
        raise ValueError(f"V must be a nonempty (n, d) array of points; got shape {V.shape}")
    d = V.shape[1]
    R = np.zeros((0, d)) if R is None else np.asarray(R, dtype=float).reshape(-1, d)
    rows = np.vstack([np.hstack([np.ones((len(V), 1)), V]), np.hstack([np.zeros((len(R), 1)), R])])
    mat = cdd.matrix_from_array(rows.tolist(), rep_type=cdd.RepType.GENERATOR)
    poly = cdd.polyhedron_from_matrix(mat)
    ineq = cdd.copy_inequalities(poly)
    H = np.array(ineq.array, dtype=float).reshape(-1, d + 1)
    lin = np.zeros(len(H), bool)
    lin[sorted(ineq.lin_set)] = True
    # drop the trivial row 0 <= 1 cdd emits for some inputs
    trivial = np.all(H[:, 1:] == 0, axis=1) & (H[:, 0] >= 0)
    keep = ~trivial
    A, b = -H[keep & ~lin, 1:], H[keep & ~lin, 0]
    A_eq, b_eq = -H[keep & lin, 1:], H[keep & lin, 0]
    return A, b, A_eq, b_eq
