"""Distances for Voronoi cells: Euclidean, Q-weighted (MSE losses) and log-likelihood.

A :class:`Metric` is one of

``euclidean``
    ``d(u, p) = ‖u − p‖``.
``quadratic``
    ``d(u, p) = ‖u − p‖_Q = sqrt((u − p)ᵀ Q (u − p))`` with ``Q`` symmetric positive
    semidefinite (a pseudometric when ``Q`` is singular). :func:`mse_metric` builds
    ``Q = AᵀA`` from the design matrix of an MSE loss (DESIGN.md: ``‖A w − Y‖² =
    ‖w − w_LS‖²_Q + const``).
``log``
    maximum likelihood on the probability simplex: ``p`` is better than ``q`` for data ``u``
    when ``Σ u_i log p_i > Σ u_i log q_i`` (logarithmic Voronoi cells).

Examples
--------
>>> m = as_metric([[2.0, 0.0], [0.0, 1.0]])
>>> m.kind.value, round(m.distance([1.0, 1.0], [0.0, 0.0]), 6)
('quadratic', 1.732051)
>>> as_metric("log").kind is MetricKind.LOG
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from itertools import combinations_with_replacement

import numpy as np

from .._validation import as_array

__all__ = ["MetricKind", "Metric", "as_metric", "design_matrix", "mse_metric"]


class MetricKind(str, Enum):
    """The kind of distance (see the module docstring)."""

    EUCLIDEAN = "euclidean"
    QUADRATIC = "quadratic"
    LOG = "log"


@dataclass(frozen=True)
class Metric:
    """A distance on ``R^m`` (or the log-likelihood on the simplex).

    Attributes
    ----------
    kind : MetricKind
    Q : ndarray (m, m) or None
        The Gram matrix for ``quadratic`` (``None`` otherwise).
    design : ndarray or None
        The design matrix ``A`` when built by :func:`mse_metric`.

    Examples
    --------
    >>> Metric(MetricKind.EUCLIDEAN).distance([3.0, 4.0], [0.0, 0.0])
    5.0
    """

    kind: MetricKind
    Q: np.ndarray | None = None
    design: np.ndarray | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ helpers
    def gram(self, m: int) -> np.ndarray:
        """``Q`` (the identity for Euclidean) for vectors of length ``m``.

        Examples
        --------
        >>> Metric(MetricKind.EUCLIDEAN).gram(2).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
        """
        if self.kind is MetricKind.LOG:
            raise ValueError("the log-likelihood has no Gram matrix")
        if self.Q is None:
            return np.eye(m)
        if self.Q.shape != (m, m):
            raise ValueError(f"Q must have shape ({m}, {m}) for points in R^{m}; got {self.Q.shape}")
        return self.Q

    def factor(self, m: int) -> np.ndarray:
        """A matrix ``L`` with ``LᵀL = Q`` (rows only for the non-zero eigenvalues).

        Examples
        --------
        >>> Metric(MetricKind.QUADRATIC, np.diag([4.0, 0.0])).factor(2).tolist()
        [[2.0, 0.0]]
        """
        if self.kind is MetricKind.EUCLIDEAN:
            return np.eye(m)
        Q = self.gram(m)
        lam, V = np.linalg.eigh(Q)
        keep = lam > max(lam.max(initial=0.0), 1.0) * 1e-13
        return np.sqrt(lam[keep])[:, None] * V[:, keep].T

    def distance(self, u: object, p: object) -> float:
        """``d(u, p)`` (Euclidean / Q-weighted); for ``log``: ``−Σ u_i log p_i``.

        Examples
        --------
        >>> round(as_metric("log").distance([0.5, 0.5], [0.5, 0.5]), 6)
        0.693147
        """
        u = np.asarray(u, dtype=float)
        p = np.asarray(p, dtype=float)
        return float(self.losses(u[None, :], p[None, :])[0])

    def losses(self, U: np.ndarray, P: np.ndarray) -> np.ndarray:
        """Row-wise ``d(U_k, P_k)`` (``log``: ``−Σ U_ki log P_ki``; ``inf`` where ``P`` has a
        zero entry under positive ``U``).

        Examples
        --------
        >>> as_metric("euclidean").losses(np.zeros((2, 2)), np.array([[3.0, 4.0], [1.0, 0.0]])).tolist()
        [5.0, 1.0]
        """
        U = np.atleast_2d(np.asarray(U, dtype=float))
        P = np.atleast_2d(np.asarray(P, dtype=float))
        if self.kind is MetricKind.LOG:
            with np.errstate(divide="ignore", invalid="ignore"):
                lg = np.where(P > 0, np.log(np.where(P > 0, P, 1.0)), -np.inf)
                val = np.where(U > 0, U * lg, 0.0)
            return -val.sum(axis=1)
        D = U - P
        if self.kind is MetricKind.EUCLIDEAN:
            return np.sqrt(np.einsum("ij,ij->i", D, D))
        Q = self.gram(U.shape[1])
        return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", D, Q, D), 0.0))

    def halfspace(self, p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, float]:
        """The half-space ``a·u <= β`` of data ``u`` for which ``q`` is at least as good as ``p``.

        Euclidean / Q: ``2(p − q)ᵀQ u <= pᵀQp − qᵀQq``; log: ``Σ u_i log(p_i/q_i) <= 0``.

        Examples
        --------
        >>> a, beta = as_metric("euclidean").halfspace(np.array([2.0, 0.0]), np.array([0.0, 0.0]))
        >>> a.tolist(), beta
        ([4.0, 0.0], 4.0)
        """
        p = np.asarray(p, dtype=float)
        q = np.asarray(q, dtype=float)
        if self.kind is MetricKind.LOG:
            return np.log(p) - np.log(q), 0.0
        Q = self.gram(len(q))
        return 2.0 * Q @ (p - q), float(p @ Q @ p - q @ Q @ q)

    def to_dict(self) -> dict:
        """JSON-ready description.

        Examples
        --------
        >>> as_metric("euclidean").to_dict()
        {'kind': 'euclidean'}
        """
        out: dict = {"kind": self.kind.value}
        if self.Q is not None:
            out["Q"] = self.Q.tolist()
        return out


def as_metric(metric: object) -> Metric:
    """``"euclidean"``, ``"log"``, a matrix ``Q`` or a :class:`Metric` -> :class:`Metric`.

    Raises
    ------
    ValueError
        Unknown name, or ``Q`` not square, not symmetric or not positive semidefinite.

    Examples
    --------
    >>> as_metric("euclidean").kind.value
    'euclidean'
    >>> as_metric("manhattan")
    Traceback (most recent call last):
    ...
    ValueError: 'manhattan' is not a valid MetricKind
    """
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, str):
        kind = MetricKind(metric)
        if kind is MetricKind.QUADRATIC:
            raise ValueError("metric 'quadratic' needs a matrix Q; pass the matrix itself")
        return Metric(kind)
    Q = as_array(metric, name="Q", ndim=2)
    if Q.shape[0] != Q.shape[1]:
        raise ValueError(f"Q must be a square matrix; got shape {Q.shape}")
    if not np.allclose(Q, Q.T, atol=1e-12 * max(1.0, np.abs(Q).max())):
        raise ValueError("Q must be symmetric")
    lam = np.linalg.eigvalsh(Q)
    if lam.min() < -1e-10 * max(1.0, abs(lam).max()):
        raise ValueError(f"Q must be positive semidefinite; its smallest eigenvalue is {lam.min():.3g}")
    Q = 0.5 * (Q + Q.T)
    Q.setflags(write=False)
    return Metric(MetricKind.QUADRATIC, Q)


def design_matrix(inputs: object, degree: int) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """The Vandermonde / Veronese design matrix: all monomials of degree ``<= degree``.

    Parameters
    ----------
    inputs : array_like (n, d) or (n,)
        One input per row (``(n,)``: scalar inputs).
    degree : int

    Returns
    -------
    A : ndarray (n, C(d + degree, d))
        Row ``k`` is the Veronese vector ``v_D(x_k)``: monomials by degree, then
        lexicographically in the variables.
    exponents : list of tuple
        The exponent vector of every column.

    Examples
    --------
    >>> A, e = design_matrix([1.0, 2.0, 3.0], 2)
    >>> A.tolist(), e
    ([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0], [1.0, 3.0, 9.0]], [(0,), (1,), (2,)])
    >>> design_matrix([[1.0, 2.0]], 1)[1]
    [(0, 0), (1, 0), (0, 1)]
    """
    X = as_array(inputs, name="inputs")
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"inputs must have shape (n, d) or (n,); got {X.shape}")
    if int(degree) != degree or degree < 0:
        raise ValueError(f"degree must be a non-negative integer; got {degree!r}")
    n, d = X.shape
    exps: list[tuple[int, ...]] = []
    for k in range(int(degree) + 1):
        for combo in combinations_with_replacement(range(d), k):
            e = [0] * d
            for i in combo:
                e[i] += 1
            exps.append(tuple(e))
    E = np.array(exps, dtype=int).reshape(len(exps), d)
    A = np.prod(X[:, None, :] ** E[None, :, :], axis=2)
    return A, exps


def mse_metric(inputs: object, degree: int | None) -> Metric:
    """``Q = AᵀA`` for the MSE loss of polynomial models of degree ``<= degree`` on ``inputs``.

    With ``A`` the design matrix of :func:`design_matrix`, ``Σ_k (f(x_k) − y_k)² =
    ‖c_f − c_LS‖²_Q + const`` for the coefficient vector ``c_f`` of ``f``: least squares over
    a model of polynomials is nearest-point search in the (pseudo)metric ``Q``.
    ``Q`` is singular when there are fewer distinct inputs than monomials.

    Parameters
    ----------
    inputs : array_like (n, d) or (n,)
        The inputs; with ``degree=None`` the design matrix ``A`` itself (rows: features).
    degree : int or None

    Examples
    --------
    >>> mse_metric([[1.0, 2.0], [0.0, 1.0]], None).Q.tolist()      # A given directly
    [[1.0, 2.0], [2.0, 5.0]]
    >>> m = mse_metric([-1.0, 1.0], 1)
    >>> m.Q.tolist()
    [[2.0, 0.0], [0.0, 2.0]]
    >>> int(np.linalg.matrix_rank(mse_metric([0.0, 1.0], 2).Q))   # 2 inputs, 3 monomials
    2
    """
    if degree is None:
        A = np.array(as_array(inputs, name="A", ndim=2))
    else:
        A, _ = design_matrix(inputs, degree)
    Q = A.T @ A
    Q.setflags(write=False)
    A.setflags(write=False)
    return Metric(MetricKind.QUADRATIC, Q, design=A)
