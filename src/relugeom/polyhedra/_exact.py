r"""Exact (rational) checks of floating-point polyhedral facts.

Every float is a dyadic rational, so the data ``A, b, x`` given as floats define an exact
problem; these functions decide it exactly (``fractions.Fraction`` and python-flint's
``fmpq_mat``), using floating point only to *find* the witness.

- :func:`exact_strictly_inside` — is ``A x < b`` in every row? A float pass with a rigorous
  rounding-error bound settles most rows; rows near a tie are evaluated exactly.
- :func:`farkas_certificate` — a rational ``y >= 0`` (and free ``y_eq``) with
  ``yᵀA + y_eqᵀA_eq = 0`` and ``yᵀb + y_eqᵀb_eq < 0``: a proof that
  ``{A x <= b, A_eq x = b_eq}`` is empty.
- :func:`certify_redundancy` — row ``i`` of ``A x <= b`` is redundant (an exact dual
  certificate) or irredundant (a witness point inside the other rows and strictly beyond
  row ``i``, checked exactly).
- :func:`bound_certificate` — a rational ``y >= 0``, ``y_eq`` with
  ``yᵀA + y_eqᵀA_eq = c`` and ``yᵀb + y_eqᵀb_eq <= bound``: a proof that
  ``max c·x <= bound`` over the polyhedron (weak duality).

Certificates are verified exactly before ``verified=True`` is reported; a failure to find
one is reported (``verified=False`` with a reason), never raised.

Examples
--------
>>> cert = farkas_certificate([[1.0], [-1.0]], [0.0, -1.0])    # x <= 0 and x >= 1
>>> cert.verified, [str(v) for v in cert.y]
(True, ['1/2', '1/2'])
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple, Sequence

import numpy as np

from .._tol import Tolerance, resolve
from ._lp import LPStatus, solve_lp

log = logging.getLogger(__name__)

__all__ = ["StrictCheck", "exact_strictly_inside", "exact_strictly_inside_many", "FarkasCertificate", "farkas_certificate",
           "BoundCertificate", "bound_certificate", "to_fractions", "RedundancyCertificate",
           "certify_redundancy"]

_U = np.finfo(float).eps / 2  # unit roundoff


def to_fractions(a: object) -> np.ndarray:
    """The exact rational values of a float array, as an object array of ``Fraction``.

    Examples
    --------
    >>> to_fractions([0.5, 0.1])[1]
    Fraction(3602879701896397, 36028797018963968)
    """
    arr = np.asarray(a, dtype=float)
    if not np.isfinite(arr).all():
        raise ValueError("cannot convert NaN or inf to a rational")
    out = np.empty(arr.shape, dtype=object)
    flat = out.reshape(-1)
    for i, v in enumerate(arr.reshape(-1).tolist()):
        flat[i] = Fraction(v)
    return out


def _as_float_system(A: object, b: object, name: str = "A") -> tuple[np.ndarray, np.ndarray]:
    A = np.asarray(A, dtype=float)
    if A.ndim != 2:
        raise ValueError(f"{name} must be a 2-dimensional (m, n) array; got shape {A.shape}")
    b = np.asarray(b, dtype=float).reshape(-1)
    if len(b) != A.shape[0]:
        raise ValueError(f"b must have shape ({A.shape[0]},) to match {name}; got {b.shape}")
    if not (np.isfinite(A).all() and np.isfinite(b).all()):
        raise ValueError(f"{name} and b must be finite")
    return A, b


# --------------------------------------------------------------------- strict inclusion
class StrictCheck(NamedTuple):
    """Result of :func:`exact_strictly_inside`.

    Attributes
    ----------
    inside : bool
        ``A x < b`` holds exactly in every row.
    min_slack : Fraction
        The exact ``min_i (b_i - a_i·x)`` (``inf`` as ``None`` when there are no rows).
    row : int
        A row attaining the minimum (-1 without rows).
    n_exact : int
        How many rows needed exact evaluation.

    Examples
    --------
    >>> inside, slack, row, _ = exact_strictly_inside([[1.0]], [1.0], [0.5]); inside, slack
    (True, Fraction(1, 2))
    """

    inside: bool
    min_slack: Fraction | None
    row: int
    n_exact: int


def _exact_slack(a_row: Sequence[float], b_i: float, x: Sequence[float]) -> Fraction:
    """``b_i - a_row·x`` exactly, in dyadic integer arithmetic (floats are p / 2^k)."""
    terms = [b_i.as_integer_ratio()]
    for aij, xj in zip(a_row, x):
        if aij != 0.0 and xj != 0.0:
            pa, qa = aij.as_integer_ratio()
            px, qx = xj.as_integer_ratio()
            terms.append((-pa * px, qa * qx))
    den = max(q for _, q in terms)  # all denominators are powers of two
    num = sum(p * (den // q) for p, q in terms)
    return Fraction(num, den)


def exact_strictly_inside(A: object, b: object, x: object) -> StrictCheck:
    """Decide exactly whether the float point ``x`` satisfies ``A x < b`` strictly.

    The floats are taken as the exact rationals they are. A float evaluation with the
    rigorous bound ``|fl(b - A x) - (b - A x)| <= γ_{n+1} (|A||x| + |b|)``
    (``γ_k = k u / (1 - k u)``, any summation order) decides each row whose float slack
    is farther than that from 0; only the rows that could attain the minimum slack are
    evaluated exactly (with ``Fraction``), so the reported minimum is exact.

    Returns
    -------
    StrictCheck
        ``(inside, min_slack, row, n_exact)``.

    Examples
    --------
    >>> r = exact_strictly_inside([[1.0, 1.0], [-1.0, 0.0]], [1.0, 0.0], [0.25, 0.5])
    >>> r.inside, r.min_slack, r.row
    (True, Fraction(1, 4), 0)
    >>> exact_strictly_inside([[1.0, 1.0]], [0.3], [0.1, 0.2]).inside   # 0.1 + 0.2 > 0.3 exactly
    False
    """
    A, b = _as_float_system(A, b)
    x = np.asarray(x, dtype=float).reshape(-1)
    if len(x) != A.shape[1]:
        raise ValueError(f"x must have shape ({A.shape[1]},) to match A; got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("x must be finite")
    m, n = A.shape
    if m == 0:
        return StrictCheck(True, None, -1, 0)
    slack = b - A @ x
    k = n + 1
    gamma = k * _U / (1 - k * _U)
    err = gamma * (np.abs(A) @ np.abs(x) + np.abs(b))
    # tiny absolute term covers subnormal underflow in the products
    err = err * (1 + 4 * _U) + 2 * n * np.finfo(float).tiny
    lower, upper = slack - err, slack + err
    # rows that can attain the minimum: lower bound <= smallest upper bound
    cand = np.flatnonzero(lower <= upper.min())
    Arows = A[cand].tolist()
    xs = x.tolist()
    exact = [_exact_slack(Arows[j], float(b[i]), xs) for j, i in enumerate(cand)]
    j = min(range(len(exact)), key=exact.__getitem__)
    ms, row = exact[j], int(cand[j])
    return StrictCheck(ms > 0, ms, row, len(cand))


def exact_strictly_inside_many(A: object, b: object, X: object) -> tuple[np.ndarray, int]:
    """:func:`exact_strictly_inside` for many points (and optionally many systems) at once.

    Parameters
    ----------
    A : array_like (m, d) or (K, m, d)
        One system for all points, or one per point.
    b : array_like (m,) or (K, m)
    X : array_like (K, d)

    Returns
    -------
    inside : ndarray of bool (K,)
        ``A_k x_k < b_k`` exactly in every row.
    n_exact : int
        How many (point, row) pairs needed exact evaluation (the rest were decided by
        the rigorous float bound of :func:`exact_strictly_inside`).

    Examples
    --------
    >>> inside, n = exact_strictly_inside_many([[1.0, 1.0]], [0.75], [[0.25, 0.5], [0.0, 0.0], [0.1, 0.2]])
    >>> inside.tolist(), n
    ([False, True, True], 1)
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (K, d); got {X.shape}")
    K, d = X.shape
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    if A.ndim == 2:
        if A.shape[1] != d or b.shape != (A.shape[0],):
            raise ValueError(f"A must be (m, {d}) with b (m,); got {A.shape} and {b.shape}")
        slack = b[None, :] - X @ A.T
        mag = np.abs(X) @ np.abs(A).T + np.abs(b)[None, :]
    elif A.ndim == 3:
        if A.shape[0] != K or A.shape[2] != d or b.shape != A.shape[:2]:
            raise ValueError(f"A must be (K, m, {d}) with b (K, m); got {A.shape} and {b.shape}")
        slack = b - np.einsum("kmd,kd->km", A, X)
        mag = np.einsum("kmd,kd->km", np.abs(A), np.abs(X)) + np.abs(b)
    else:
        raise ValueError(f"A must be 2- or 3-dimensional; got shape {A.shape}")
    if not (np.isfinite(slack).all() and np.isfinite(mag).all()):
        raise ValueError("A, b and X must be finite")
    k = d + 1
    gamma = k * _U / (1 - k * _U)
    err = gamma * mag * (1 + 4 * _U) + 2 * d * np.finfo(float).tiny
    pos = slack - err > 0
    neg = slack + err <= 0  # certainly not strictly inside
    inside = pos.all(axis=1)
    undecided = ~inside & ~neg.any(axis=1)
    n_exact = 0
    for i in np.flatnonzero(undecided):
        rows = np.flatnonzero(~pos[i])
        Ai = A if A.ndim == 2 else A[i]
        bi = b if b.ndim == 1 else b[i]
        xs = X[i].tolist()
        ok = True
        for r in rows:
            n_exact += 1
            if _exact_slack(Ai[r].tolist(), float(bi[r]), xs) <= 0:
                ok = False
                break
        inside[i] = ok
    return inside, n_exact


