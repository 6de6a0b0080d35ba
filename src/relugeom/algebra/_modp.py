"""Prime-field linear algebra and rational reconstruction (internal).

Everything here works on int64 numpy arrays of residues in ``[0, p)`` with ``p < 2**31``
and uses python-flint's ``nmod_mat`` for elimination.

Examples
--------
>>> rational_reconstruction(pow(3, -1, 101) * 2 % 101, 101)
Fraction(2, 3)
"""

from __future__ import annotations

from fractions import Fraction
from math import isqrt

import numpy as np

PRIME_LO = 2**30
PRIME_HI = 2**31


def random_prime(rng: np.random.Generator, exclude: set[int] | frozenset[int] = frozenset()) -> int:
    """A random prime in ``[2**30, 2**31)`` not in ``exclude``.

    Examples
    --------
    >>> p = random_prime(np.random.default_rng(0))
    >>> 2**30 <= p < 2**31
    True
    """
    import flint

    while True:
        n = int(rng.integers(PRIME_LO, PRIME_HI - 1000)) | 1
        while not flint.fmpz(n).is_prime():
            n += 2
        if n < PRIME_HI and n not in exclude:
            return n


def rref_mod_p(A: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Reduced row echelon form of ``A`` over ``Z/p``.

    Returns
    -------
    R : int64 array (rank, ncols)
    pivots : int64 array (rank,), the pivot columns (increasing)

    Examples
    --------
    >>> R, piv = rref_mod_p(np.array([[1, 2, 3], [2, 4, 6]]), 7)
    >>> R.tolist(), piv.tolist()
    ([[1, 2, 3]], [0])
    """
    nr, nc = A.shape
    if nr == 0 or nc == 0:
        return np.zeros((0, nc), dtype=np.int64), np.zeros(0, dtype=np.int64)
    piv, free, vals = _rref_data(A, p)
    Rn = np.zeros((piv.size, nc), dtype=np.int64)
    Rn[np.arange(piv.size), piv] = 1
    Rn[:, free] = vals
    return Rn, piv


#: matrices with at most this fraction of non-zero entries are sent to flint entry by entry
_SPARSE_FILL = 0.3


def _to_nmod_mat(A: np.ndarray, p: int):
    """A residue matrix as a flint ``nmod_mat``.

    Dense matrices go through ``fmpz_mat`` (the fastest bulk constructor we found, about
    0.14 µs per entry); sparse ones start from the zero matrix and set only their non-zero
    entries.
    """
    import flint

    nr, nc = A.shape
    A = np.ascontiguousarray(A, dtype=np.int64)
    nz = np.flatnonzero(A)
    if nz.size <= _SPARSE_FILL * A.size:
        M = flint.nmod_mat(nr, nc, p)
        for k, v in zip(nz.tolist(), A.ravel()[nz].tolist()):
            M[k // nc, k % nc] = v
        return M
    return flint.nmod_mat(flint.fmpz_mat(nr, nc, A.ravel().tolist()), p)


def _rref_data(A: np.ndarray, p: int, values: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Pivot columns, free columns and ``R[:, free]`` of the RREF ``R`` of ``A`` over ``Z/p``.

    Only the entries that can be non-zero are read back from flint (the pivots by a left to
    right scan, then the free columns right of each row's pivot), which is much cheaper than
    converting the whole matrix. With ``values=False`` only the pivots are read (the third
    item is None).
    """
    nr, nc = A.shape
    R, rank = _to_nmod_mat(A, p).rref()
    rank = int(rank)
    piv = np.zeros(rank, dtype=np.int64)
    j = 0
    for i in range(rank):
        while int(R[i, j]) == 0:
            j += 1
        piv[i] = j
        j += 1
    free = np.setdiff1d(np.arange(nc), piv)
    if not values:
        return piv, free, None
    vals = np.zeros((rank, free.size), dtype=np.int64)
    if free.size and rank:
        start = np.searchsorted(free, piv)
        fl = free.tolist()
        for i in range(rank):
            s = int(start[i])
            if s < free.size:
                vals[i, s:] = [int(R[i, c]) for c in fl[s:]]
    return piv, free, vals


def pivots_mod_p(A: np.ndarray, p: int) -> np.ndarray:
    """The pivot columns of the reduced row echelon form of ``A`` over ``Z/p`` (its column rank profile).

    Examples
    --------
    >>> pivots_mod_p(np.array([[0, 1, 2], [0, 2, 4]]), 7).tolist()
    [1]
    """
    nr, nc = A.shape
    if nr == 0 or nc == 0:
        return np.zeros(0, dtype=np.int64)
    return _rref_data(A, p, values=False)[0]


def kernel_mod_p(A: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """The canonical kernel basis of ``A`` over ``Z/p`` (as rows) and its free columns.

    Row ``k`` has a 1 at free column ``free[k]``, zeros at the other free columns, and its
    other entries at pivot columns (``-R[i, free[k]]`` for the reduced row echelon form
    ``R``); the same basis as :func:`kernel_from_rref`, but only the kernel is converted
    back from flint.

    Examples
    --------
    >>> K, free = kernel_mod_p(np.array([[1, 2, 3], [2, 4, 6]]), 7)
    >>> K.tolist(), free.tolist()
    ([[5, 1, 0], [4, 0, 1]], [1, 2])
    """
    nr, nc = A.shape
    if nc == 0:
        return np.zeros((0, 0), dtype=np.int64), np.zeros(0, dtype=np.int64)
    if nr == 0:
        return np.eye(nc, dtype=np.int64), np.arange(nc)
    piv, free, vals = _rref_data(A, p)
    K = np.zeros((free.size, nc), dtype=np.int64)
    K[np.arange(free.size), free] = 1
    if piv.size:
        K[:, piv] = (-vals.T) % p
    return K, free.astype(np.int64)


def kernel_from_rref(R: np.ndarray, pivots: np.ndarray, ncols: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    """The canonical kernel basis of a matrix with RREF ``R``: one row per free column.

    Row ``k`` has a 1 at free column ``free[k]``, ``-R[i, free[k]]`` at pivot ``i`` and zeros
    at the other free columns.

    Examples
    --------
    >>> K, free = kernel_from_rref(np.array([[1, 2, 3]]), np.array([0]), 3, 7)
    >>> K.tolist(), free.tolist()
    ([[5, 1, 0], [4, 0, 1]], [1, 2])
    """
    free = np.setdiff1d(np.arange(ncols), pivots)
    K = np.zeros((free.size, ncols), dtype=np.int64)
    K[np.arange(free.size), free] = 1
    if pivots.size:
        K[:, pivots] = (-R[:, free].T) % p
    return K, free


def rank_mod_p(A: np.ndarray, p: int) -> int:
    """Rank of an integer matrix over ``Z/p``.

    Examples
    --------
    >>> rank_mod_p(np.array([[1, 2], [2, 4]]), 5)
    1
    """
    import flint

    nr, nc = A.shape
    if nr == 0 or nc == 0:
        return 0
    return int(_to_nmod_mat(np.mod(A, p), p).rank())


def matmul_mod_p(A: np.ndarray, B: np.ndarray, p: int) -> np.ndarray:
    """``A @ B mod p`` for residue matrices (``p < 2**31``), exact, via float64 BLAS.

    Both factors are split into 16-bit limbs so that every partial product sum stays below
    ``2**53`` (inner dimension up to ``2**20`` per chunk).

    Examples
    --------
    >>> matmul_mod_p(np.array([[2**30, 1]]), np.array([[2**30], [1]]), 2**31 - 1).tolist()
    [[536870913]]
    """
    A = np.asarray(A, dtype=np.int64) % p
    B = np.asarray(B, dtype=np.int64) % p
    n, k = A.shape
    out = np.zeros((n, B.shape[1]), dtype=np.int64)
    if k == 0:
        return out
    step = 1 << 20
    s16 = 65536 % p
    s32 = (1 << 32) % p
    for s in range(0, k, step):
        a = A[:, s:s + step]
        b = B[s:s + step]
        a1, a0 = (a >> 16).astype(np.float64), (a & 0xFFFF).astype(np.float64)
        b1, b0 = (b >> 16).astype(np.float64), (b & 0xFFFF).astype(np.float64)
        hh = (a1 @ b1).astype(np.int64) % p
        mid = ((a1 @ b0).astype(np.int64) % p + (a0 @ b1).astype(np.int64) % p) % p
        ll = (a0 @ b0).astype(np.int64) % p
        out = (out + hh * s32 % p + mid * s16 % p + ll) % p
    return out


def rational_reconstruction(a: int, m: int) -> Fraction | None:
    """The fraction ``n/d`` with ``n ≡ a d (mod m)``, ``|n|, d <= sqrt(m/2)``, or None.

    Examples
    --------
    >>> rational_reconstruction(6, 7)
    Fraction(-1, 1)
    >>> rational_reconstruction(5, 7) is None
    True
    >>> rational_reconstruction(0, 7)
    Fraction(0, 1)
    """
    a %= m
    if a == 0:
        return Fraction(0)
    bound = isqrt(m // 2)
    r0, r1 = m, a
    s0, s1 = 0, 1
    while r1 > bound:
        q = r0 // r1
        r0, r1 = r1, r0 - q * r1
        s0, s1 = s1, s0 - q * s1
    if s1 == 0 or abs(s1) > bound:
        return None
    if s1 < 0:
        r1, s1 = -r1, -s1
    from math import gcd

    if gcd(r1, s1) != 1:
        return None
    return Fraction(r1, s1)


def rational_reconstruction_array(a: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorized :func:`rational_reconstruction` for residues modulo one prime ``p < 2**31``.

    Returns
    -------
    num, den : int64 arrays, and ok : bool array (False where no fraction fits the bound)

    Examples
    --------
    >>> num, den, ok = rational_reconstruction_array(np.array([68, 0, 100]), 101)
    >>> num.tolist(), den.tolist(), ok.tolist()
    ([2, 0, -1], [3, 1, 1], [True, True, True])
    """
    a = np.asarray(a, dtype=np.int64)
    shape = a.shape
    a = np.mod(a.reshape(-1), p)
    bound = isqrt(p // 2)
    r0 = np.full(a.shape, p, dtype=np.int64)
    r1 = a.copy()
    s0 = np.zeros(a.shape, dtype=np.int64)
    s1 = np.ones(a.shape, dtype=np.int64)
    active = r1 > bound
    while active.any():
        idx = np.flatnonzero(active)
        q = r0[idx] // r1[idx]
        r0[idx], r1[idx] = r1[idx], r0[idx] - q * r1[idx]
        s0[idx], s1[idx] = s1[idx], s0[idx] - q * s1[idx]
        active = r1 > bound
    sign = np.where(s1 < 0, -1, 1)
    num = r1 * sign
    den = np.abs(s1)
    ok = (den != 0) & (den <= bound) & (np.gcd(num, den) == 1)
    num = np.where(a == 0, 0, num)
    den = np.where(a == 0, 1, den)
    ok = ok | (a == 0)
    return num.reshape(shape), den.reshape(shape), ok.reshape(shape)


def crt_pair(r1: int, m1: int, r2: int, m2: int) -> int:
    """Combine residues mod coprime ``m1, m2`` into one mod ``m1*m2``.

    Examples
    --------
    >>> crt_pair(2, 3, 3, 5)
    8
    """
    t = (r2 - r1) * pow(m1, -1, m2) % m2
    return r1 + m1 * t
