"""Small helpers for batched arithmetic modulo a prime on int64 arrays.

Entries are kept in ``[0, p)`` with ``p < 2**31``, so a single product fits in int64; sums
of products are split in 16-bit halves so that matrix products never overflow.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import numpy as np

__all__ = ["matmul_mod", "check_prime", "fraction_mod"]

_MAX_P = 2**31


def check_prime(p: int) -> int:
    """Check that ``p`` is usable (``2 <= p < 2**31``) and return it as int.

    Examples
    --------
    >>> check_prime(101)
    101
    """
    p = int(p)
    if not 2 <= p < _MAX_P:
        raise ValueError(f"the modulus p must satisfy 2 <= p < 2**31 for int64 arithmetic; got {p}")
    return p


def matmul_mod(A: np.ndarray, B: np.ndarray, p: int) -> np.ndarray:
    """``(A @ B) mod p`` for int64 arrays with entries in ``[0, p)``, batched like ``np.matmul``.

    Examples
    --------
    >>> p = 2**31 - 1
    >>> A = np.array([[p - 1, p - 1]], dtype=np.int64); B = np.array([[p - 1], [p - 1]], dtype=np.int64)
    >>> int(matmul_mod(A, B, p)[0, 0]) == (2 * (p - 1) ** 2) % p
    True
    """
    k = A.shape[-1]
    if k == 0:
        return np.zeros(np.broadcast_shapes(A.shape[:-2], B.shape[:-2]) + (A.shape[-2], B.shape[-1]),
                        dtype=np.int64)
    if (p - 1) * (p - 1) * k < 2**63:
        return np.matmul(A, B) % p
    if k >= 2**16:  # pragma: no cover - never for network widths
        raise ValueError("inner dimension too large for the split product")
    hi = np.matmul(A, B >> 16) % p
    lo = np.matmul(A, B & 0xFFFF)
    return (hi * 65536 + lo) % p


def fraction_mod(q: object, p: int) -> int:
    """A rational number modulo ``p`` (raises ZeroDivisionError if p divides the denominator).

    Examples
    --------
    >>> fraction_mod(Fraction(1, 2), 7)
    4
    """
    q = Fraction(q)
    den = q.denominator % p
    if den == 0:
        raise ZeroDivisionError(f"the prime {p} divides the denominator {q.denominator}")
    return (q.numerator % p) * pow(den, -1, p) % p


def fractions_mod(a: Sequence[object] | np.ndarray, p: int) -> np.ndarray:
    """An array of rationals modulo ``p`` as int64 (same shape).

    Examples
    --------
    >>> fractions_mod(np.array([[Fraction(1, 2), 3]], dtype=object), 7).tolist()
    [[4, 3]]
    """
    arr = np.asarray(a, dtype=object)
    out = np.array([fraction_mod(v, p) for v in arr.ravel()], dtype=np.int64)
    return out.reshape(arr.shape)
