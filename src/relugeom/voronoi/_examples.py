"""Worked example models (talks 000 and 002).

Examples
--------
>>> half_circle().dim, rank_one_model(2, 3).dim, independence_model(2, 2).dim
(2, 6, 4)
"""

from __future__ import annotations

import numpy as np

from ..polyhedra import Box
from ._models import ParametrizedModel, ToricModel

__all__ = ["half_circle", "rank_one_model", "independence_model", "twisted_cubic"]


class _HalfCircle:
    """θ ↦ (cos θ, sin θ) (not polynomial; evaluate/jacobian only)."""

    n_params, n_outputs = 1, 2
    param_names, output_names = ("t",), ("x", "y")
    homogeneous = False

    def evaluate(self, theta: object) -> np.ndarray:
        th = np.asarray(theta, dtype=float)
        single = th.ndim == 1
        th = th.reshape(-1, 1)
        out = np.hstack([np.cos(th), np.sin(th)])
        return out[0] if single else out

    def jacobian(self, theta: object) -> np.ndarray:
        t = float(np.asarray(theta, dtype=float).reshape(-1)[0])
        return np.array([[-np.sin(t)], [np.cos(t)]])

    def output_exponents(self) -> list:
        return [np.ones((1, 1), dtype=int)]

    def __repr__(self) -> str:
        return "(cos t, sin t)"


def half_circle() -> ParametrizedModel:
    """The upper half circle ``x² + y² = 1, y >= 0`` as ``t ↦ (cos t, sin t)``, ``t ∈ [0, π]``.

    Its two boundary points ``(±1, 0)`` have full-dimensional Voronoi cells (closed
    quadrants); interior points have rays.

    Examples
    --------
    >>> half_circle().param.evaluate([0.0]).tolist()
    [1.0, 0.0]
    """
    return ParametrizedModel(_HalfCircle(), Box([0.0], [np.pi]), n_starts=6)


def rank_one_model(m: int, n: int, *, n_starts: int = 3) -> ParametrizedModel:
    """The ``m × n`` matrices of rank ``<= 1`` as ``(a, b) ↦ a bᵀ`` (entries row-major).

    Eckart–Young: the Voronoi cell of ``σ u vᵀ`` is ``σuvᵀ`` plus the spectral-norm ball of
    radius ``σ`` in the normal space; the cell of ``0`` is ``{0}``.

    Examples
    --------
    >>> rank_one_model(2, 2).param.evaluate([1.0, 2.0, 3.0, 4.0]).tolist()
    [3.0, 4.0, 6.0, 8.0]
    """
    from ..algebra import PolynomialParametrization

    a = [f"a{i + 1}" for i in range(m)]
    b = [f"b{j + 1}" for j in range(n)]
    polys = [f"{ai}*{bj}" for ai in a for bj in b]
    phi = PolynomialParametrization(polys, params=a + b,
                                    outputs=[f"x{i + 1}{j + 1}" for i in range(m) for j in range(n)])
    return ParametrizedModel(phi, n_starts=n_starts)


def independence_model(r: int, c: int) -> ToricModel:
    """Independence of an ``r``-state and a ``c``-state variable (toric; entries row-major).

    Examples
    --------
    >>> independence_model(2, 2).A.astype(int).tolist()
    [[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1]]
    """
    rows = []
    for i in range(r):
        rows.append([1 if k // c == i else 0 for k in range(r * c)])
    for j in range(c):
        rows.append([1 if k % c == j else 0 for k in range(r * c)])
    return ToricModel(rows)


def twisted_cubic() -> ParametrizedModel:
    """The binomial model ``t ↦ (t³, 3t²(1−t), 3t(1−t)², (1−t)³)``, ``t ∈ [0, 1]``.

    The MLE is ``t̂ = (3u_1 + 2u_2 + u_3)/3``, linear in ``u``: log cells at interior points
    are polytopes.

    Examples
    --------
    >>> twisted_cubic().param.evaluate([0.5]).tolist()
    [0.125, 0.375, 0.375, 0.125]
    """
    from ..algebra import PolynomialParametrization

    phi = PolynomialParametrization(["t^3", "3*t^2*(1-t)", "3*t*(1-t)^2", "(1-t)^3"], params=["t"],
                                    outputs=["p0", "p1", "p2", "p3"])
    return ParametrizedModel(phi, Box([0.0], [1.0]), n_starts=4)