# --------------------------------------------------------------------- certificates
def _fraction_to_fmpq(v: Fraction):
    import flint

    return flint.fmpq(v.numerator, v.denominator)


def _fmpq_to_fraction(q) -> Fraction:
    return Fraction(int(q.p), int(q.q))


def _exact_repair(M: list[list[Fraction]], rhs: list[Fraction], guess: list[Fraction]
                  ) -> list[Fraction] | None:
    """An exact solution of ``M v = rhs`` near ``guess``: non-pivot entries keep their
    guessed value, pivot entries are solved for. ``None`` if the system is inconsistent."""
    import flint

    r, s = len(M), len(guess)
    if s == 0:
        return [] if all(v == 0 for v in rhs) else None
    F = flint.fmpq_mat(r, s, [_fraction_to_fmpq(v) for row in M for v in row])
    R, rank = F.rref()
    pivots = []
    for i in range(rank):
        for j in range(s):
            if R[i, j] != 0:
                pivots.append(j)
                break
    nonpiv = [j for j in range(s) if j not in set(pivots)]
    rhs2 = list(rhs)
    for i in range(r):
        acc = rhs2[i]
        for j in nonpiv:
            if M[i][j] != 0 and guess[j] != 0:
                acc -= M[i][j] * guess[j]
        rhs2[i] = acc
    if rank == 0:
        sol = list(guess)
    else:
        B = flint.fmpq_mat(r, rank, [_fraction_to_fmpq(M[i][j]) for i in range(r) for j in pivots])
        Bt_rref, rk = B.transpose().rref()
        rows = []
        for i in range(rk):
            for j in range(r):
                if Bt_rref[i, j] != 0:
                    rows.append(j)
                    break
        Bsq = flint.fmpq_mat(rank, rank, [_fraction_to_fmpq(M[i][j]) for i in rows for j in pivots])
        rsq = flint.fmpq_mat(rank, 1, [_fraction_to_fmpq(rhs2[i]) for i in rows])
        try:
            vb = Bsq.solve(rsq)
        except ZeroDivisionError:
            return None
        sol = list(guess)
        for t, j in enumerate(pivots):
            sol[j] = _fmpq_to_fraction(vb[t, 0])
    # consistency of the rows not used in the square solve is checked by the caller's verify
    return sol


