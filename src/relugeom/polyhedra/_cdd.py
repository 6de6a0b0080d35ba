"""Vertex and ray enumeration through pycddlib (floating point)."""

from __future__ import annotations

import numpy as np

__all__ = ["generators"]


def generators(P) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and extreme rays (and lineality as ± rays) of an H-polyhedron.

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
    """
    import cdd

    d = P.dim
    rows = np.hstack([P.b[:, None], -P.A])  # cdd: 0 <= b - A x
    lin = []
    if len(P.b_eq):
        eq = np.hstack([P.b_eq[:, None], -P.A_eq])
        lin = list(range(len(rows), len(rows) + len(eq)))
        rows = np.vstack([rows, eq])
    mat = cdd.matrix_from_array(rows.tolist(), lin_set=lin, rep_type=cdd.RepType.INEQUALITY)
    poly = cdd.polyhedron_from_matrix(mat)
    gen = cdd.copy_generators(poly)
    G = np.array(gen.array, dtype=float).reshape(-1, d + 1)
    linset = sorted(gen.lin_set)
    is_vertex = G[:, 0] != 0
    V = G[is_vertex, 1:] / G[is_vertex, :1]
    R = G[~is_vertex, 1:]
    if linset:
        R = np.vstack([R, -G[linset, 1:]])
    return V, R
