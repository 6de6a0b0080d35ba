"""The degree of the image variety, only with a justification (internal).

Justifications used, in order:

* the image is dense (codimension 0): the variety is the whole space, degree 1;
* toric (every coordinate a single monomial, homogeneous): the degree is the normalized
  volume of the convex hull of the exponent vectors in the affine lattice they generate
  (Sturmfels, *Gröbner Bases and Convex Polytopes*, Thm. 4.16; nonzero coefficients are a
  diagonal change of coordinates);
* complete intersection: exactly ``c = codim`` minimal generators were found, the Hilbert
  function agrees through ``D`` with that of a complete intersection of their degrees and
  their Jacobian has rank ``c`` at a random image point (so the variety is a reduced
  component of their zero set); then the degree is the product of the degrees (Bézout),
  *assuming the ideal has no minimal generator of degree > D*, which is stated.

Anything else is reported as not determined.

Examples
--------
>>> ci_hilbert([2, 2], 4, 3)
{1: 4, 2: 8, 3: 12}
"""

from __future__ import annotations

import math
from math import comb, factorial
from typing import Any

import numpy as np


def ci_hilbert(degrees: list[int], n_vars: int, D: int) -> dict[int, int]:
    """Hilbert function of a complete intersection of the given degrees in ``n_vars`` variables.

    Examples
    --------
    >>> ci_hilbert([3], 3, 3)
    {1: 3, 2: 6, 3: 9}
    """
    num = np.zeros(D + 1, dtype=object)
    num[0] = 1
    for e in degrees:
        new = num.copy()
        if e <= D:
            new[e:] = new[e:] - num[: D + 1 - e]
        num = new
    out = {}
    for d in range(1, D + 1):
        out[d] = int(sum(num[j] * comb(d - j + n_vars - 1, n_vars - 1) for j in range(d + 1)))
    return out


def toric_degree(exponents: list[np.ndarray]) -> int | None:
    """Normalized volume of the exponent configuration (None when not computable).

    Examples
    --------
    >>> toric_degree([np.array([[3, 0]]), np.array([[2, 1]]), np.array([[1, 2]]), np.array([[0, 3]])])
    3
    """
    import flint

    A = np.vstack([np.asarray(E, dtype=np.int64).reshape(1, -1) for E in exponents])
    A = np.unique(A, axis=0)
    D = A[1:] - A[0]
    if D.shape[0] == 0 or not D.any():
        return 1
    H = flint.fmpz_mat(D.tolist()).hnf()
    rows = [r for r in H.tolist() if any(int(v) for v in r)]
    k = len(rows)
    B = np.array([[int(v) for v in r] for r in rows], dtype=object)  # (k, n) lattice basis
    # coordinates of D in the basis B: solve c @ B = D exactly (rows of B independent)
    Bf = flint.fmpq_mat(B.tolist())
    coords = []
    for drow in D.tolist():
        # least-squares-free exact solve via the normal equations B B^T c = B d
        BBt = Bf * Bf.transpose()
        rhs = Bf * flint.fmpq_mat([[int(v)] for v in drow])
        c = BBt.solve(rhs)
        coords.append([float(c[i, 0]) for i in range(k)])
    P = np.vstack([np.zeros((1, k)), np.array(coords)])
    if k == 1:
        vol = P.max() - P.min()
    elif k > 9:
        return None
    else:
        from scipy.spatial import ConvexHull

        try:
            vol = ConvexHull(P).volume
        except Exception:  # qhull precision/degenerate
            return None
    val = vol * factorial(k)
    r = round(val)
    if abs(val - r) > 1e-6 * max(1.0, val):
        return None
    return int(r)


def _poly_mod_p(f, p: int):
    d = f.to_dict()
    keys = np.array(list(d), dtype=np.int64).reshape(len(d), -1)
    cs = np.array([(int(d[k].p) % p) * pow(int(d[k].q) % p, -1, p) % p for k in d], dtype=np.int64)
    return keys, cs


def _eval_mod(keys: np.ndarray, cs: np.ndarray, y: np.ndarray, p: int) -> int:
    tot = 0
    for e, c in zip(keys, cs):
        v = int(c)
        for j in np.flatnonzero(e):
            v = v * pow(int(y[j]), int(e[j]), p) % p
        tot = (tot + v) % p
    return tot


def variety_degree(param, homogeneous: bool, dimension: int, gens: list, hilbert: dict[int, int],
                   D: int, complete: bool, eng: Any) -> tuple[int | None, str]:
    """The degree of the image and the reason it is known (or why it is not).

    Examples
    --------
    >>> variety_degree(None, False, 2, [], {}, 2, True, None)[0] is None
    True
    """
    if not homogeneous:
        return None, "not determined: the ideal is not homogeneous (degree filtration)"
    m = param.n_outputs
    codim = m - dimension
    if codim == 0:
        if gens:
            return None, "not determined: dense image but generators were found (inconsistent)"
        return 1, "the image is dense (Jacobian rank = number of outputs): the variety is the whole space"
    supports = param.output_exponents()
    if all(len(E) == 1 for E in supports):
        deg = toric_degree(supports)
        if deg is not None:
            # the toric variety has dimension rank(lattice) + 1
            A = np.vstack([np.asarray(E).reshape(1, -1) for E in supports])
            k = np.linalg.matrix_rank((A[1:] - A[0]).astype(float)) if m > 1 else 0
            if k + 1 == dimension:
                return deg, ("toric: normalized volume of the convex hull of the exponent vectors in the "
                             "lattice they generate (Sturmfels, Groebner Bases and Convex Polytopes, Thm 4.16)")
    if not complete:
        return None, "not determined: the computation is incomplete"
    if len(gens) == codim:
        degs = [g.degree for g in gens]
        H = ci_hilbert(degs, m, D)
        if all(hilbert.get(d) == H[d] for d in range(1, D + 1)):
            # Jacobian of the generators at a random image point has full rank codim
            p = eng.prime(0)
            y = eng.sampler.fresh(p, 1)[0]
            J = np.zeros((codim, m), dtype=np.int64)
            for i, g in enumerate(gens):
                for j in range(m):
                    dg = g.polynomial.derivative(j)
                    if dg.is_zero():
                        continue
                    keys, cs = _poly_mod_p(dg, p)
                    J[i, j] = _eval_mod(keys, cs, y, p)
            from relugeom.algebra._modp import rank_mod_p

            if rank_mod_p(J, p) == codim:
                deg = math.prod(degs)
                return deg, (f"complete intersection: {codim} = codim generators of degrees {degs}, "
                             f"Hilbert function equal to that of a complete intersection through degree {D}, "
                             f"Jacobian of full rank {codim} on the variety; degree = product of degrees "
                             f"(Bezout), assuming no minimal generators of degree > {D}")
    return None, ("not determined: neither toric nor a complete intersection through degree "
                  f"{D}; the Hilbert function alone does not show the Hilbert polynomial was reached")