def _rationalize(v: np.ndarray, max_den: int) -> list[Fraction]:
    return [Fraction(float(t)).limit_denominator(max_den) for t in v]


def _combination(y: Sequence[Fraction], rows: Sequence[Sequence[Fraction]], n: int) -> list[Fraction]:
    out = [Fraction(0)] * n
    for yi, row in zip(y, rows):
        if yi:
            for j in range(n):
                if row[j]:
                    out[j] += yi * row[j]
    return out


@dataclass(frozen=True)
class FarkasCertificate:
    """A proof that ``{x : A x <= b, A_eq x = b_eq}`` is empty (when ``verified``).

    Attributes
    ----------
    y : tuple of Fraction
        Multipliers of the inequality rows (``>= 0``).
    y_eq : tuple of Fraction
        Multipliers of the equality rows (any sign).
    value : Fraction or None
        ``yᵀb + y_eqᵀb_eq`` (negative for a valid certificate).
    verified : bool
        Checked exactly against the floats of ``A, b, A_eq, b_eq`` read as rationals:
        ``y >= 0``, ``yᵀA + y_eqᵀA_eq = 0``, ``value < 0``.
    message : str
        Why it is not verified, or how it was found.
    tol : Tolerance
        Used by the float LPs that found it (the verification uses none).

    Examples
    --------
    >>> farkas_certificate([[1.0]], [1.0]).verified        # x <= 1 is feasible
    False
    """

    y: tuple[Fraction, ...]
    y_eq: tuple[Fraction, ...]
    value: Fraction | None
    verified: bool
    message: str
    tol: Tolerance = field(repr=False)

    @property
    def support(self) -> tuple[int, ...]:
        """Indices of the inequality rows with ``y_i > 0``.

        Examples
        --------
        >>> farkas_certificate([[1.0], [0.0], [-1.0]], [0.0, 1.0, -1.0]).support
        (0, 2)
        """
        return tuple(i for i, v in enumerate(self.y) if v > 0)


