"""Monomials as sorted index tuples, grouped into multidegree blocks (internal).

A monomial of degree ``<= d`` in ``m`` variables is a non-decreasing tuple of ``d`` indices
in ``[0, m]``; the index ``m`` is a sentinel standing for the constant 1 (padding). For a
homogeneous ideal only exact degree ``d`` is needed (no sentinel).

Examples
--------
>>> monomial_tuples(2, 2).tolist()
[[0, 0], [0, 1], [1, 1]]
>>> monomial_tuples(2, 1, with_lower=True).tolist()
[[0], [1], [2]]
"""

from __future__ import annotations

import numpy as np


def monomial_tuples(m: int, d: int, *, with_lower: bool = False) -> np.ndarray:
    """All non-decreasing index tuples of length ``d`` over ``m`` variables (+ sentinel).

    Examples
    --------
    >>> monomial_tuples(3, 2).shape
    (6, 2)
    """
    k = m + 1 if with_lower else m
    if d == 0:
        return np.zeros((1, 0), dtype=np.int64)
    T = np.arange(k, dtype=np.int64)[:, None]
    for _ in range(d - 1):
        last = T[:, -1]
        parts = []
        for j in range(k):
            sel = T[last <= j]
            parts.append(np.hstack([sel, np.full((sel.shape[0], 1), j, dtype=np.int64)]))
        T = np.vstack(parts)
        order = np.lexsort(T.T[::-1])
        T = T[order]
    return T


def encode(T: np.ndarray, base: int) -> np.ndarray:
    """Integer codes of index tuples (lexicographic, base ``base``); requires base**d < 2**62.

    Examples
    --------
    >>> encode(np.array([[0, 1], [1, 1]]), 3).tolist()
    [1, 4]
    """
    code = np.zeros(T.shape[0], dtype=np.int64)
    for t in range(T.shape[1]):
        code = code * base + T[:, t]
    return code


def exponent_vectors(T: np.ndarray, m: int) -> np.ndarray:
    """Exponent vectors ``(N, m)`` of index tuples (sentinel ``m`` dropped).

    Examples
    --------
    >>> exponent_vectors(np.array([[0, 0], [0, 2]]), 2).tolist()
    [[2, 0], [1, 0]]
    """
    E = np.zeros((T.shape[0], m + 1), dtype=np.int64)
    rows = np.repeat(np.arange(T.shape[0]), T.shape[1])
    np.add.at(E, (rows, T.reshape(-1)), 1)
    return E[:, :m]


def monomial_values_mod(Y: np.ndarray, T: np.ndarray, p: int) -> np.ndarray:
    """Values ``(n_points, N)`` of the monomials ``T`` at points ``Y`` (residues mod ``p``).

    Examples
    --------
    >>> monomial_values_mod(np.array([[2, 3]]), np.array([[0, 1], [1, 2]]), 7).tolist()
    [[6, 3]]
    """
    Y1 = np.hstack([Y, np.ones((Y.shape[0], 1), dtype=np.int64)])
    if T.shape[1] == 0:
        return np.ones((Y.shape[0], T.shape[0]), dtype=np.int64)
    V = Y1[:, T[:, 0]]
    for t in range(1, T.shape[1]):
        V = V * Y1[:, T[:, t]] % p
    return V


def monomial_values_exact(Y: np.ndarray, T: np.ndarray, pad: object = 1) -> np.ndarray:
    """Values of the monomials at points given as an object array of Python ints/Fractions.

    ``pad`` is the value of the sentinel variable (used to homogenise by a denominator).

    Examples
    --------
    >>> monomial_values_exact(np.array([[2, 3]], dtype=object), np.array([[0, 2]]), pad=5).tolist()
    [[10]]
    """
    Y1 = np.hstack([Y, np.full((Y.shape[0], 1), pad, dtype=object)])
    if T.shape[1] == 0:
        return np.ones((Y.shape[0], T.shape[0]), dtype=object)
    V = Y1[:, T[:, 0]]
    for t in range(1, T.shape[1]):
        V = V * Y1[:, T[:, t]]
    return V