@dataclass(frozen=True)
class BoundCertificate:
    """A proof that ``max c·x <= bound`` over ``{A x <= b, A_eq x = b_eq}`` (when ``verified``).

    ``kind == "dual"``: ``y >= 0`` with ``yᵀA + y_eqᵀA_eq = c`` and
    ``value = yᵀb + y_eqᵀb_eq <= bound`` (weak duality). ``kind == "empty"``: the
    polyhedron is empty and ``y, y_eq`` are a Farkas certificate (any bound holds).

    Examples
    --------
    >>> cert = bound_certificate([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], [1.0, 2.0], 3.0)
    >>> cert.verified, cert.kind, cert.value
    (True, 'dual', Fraction(3, 1))
    """

    kind: str
    y: tuple[Fraction, ...]
    y_eq: tuple[Fraction, ...]
    value: Fraction | None
    bound: Fraction
    verified: bool
    message: str
    tol: Tolerance = field(repr=False)


def _verify(y: Sequence[Fraction], y_eq: Sequence[Fraction], Af, bf, Ef, ef, target: list[Fraction]
            ) -> tuple[bool, Fraction | None, str]:
    """Exact check: ``y >= 0`` and ``yᵀA + y_eqᵀA_eq == target``; returns the value."""
    if any(v < 0 for v in y):
        return False, None, "negative multiplier"
    n = len(target)
    comb = _combination(y, Af, n)
    comb2 = _combination(y_eq, Ef, n)
    if any(comb[j] + comb2[j] != target[j] for j in range(n)):
        return False, None, "multipliers do not combine to the target exactly"
    value = sum((yi * bi for yi, bi in zip(y, bf) if yi), Fraction(0))
    value += sum((zi * ei for zi, ei in zip(y_eq, ef) if zi), Fraction(0))
    return True, value, "ok"


def _residual_fix(y: list[Fraction], z: list[Fraction], A: np.ndarray, Ae: np.ndarray,
                  Af, Ef, target: list[Fraction], tol: Tolerance
                  ) -> tuple[list[Fraction], list[Fraction]] | None:
    """Make ``yᵀA + zᵀA_eq = target`` exact by adding ``w >= 0`` (and free ``u``) with
    ``Aᵀw + A_eqᵀu = r``, ``r`` the exact residual; ``w`` is a vertex of a float LP
    (scaled to ``|r|_inf = 1``) repaired exactly on its support."""
    m, n = A.shape
    k = Ae.shape[0]
    comb = _combination(y, Af, n)
    comb2 = _combination(z, Ef, n)
    r = [target[j] - comb[j] - comb2[j] for j in range(n)]
    big = max(abs(v) for v in r)
    if big == 0:
        return y, z
    rs = [v / big for v in r]
    M = np.hstack([A.T, Ae.T])
    res = solve_lp(np.concatenate([np.ones(m), np.zeros(k)]), None, None, M,
                   np.array([float(v) for v in rs]),
                   bounds=[(0, None)] * m + [(None, None)] * k, tol=tol)
    if not res.optimal:
        return None
    w_f, u_f = res.x[:m], res.x[m:]
    supp = np.flatnonzero(w_f > tol.feas_atol * max(1.0, np.max(w_f, initial=0.0)))
    cols = [("y", int(i)) for i in supp] + [("z", j) for j in range(k)]
    Mx = [[Af[i][j] if kind == "y" else Ef[i][j] for kind, i in cols] for j in range(n)]
    guess = [Fraction(float(w_f[i])).limit_denominator(10**12) if kind == "y"
             else Fraction(float(u_f[i])).limit_denominator(10**12) for kind, i in cols]
    sol = _exact_repair(Mx, rs, guess)
    if sol is None:
        return None
    y2, z2 = list(y), list(z)
    for (kind, i), v in zip(cols, sol):
        if kind == "y":
            if v < 0:
                return None
            y2[i] += v * big
        else:
            z2[i] += v * big
    return y2, z2


def _certify(A: np.ndarray, b: np.ndarray, Ae: np.ndarray, be: np.ndarray,
             target: list[Fraction], value_target: Fraction | None,
             float_guesses: list[tuple[np.ndarray, np.ndarray]], accept, tol: Tolerance,
             extra: np.ndarray | None = None,
             ) -> tuple[tuple[Fraction, ...], tuple[Fraction, ...], Fraction | None, bool, str]:
    """Rationalise float multipliers, repair them exactly on their support, verify.

    ``extra``: rows that may join the support in the repair (e.g. the active rows at a
    float optimum: they span what the rounded data need when the support alone does not).
    """
    m, n = A.shape
    k = len(be)
    Af = [[Fraction(v) for v in row] for row in A.tolist()]
    bf = [Fraction(v) for v in b.tolist()]
    Ef = [[Fraction(v) for v in row] for row in Ae.tolist()]
    ef = [Fraction(v) for v in be.tolist()]
    last = (tuple([Fraction(0)] * m), tuple([Fraction(0)] * k), None, False, "no float multipliers")
    for y_f, z_f in float_guesses:
        y_f = np.maximum(np.asarray(y_f, dtype=float), 0.0)
        z_f = np.asarray(z_f, dtype=float)
        if not (np.isfinite(y_f).all() and np.isfinite(z_f).all()):
            continue
        if value_target is not None:  # Farkas: need yᵀb + zᵀb_eq < 0; scale to Σy = 1
            v = float(y_f @ b + z_f @ be)
            if not v < 0:
                continue
            sy = float(y_f.sum())
            sc = 1.0 / sy if sy > 0 else 1.0 / -v
            y_f, z_f = y_f * sc, z_f * sc
        y_f = np.where(y_f > tol.feas_atol * max(1.0, np.max(y_f, initial=0.0)), y_f, 0.0)
        supp0 = np.flatnonzero(y_f)
        supports = [supp0]
        if extra is not None and len(np.setdiff1d(extra, supp0)):
            supports.append(np.concatenate([supp0, np.setdiff1d(extra, supp0)]))
        for max_den, supp in [(md, sp) for sp in supports for md in (10**4, 10**8, 10**12)]:
            yq = _rationalize(y_f, max_den)
            zq = _rationalize(z_f, max_den)
            ok, val, msg = _verify(yq, zq, Af, bf, Ef, ef, target)
            if ok and accept(val):
                return tuple(yq), tuple(zq), val, True, f"rationalised (denominators <= {max_den})"
            if not ok and supp is supp0:  # close the exact residual with a nonnegative fix
                fixed = _residual_fix(yq, zq, A, Ae, Af, Ef, target, tol)
                if fixed is not None:
                    ok2, val2, _ = _verify(fixed[0], fixed[1], Af, bf, Ef, ef, target)
                    if ok2 and accept(val2):
                        return (tuple(fixed[0]), tuple(fixed[1]), val2, True,
                                f"rationalised (denominators <= {max_den}) and residual fixed exactly")
            # exact repair on the support: [A_Sᵀ A_eqᵀ] v = target (+ value row for Farkas)
            cols = [("y", int(i)) for i in supp] + [("z", j) for j in range(k)]
            M = [[Af[i][j] if kind == "y" else Ef[i][j] for kind, i in cols] for j in range(n)]
            rhs = list(target)
            if value_target is not None:
                if len(supp):  # normalise Σ y = 1 (keeps the scale of the float ray)
                    M.append([Fraction(1) if kind == "y" else Fraction(0) for kind, i in cols])
                    rhs.append(Fraction(1))
                else:  # equalities alone are inconsistent: normalise the value
                    M.append([ef[i] for kind, i in cols])
                    rhs.append(value_target)
            guess = [yq[i] if kind == "y" else zq[i] for kind, i in cols]
            sol = _exact_repair(M, rhs, guess)
            if sol is None:
                last = (tuple(yq), tuple(zq), None, False, "exact repair: inconsistent system")
                continue
            y2 = [Fraction(0)] * m
            z2 = [Fraction(0)] * k
            for (kind, i), v in zip(cols, sol):
                if kind == "y":
                    y2[i] = v
                else:
                    z2[i] = v
            ok, val, msg = _verify(y2, z2, Af, bf, Ef, ef, target)
            if ok and accept(val):
                return tuple(y2), tuple(z2), val, True, f"repaired exactly on a support of size {len(supp)}"
            last = (tuple(y2), tuple(z2), val, False, msg if not ok else "value check failed")
    return last


def _prep(A, b, A_eq, b_eq):
    A, b = _as_float_system(A, b)
    n = A.shape[1]
    if (A_eq is None) != (b_eq is None):
        raise ValueError("give both A_eq and b_eq or neither")
    if A_eq is None:
        Ae, be = np.zeros((0, n)), np.zeros(0)
    else:
        Ae, be = _as_float_system(A_eq, b_eq, "A_eq")
        if Ae.shape[1] != n and Ae.size:
            raise ValueError(f"A_eq must have shape (k, {n}); got {Ae.shape}")
        Ae = Ae.reshape(-1, n)
    return A, b, Ae, be


def _alternative_lp(A, b, Ae, be, tol) -> tuple[np.ndarray, np.ndarray] | None:
    """A vertex of ``min yᵀb + zᵀb_eq`` over ``y >= 0, Aᵀy + A_eqᵀz = 0, Σy + Σ|z| = 1``.

    Always feasible and bounded (when there are rows); a negative optimum gives a Farkas
    ray at a vertex (small support), even when the system is infeasible by a hair.
    """
    m, n = A.shape
    k = len(be)
    if m + k == 0:
        return None
    # variables (y, z+, z-) >= 0
    M = np.vstack([np.hstack([A.T, Ae.T, -Ae.T]), np.ones((1, m + 2 * k))])
    rhs = np.concatenate([np.zeros(n), [1.0]])
    cost = np.concatenate([b, be, -be])
    res = solve_lp(cost, None, None, M, rhs, bounds=(0, None), tol=tol)
    if not res.optimal or res.value >= 0:
        return None
    return res.x[:m], res.x[m:m + k] - res.x[m + k:]


def farkas_certificate(A: object, b: object, A_eq: object | None = None, b_eq: object | None = None,
                       *, tol: Tolerance | None = None) -> FarkasCertificate:
    """An exactly verified proof that ``{A x <= b, A_eq x = b_eq}`` is empty, if it is.

    Float multipliers come from HiGHS's dual ray of the feasibility LP and from a vertex
    of the alternative system ``y >= 0, yᵀA + zᵀA_eq = 0, yᵀb + zᵀb_eq = -1`` (min Σy);
    they are rationalised (bounded denominators), then repaired exactly on their support
    (python-flint ``fmpq_mat``), then verified in exact arithmetic.

    Returns
    -------
    FarkasCertificate
        ``verified`` is False (with a reason) if the system is feasible or no certificate
        could be confirmed; it is never True for a feasible system.

    Examples
    --------
    >>> c = farkas_certificate([[1.0, 1.0], [-1.0, 0.0], [0.0, -1.0]], [-0.5, 0.0, 0.0])
    >>> c.verified, c.value < 0
    (True, True)
    """
    t = resolve(tol)
    A, b, Ae, be = _prep(A, b, A_eq, b_eq)
    m, n = A.shape
    k = len(be)
    res = solve_lp(np.zeros(n), A, b, Ae if k else None, be if k else None, tol=t)
    guesses: list[tuple[np.ndarray, np.ndarray]] = []
    if res.status is LPStatus.INFEASIBLE and res.ray is not None:
        guesses.append((np.maximum(res.ray[:m], 0.0), res.ray[m:]))
    alt = _alternative_lp(A, b, Ae, be, t)
    if alt is not None:
        guesses.insert(0, alt)
    if not guesses:
        msg = "the system is feasible (float LP)" if res.optimal else "no float certificate found"
        return FarkasCertificate(tuple([Fraction(0)] * m), tuple([Fraction(0)] * k), None, False, msg, t)
    zero = [Fraction(0)] * n
    y, z, val, ok, msg = _certify(A, b, Ae, be, zero, Fraction(-1), guesses,
                                  lambda v: v is not None and v < 0, t)
    if not ok and res.optimal:
        msg = f"the system is feasible (float LP); {msg}"
    return FarkasCertificate(y, z, val, ok, msg, t)


def bound_certificate(c: object, A: object, b: object, bound: float | Fraction,
                      A_eq: object | None = None, b_eq: object | None = None, *,
                      tol: Tolerance | None = None) -> BoundCertificate:
    """An exactly verified proof that ``max c·x <= bound`` over ``{A x <= b, A_eq x = b_eq}``.

    The float optimal duals of ``max c·x`` are rationalised, repaired exactly so that
    ``yᵀA + y_eqᵀA_eq = c`` holds exactly (on their support), and checked:
    ``y >= 0`` and ``yᵀb + y_eqᵀb_eq <= bound``. An empty polyhedron gets a Farkas
    certificate instead (``kind="empty"``).

    Returns
    -------
    BoundCertificate
        ``verified`` False (with a reason) when the bound does not hold or could not be
        certified (e.g. the maximum equals the bound up to rounding and the rational
        dual overshoots).

    Examples
    --------
    >>> bound_certificate([1.0], [[1.0], [-1.0]], [2.0, 0.0], 2.5).verified
    True
    >>> bound_certificate([1.0], [[1.0], [-1.0]], [2.0, 0.0], 1.5).verified
    False
    """
    t = resolve(tol)
    A, b, Ae, be = _prep(A, b, A_eq, b_eq)
    m, n = A.shape
    k = len(be)
    cv = np.asarray(c, dtype=float).reshape(-1)
    if len(cv) != n or not np.isfinite(cv).all():
        raise ValueError(f"c must be a finite vector of length {n}; got shape {np.shape(c)}")
    bnd = bound if isinstance(bound, Fraction) else Fraction(float(bound))
    res = solve_lp(-cv, A, b, Ae if k else None, be if k else None, tol=t)
    zeros_y, zeros_z = tuple([Fraction(0)] * m), tuple([Fraction(0)] * k)
    if res.status is LPStatus.INFEASIBLE:
        f = farkas_certificate(A, b, Ae if k else None, be if k else None, tol=t)
        return BoundCertificate("empty", f.y, f.y_eq, f.value, bnd, f.verified,
                                "polyhedron is empty; " + f.message, t)
    if res.status is LPStatus.UNBOUNDED:
        return BoundCertificate("dual", zeros_y, zeros_z, None, bnd, False,
                                "c·x is unbounded above on the polyhedron", t)
    if not res.optimal:
        return BoundCertificate("dual", zeros_y, zeros_z, None, bnd, False,
                                f"LP failed: {res.message}", t)
    if -res.value > float(bnd) + t.feas_atol * (1 + abs(float(bnd))):
        return BoundCertificate("dual", zeros_y, zeros_z, None, bnd, False,
                                f"the maximum {-res.value!r} exceeds the bound", t)
    target = [Fraction(v) for v in cv.tolist()]
    y_f = np.maximum(res.dual, 0.0)
    z_f = res.dual_eq if res.dual_eq is not None else np.zeros(k)
    slack = b - A @ res.x
    scale = 1.0 + np.abs(A) @ np.abs(res.x) + np.abs(b)
    active = np.flatnonzero(slack <= 1e3 * t.feas_atol * scale)
    y, z, val, ok, msg = _certify(A, b, Ae, be, target, None, [(y_f, z_f)],
                                  lambda v: v is not None and v <= bnd, t, extra=active)
    return BoundCertificate("dual", y, z, val, bnd, ok, msg, t)


# --------------------------------------------------------------------- redundancy
@dataclass(frozen=True)
class RedundancyCertificate:
    """Exact proof that row ``row`` of ``A x <= b`` is redundant or irredundant.

    ``kind == "irredundant"``: ``witness`` satisfies every other row (``<=``, exactly) and
    violates row ``row`` (``>``, exactly), so dropping the row enlarges the polyhedron.
    ``kind == "redundant"``: ``y >= 0`` over the other rows (and ``y_eq``) with
    ``yᵀA_others + y_eqᵀA_eq = a_row`` and ``yᵀb_others + y_eqᵀb_eq <= b_row`` exactly, so
    the row is implied. ``kind == "undecided"``: neither could be confirmed (``verified``
    False).

    Examples
    --------
    >>> certify_redundancy([[1.0], [1.0], [-1.0]], [1.0, 2.0, 0.0], 1).kind
    'redundant'
    """

    row: int
    kind: str
    verified: bool
    witness: np.ndarray | None
    y: tuple[Fraction, ...]
    y_eq: tuple[Fraction, ...]
    message: str
    tol: Tolerance = field(repr=False)


def certify_redundancy(A: object, b: object, row: int, A_eq: object | None = None,
                       b_eq: object | None = None, *, tol: Tolerance | None = None
                       ) -> RedundancyCertificate:
    """Decide, with an exact certificate, whether row ``row`` of ``A x <= b`` is redundant.

    A float LP ``max s`` s.t. ``a_j x + s |a_j| <= b_j`` (j ≠ row), ``a_row x >= b_row + s |a_row|``
    proposes a witness point (when ``s > 0``); it is checked exactly. Otherwise the float
    duals of ``max a_row x`` over the other rows are turned into an exact
    :func:`bound_certificate` of ``max a_row x <= b_row``.

    Returns
    -------
    RedundancyCertificate

    Examples
    --------
    >>> c = certify_redundancy([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [1.0, 1.0, 0.0], 2)
    >>> c.kind, c.verified
    ('irredundant', True)
    """
    t = resolve(tol)
    A, b, Ae, be = _prep(A, b, A_eq, b_eq)
    m, n = A.shape
    k = len(be)
    if not 0 <= row < m:
        raise IndexError(f"row must be in [0, {m}); got {row}")
    others = np.array([j for j in range(m) if j != row], dtype=np.int64)
    a, bi = A[row], b[row]
    norms = np.linalg.norm(A, axis=1)
    # witness LP over (x, s)
    A_ub = np.vstack([np.hstack([A[others], norms[others, None]]),
                      np.hstack([-a, [norms[row]]])[None]])
    b_ub = np.concatenate([b[others], [-bi]])
    c = np.zeros(n + 1)
    c[-1] = -1.0
    res = solve_lp(c, A_ub, b_ub, np.hstack([Ae, np.zeros((k, 1))]) if k else None,
                   be if k else None, bounds=[(None, None)] * n + [(None, 1.0)], tol=t)
    empty = (tuple([Fraction(0)] * (m - 1)), tuple([Fraction(0)] * k))
    if res.optimal and res.x[-1] > 0:
        x = res.x[:n]
        ok = True
        if len(others):
            ok = exact_strictly_inside(A[others], b[others], x).min_slack >= 0
        ok = ok and exact_strictly_inside(-a[None], [-bi], x).inside
        if ok and k:
            ok = all(_exact_slack(r, e, x.tolist()) == 0 for r, e in zip(Ae.tolist(), be.tolist()))
        if ok:
            return RedundancyCertificate(row, "irredundant", True, x, *empty,
                                         "witness point checked exactly", t)
    bc = bound_certificate(a, A[others], b[others], Fraction(float(bi)),
                           Ae if k else None, be if k else None, tol=t)
    if bc.verified:
        return RedundancyCertificate(row, "redundant", True, None, bc.y, bc.y_eq,
                                     f"implied by the other rows ({bc.kind} certificate)", t)
    return RedundancyCertificate(row, "undecided", False, None, *empty,
                                 f"no exact certificate: {bc.message}", t)
