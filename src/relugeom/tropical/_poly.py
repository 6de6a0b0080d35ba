"""Tropical (max-plus) polynomials with real exponents: ``max_i (c_i + a_i·x)``."""

from __future__ import annotations

import logging
import time
from fractions import Fraction
from typing import Iterable, Sequence

import numpy as np

from .._tol import Tolerance, resolve
from .._validation import as_array, as_points
from ..errors import SolverError
from ._prune import PruneMethod, _robust_filter, dedup_terms, prune_terms, upper_hull

log = logging.getLogger(__name__)

__all__ = ["TropicalPolynomial", "to_fraction"]


def to_fraction(v: object) -> Fraction:
    """An exact rational from an int, float (its exact binary value), Fraction, str or fmpq.

    Examples
    --------
    >>> to_fraction(0.5), to_fraction("2/3"), to_fraction(3)
    (Fraction(1, 2), Fraction(2, 3), Fraction(3, 1))
    """
    if isinstance(v, Fraction):
        return v
    if isinstance(v, (int, np.integer)):
        return Fraction(int(v))
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            raise ValueError(f"cannot convert {v} to an exact rational")
        return Fraction(float(v))
    if isinstance(v, str):
        return Fraction(v)
    if hasattr(v, "p") and hasattr(v, "q"):  # flint fmpq
        return Fraction(int(v.p), int(v.q))
    raise TypeError(f"cannot convert {type(v).__name__} to an exact rational")


def _exact_array(a: object, ndim: int) -> np.ndarray:
    arr = np.asarray(a, dtype=object)
    if arr.ndim != ndim:
        raise ValueError(f"expected a {ndim}-dimensional array; got shape {arr.shape}")
    out = np.empty(arr.shape, dtype=object)
    flat_in, flat_out = arr.reshape(-1), out.reshape(-1)
    for k, v in enumerate(flat_in):
        flat_out[k] = to_fraction(v)
    return out


def _fmt(v: object) -> str:
    if isinstance(v, Fraction):
        return str(v)
    f = float(v)
    return f"{f:.6g}"


class TropicalPolynomial:
    r"""A tropical polynomial ``F(x) = ⊕_i c_i ⊙ x^{a_i} = max_i (c_i + a_i·x)`` on R^n.

    Exponent vectors ``a_i`` may be real (a "tropical signomial"). With ``exact=True``
    coefficients and exponents are stored as :class:`fractions.Fraction` (object arrays)
    and every operation stays exact; the decisions of :meth:`prune` use floating point with
    the tolerance policy (the kept terms are exact).

    Parameters
    ----------
    coefficients : array_like (m,)
        ``c_i``.
    exponents : array_like (m, n)
        ``a_i``, one per row.
    exact : bool
        Store exact rationals instead of floats.

    Notes
    -----
    Operators follow the max-plus semiring: ``F + G`` is ``F ⊕ G`` (max), ``F * G`` is
    ``F ⊙ G`` (sum, Minkowski sum of Newton polytopes), ``F ** t`` is ``t·F`` for real
    ``t >= 0``; a number ``s`` in ``F * s`` is the constant ``s``. The operators keep all
    terms (only equal exponents are merged); call :meth:`prune` to drop redundant terms.

    Examples
    --------
    >>> F = TropicalPolynomial([0.0, 0.0], [[3.0], [2.0]])       # max(3x, 2x)
    >>> F([[-1.0], [2.0]]).tolist()
    [-2.0, 6.0]
    >>> (F * TropicalPolynomial.constant(1.0, 1)).coefficients.tolist()
    [1.0, 1.0]
    >>> F.n_terms, F.n_vars
    (2, 1)
    """

    def __init__(self, coefficients: object, exponents: object, *, exact: bool = False):
        self.exact = bool(exact)
        if self.exact:
            c = _exact_array(coefficients, 1)
            A = _exact_array(exponents, 2)
            self._cf = c.astype(float)
            self._Af = A.astype(float).reshape(A.shape)
        else:
            c = as_array(coefficients, name="coefficients", ndim=1)
            A = as_array(exponents, name="exponents", ndim=2)
            self._cf, self._Af = c, A
        if A.shape[0] != c.shape[0]:
            raise ValueError(f"exponents must have one row per coefficient: {c.shape[0]} "
                             f"coefficients but exponents of shape {A.shape}")
        if c.shape[0] == 0:
            raise ValueError("a tropical polynomial needs at least one term")
        for arr in (c, A, self._cf, self._Af):
            arr.setflags(write=False)
        self.coefficients = c
        self.exponents = A

    # ------------------------------------------------------------ constructors
    @classmethod
    def constant(cls, value: object, n_vars: int, *, exact: bool = False) -> "TropicalPolynomial":
        """The constant ``value`` (the tropical one is ``constant(0, n)``).

        Examples
        --------
        >>> TropicalPolynomial.constant(2, 3)([0.0, 1.0, 2.0])
        2.0
        """
        return cls([value], np.zeros((1, n_vars), dtype=object if exact else float), exact=exact)

    @classmethod
    def variables(cls, n_vars: int, *, exact: bool = False) -> list["TropicalPolynomial"]:
        """The coordinate functions ``x_1, …, x_n`` as one-term polynomials.

        Examples
        --------
        >>> [v([3.0, 4.0]) for v in TropicalPolynomial.variables(2)]
        [3.0, 4.0]
        """
        eye = np.eye(n_vars, dtype=int)
        return [cls([0], eye[k:k + 1], exact=exact) for k in range(n_vars)]

    @classmethod
    def from_arrays(cls, A: np.ndarray, c: np.ndarray, *, exact: bool) -> "TropicalPolynomial":
        """Wrap checked arrays without copying or conversion (internal fast path).

        Examples
        --------
        >>> TropicalPolynomial.from_arrays(np.zeros((1, 1)), np.zeros(1), exact=False).n_terms
        1
        """
        obj = cls.__new__(cls)
        obj.exact = exact
        if exact:
            obj._cf = c.astype(float)
            obj._Af = A.astype(float).reshape(A.shape)
        else:
            obj._cf, obj._Af = c, A
        obj.coefficients, obj.exponents = c, A
        return obj

    # ------------------------------------------------------------------ basics
    @property
    def n_terms(self) -> int:
        """Number of terms."""
        return int(self.coefficients.shape[0])

    @property
    def n_vars(self) -> int:
        """Number of variables ``n``."""
        return int(self.exponents.shape[1])

    def float_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(exponents, coefficients)`` as float arrays.

        Examples
        --------
        >>> A, c = TropicalPolynomial(["1/2"], [[1]], exact=True).float_arrays(); c.tolist()
        [0.5]
        """
        return self._Af, self._cf

    def terms(self) -> list[tuple[object, tuple]]:
        """The terms as ``(coefficient, exponent tuple)`` pairs.

        Examples
        --------
        >>> TropicalPolynomial([1.0], [[2.0, 0.0]]).terms()
        [(1.0, (2.0, 0.0))]
        """
        if self.exact:
            return [(c, tuple(a)) for c, a in zip(self.coefficients, self.exponents)]
        return [(float(c), tuple(float(v) for v in a)) for c, a in zip(self.coefficients, self.exponents)]

    def __repr__(self) -> str:
        names = [f"x{k + 1}" for k in range(self.n_vars)] if self.n_vars > 1 else ["x"]
        parts = []
        for c, a in self.terms()[:8]:
            lin = " + ".join(f"{_fmt(v)}{nm}" for v, nm in zip(a, names) if v != 0)
            parts.append(f"{_fmt(c)}" + (f" + {lin}" if lin else ""))
        more = ", …" if self.n_terms > 8 else ""
        return f"TropicalPolynomial(max({', '.join(parts)}{more}); {self.n_terms} terms)"

    def to_exact(self) -> "TropicalPolynomial":
        """The same polynomial with exact rational storage.

        Examples
        --------
        >>> TropicalPolynomial([0.5], [[1.0]]).to_exact().coefficients.tolist()
        [Fraction(1, 2)]
        """
        if self.exact:
            return self
        return TropicalPolynomial(self.coefficients, self.exponents, exact=True)

    def to_float(self) -> "TropicalPolynomial":
        """The same polynomial with float storage.

        Examples
        --------
        >>> TropicalPolynomial(["1/4"], [[1]], exact=True).to_float().coefficients.tolist()
        [0.25]
        """
        return TropicalPolynomial.from_arrays(self._Af, self._cf, exact=False)

    # -------------------------------------------------------------- evaluation
    def values(self, x: object) -> np.ndarray:
        """All term values ``c_i + a_i·x`` at points ``x`` (n, n_vars): shape (n, m).

        Examples
        --------
        >>> TropicalPolynomial([0.0, 1.0], [[1.0], [0.0]]).values([[2.0]]).tolist()
        [[2.0, 1.0]]
        """
        X, _ = as_points(x, self.n_vars)
        return X @ self._Af.T + self._cf

    def __call__(self, x: object) -> np.ndarray | float:
        """Evaluate at points ``x`` of shape (n, n_vars) (or one point), in floating point.

        Examples
        --------
        >>> TropicalPolynomial([0.0, 1.0], [[1.0], [0.0]])([[0.0], [5.0]]).tolist()
        [1.0, 5.0]
        """
        X, single = as_points(x, self.n_vars)
        out = np.empty(len(X))
        step = max(1, 2_000_000 // max(1, self.n_terms))
        for s in range(0, len(X), step):
            out[s:s + step] = (X[s:s + step] @ self._Af.T + self._cf).max(axis=1)
        return float(out[0]) if single else out

    evaluate = __call__

    def argmax(self, x: object) -> np.ndarray:
        """Index of a maximal term at each point (the first one on ties).

        Examples
        --------
        >>> TropicalPolynomial([0.0, 1.0], [[1.0], [0.0]]).argmax([[0.0], [5.0]]).tolist()
        [1, 0]
        """
        return np.argmax(self.values(x), axis=1)

    def evaluate_exact(self, x: Sequence[object]) -> Fraction:
        """Evaluate at one point in exact rational arithmetic.

        Examples
        --------
        >>> TropicalPolynomial(["1/3", 0], [[0], [1]], exact=True).evaluate_exact([Fraction(1, 2)])
        Fraction(1, 2)
        """
        xs = [to_fraction(v) for v in x]
        if len(xs) != self.n_vars:
            raise ValueError(f"x must have {self.n_vars} entries; got {len(xs)}")
        C = self.coefficients if self.exact else [to_fraction(v) for v in self._cf]
        A = self.exponents if self.exact else [[to_fraction(v) for v in row] for row in self._Af]
        return max(c + sum((ai * xi for ai, xi in zip(a, xs)), Fraction(0)) for c, a in zip(C, A))

    # ---------------------------------------------------------------- algebra
    def _coerce(self, other: object) -> "TropicalPolynomial":
        if isinstance(other, TropicalPolynomial):
            if other.n_vars != self.n_vars:
                raise ValueError(f"polynomials in {self.n_vars} and {other.n_vars} variables do not combine")
            if other.exact != self.exact:
                return other.to_exact() if self.exact else other.to_float()
            return other
        if isinstance(other, (int, float, Fraction, np.integer, np.floating)):
            return TropicalPolynomial.constant(other, self.n_vars, exact=self.exact)
        raise TypeError(f"cannot combine a TropicalPolynomial with {type(other).__name__}")

    def _merged(self, A: np.ndarray, c: np.ndarray, Af: np.ndarray, cf: np.ndarray,
                tol: Tolerance | None) -> "TropicalPolynomial":
        keep = dedup_terms(Af, cf, tol=tol)
        if self.exact:
            return TropicalPolynomial.from_arrays(A[keep], c[keep], exact=True)
        return TropicalPolynomial.from_arrays(Af[keep], cf[keep], exact=False)

    def oplus(self, other: object, *, prune: bool = False, tol: Tolerance | None = None
              ) -> "TropicalPolynomial":
        """Tropical sum ``F ⊕ G = max(F, G)`` (union of terms).

        Examples
        --------
        >>> F = TropicalPolynomial([0.0], [[1.0]]).oplus(TropicalPolynomial([0.0], [[-1.0]]))
        >>> F([[-2.0], [3.0]]).tolist()
        [2.0, 3.0]
        """
        o = self._coerce(other)
        out = self._merged(np.concatenate([self.exponents, o.exponents]),
                           np.concatenate([self.coefficients, o.coefficients]),
                           np.concatenate([self._Af, o._Af]), np.concatenate([self._cf, o._cf]), tol)
        return out.prune(tol=tol) if prune else out

    def otimes(self, other: object, *, prune: bool = False, tol: Tolerance | None = None
               ) -> "TropicalPolynomial":
        """Tropical product ``F ⊙ G = F + G`` (Minkowski sum of the lifted terms).

        Examples
        --------
        >>> F = TropicalPolynomial([0.0, 0.0], [[1.0], [0.0]])           # max(x, 0)
        >>> (F.otimes(F)).n_terms, F.otimes(F, prune=True).n_terms
        (3, 2)
        """
        o = self._coerce(other)
        if prune:
            return _product_pruned(self, o, tol=tol)
        I, J = np.divmod(np.arange(self.n_terms * o.n_terms), o.n_terms)
        out = self._merged(self.exponents[I] + o.exponents[J], self.coefficients[I] + o.coefficients[J],
                           self._Af[I] + o._Af[J], self._cf[I] + o._cf[J], tol)
        return out.prune(tol=tol) if prune else out

    def power(self, t: object) -> "TropicalPolynomial":
        """Tropical power ``F^{⊙t} = t·F`` for a real ``t >= 0`` (``t = 0`` gives the constant 0).

        Examples
        --------
        >>> TropicalPolynomial([1.0], [[2.0]]).power(1.5).terms()
        [(1.5, (3.0,))]
        """
        if self.exact:
            tt = to_fraction(t)
        else:
            tt = float(t)
        if not tt >= 0:
            raise ValueError(f"tropical powers need a real exponent t >= 0; got {t}")
        if tt == 0:
            return TropicalPolynomial.constant(0, self.n_vars, exact=self.exact)
        return TropicalPolynomial.from_arrays(self.exponents * tt, self.coefficients * tt, exact=self.exact)

    __add__ = oplus
    __radd__ = oplus
    __mul__ = otimes
    __rmul__ = otimes

    def __pow__(self, t: object) -> "TropicalPolynomial":
        return self.power(t)

    # ----------------------------------------------------------------- pruning
    def nonredundant(self, *, method: PruneMethod | str = "auto", domain: object | None = None,
                     tol: Tolerance | None = None) -> np.ndarray:
        """Indices of the terms that are strictly maximal somewhere (in R^n or a domain).

        See :func:`relugeom.tropical.prune_terms` for the methods.

        Examples
        --------
        >>> TropicalPolynomial([0.0, 0.0, -1.0], [[1.0], [-1.0], [0.0]]).nonredundant().tolist()
        [0, 1]
        """
        return prune_terms(self._Af, self._cf, method=method, domain=domain, tol=tol)

    def prune(self, *, method: PruneMethod | str = "auto", domain: object | None = None,
              tol: Tolerance | None = None) -> "TropicalPolynomial":
        """The polynomial with its redundant terms removed (the same function on the domain).

        Examples
        --------
        >>> F = TropicalPolynomial([0.0, 0.0, -1.0], [[1.0], [-1.0], [0.0]]).prune()
        >>> F.n_terms
        2
        """
        keep = self.nonredundant(method=method, domain=domain, tol=tol)
        return TropicalPolynomial.from_arrays(self.exponents[keep], self.coefficients[keep], exact=self.exact)

    # ---------------------------------------------------------------- geometry
    def newton_polytope(self) -> np.ndarray:
        """Vertices of the Newton polytope ``conv{a_i}`` (float array, one per row).

        Examples
        --------
        >>> TropicalPolynomial([0.0, 5.0, 0.0], [[0.0], [1.0], [2.0]]).newton_polytope().tolist()
        [[0.0], [2.0]]
        """
        from ._geometry import newton_polytope

        return newton_polytope(self)

    def lifted_newton_polytope(self, *, tol: Tolerance | None = None) -> np.ndarray:
        """Vertices ``(a_i, c_i)`` of the upper hull of the lifted Newton polytope.

        These are the lifted points of the non-redundant terms.

        Examples
        --------
        >>> TropicalPolynomial([0.0, 5.0, 0.0], [[0.0], [1.0], [2.0]]).lifted_newton_polytope().tolist()
        [[0.0, 0.0], [1.0, 5.0], [2.0, 0.0]]
        """
        keep = self.nonredundant(tol=tol)
        return np.column_stack([self._Af[keep], self._cf[keep]])

    def dual_subdivision(self, *, tol: Tolerance | None = None):
        """The regular subdivision of the Newton polytope induced by the coefficients.

        See :func:`relugeom.tropical.dual_subdivision`.

        Examples
        --------
        >>> len(TropicalPolynomial([0.0, 1.0, 0.0], [[0.0], [1.0], [2.0]]).dual_subdivision().cells)
        2
        """
        from ._geometry import dual_subdivision

        return dual_subdivision(self, tol=tol)

    def hypersurface(self, domain: object | None = None, *, tol: Tolerance | None = None):
        """The tropical hypersurface (where the max is attained at least twice).

        See :func:`relugeom.tropical.tropical_hypersurface`.

        Examples
        --------
        >>> TropicalPolynomial([0.0, 0.0], [[1.0], [0.0]]).hypersurface().n_cells
        1
        """
        from ._geometry import tropical_hypersurface

        return tropical_hypersurface(self, domain, tol=tol)

    # ------------------------------------------------------------- conversion
    def to_dict(self) -> dict:
        """JSON-ready dict; exact values are strings such as ``"3/2"``.

        Examples
        --------
        >>> TropicalPolynomial([1], [[2]], exact=True).to_dict()
        {'n_vars': 1, 'exact': True, 'coefficients': ['1'], 'exponents': [['2']]}
        """
        if self.exact:
            return {"n_vars": self.n_vars, "exact": True,
                    "coefficients": [str(v) for v in self.coefficients],
                    "exponents": [[str(v) for v in row] for row in self.exponents]}
        return {"n_vars": self.n_vars, "exact": False,
                "coefficients": self._cf.tolist(), "exponents": self._Af.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "TropicalPolynomial":
        """Inverse of :meth:`to_dict`.

        Examples
        --------
        >>> TropicalPolynomial.from_dict(TropicalPolynomial([1.0], [[2.0]]).to_dict()).terms()
        [(1.0, (2.0,))]
        """
        try:
            exact = bool(data.get("exact", False))
            A = data["exponents"]
            if len(A) == 0:
                raise ValueError("no terms")
            return cls(data["coefficients"], A, exact=exact)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed tropical polynomial dict: {exc}") from None

    def to_network(self):
        """A ReLU network computing this polynomial (a tree of ``max(u, v) = v + relu(u − v)``).

        Examples
        --------
        >>> F = TropicalPolynomial([0.0, 0.0, 1.0], [[1.0], [-1.0], [0.0]])
        >>> F.to_network()([[-3.0], [0.5], [2.0]]).ravel().tolist()
        [3.0, 1.0, 2.0]
        """
        from ._convert import polynomial_to_network

        return polynomial_to_network(self)


_EXPAND_MIN = 500_000  # products with more candidate pairs use the adjacency expansion


def _adjacency(poly: TropicalPolynomial, tol: Tolerance | None) -> tuple[list[np.ndarray], np.ndarray]:
    """Neighbours of each term on the upper hull (terms sharing an upper facet), cached.

    Also returns the vertices of the tropical hypersurface (one point per upper facet).
    """
    adj = poly.__dict__.get("_adj")
    if adj is None:
        A, c = poly.float_arrays()
        _, facets, xs = upper_hull(A, c, tol=tol)
        nb: list[set[int]] = [set() for _ in range(poly.n_terms)]
        for f in facets:
            fl = [int(v) for v in f]
            for i in fl:
                nb[i].update(fl)
        adj = ([np.array(sorted(s - {i}), dtype=np.int64) for i, s in enumerate(nb)], xs)
        poly.__dict__["_adj"] = adj
    return adj


def _minkowski_expand(P: TropicalPolynomial, Q: TropicalPolynomial, tol: Tolerance | None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Vertex pairs of the upper hull of ``P ⊙ Q`` without forming all ``m_P · m_Q`` pairs.

    The vertices of a Minkowski sum form a connected graph whose edges move one summand
    along an edge (or both along parallel edges, through a boundary point). Starting from the
    pairs maximal at the hypersurface vertices of P and Q, candidate pairs are closed under
    "move one factor to a neighbour" from every vertex and upper-boundary point of the
    current candidates' hull until nothing new appears; then the candidates contain every
    vertex of the sum, and the hull of the candidates is the hull of the sum.
    """
    Af, cf = P.float_arrays()
    Bf, df = Q.float_arrays()
    mq = len(df)
    adjP, xP = _adjacency(P, tol)
    adjQ, xQ = _adjacency(Q, tol)
    rng = np.random.default_rng(0)
    X = np.vstack([xP, xQ]).reshape(-1, Af.shape[1])
    if len(X):
        spread = float(np.abs(X).max()) + 1.0
        X = np.vstack([X, X + rng.normal(scale=1e-3 * spread, size=X.shape),
                       rng.normal(scale=spread, size=(64, X.shape[1]))])
    else:
        X = rng.normal(size=(64, Af.shape[1]))
    seeds = np.unique(np.argmax(X @ Af.T + cf, axis=1) * mq + np.argmax(X @ Bf.T + df, axis=1))

    def neighbours(codes: np.ndarray) -> np.ndarray:
        I, J = np.divmod(codes, mq)
        parts = [codes]
        for i, j in zip(I.tolist(), J.tolist()):
            parts.append(adjP[i] * mq + j)
            parts.append(i * mq + adjQ[j])
        return np.unique(np.concatenate(parts))

    C = neighbours(seeds)
    expanded = np.zeros(0, np.int64)
    while True:
        I, J = np.divmod(C, mq)
        A, c = Af[I] + Bf[J], cf[I] + df[J]
        keep = dedup_terms(A, c, tol=tol)
        bnd: list[int] = []
        v, facets, xs = upper_hull(A[keep], c[keep], tol=tol, boundary=bnd)
        verts = C[keep[v]]
        front = np.setdiff1d(np.union1d(verts, C[keep[np.asarray(bnd, dtype=np.int64)]]), expanded)
        new = np.setdiff1d(neighbours(front), C)
        expanded = np.union1d(expanded, front)
        if len(new) == 0:
            v = _robust_filter(A[keep], c[keep], v, facets, xs, resolve(tol), rng)
            return np.divmod(np.sort(C[keep[v]]), mq)
        C = np.union1d(C, new)


def _product_pruned(P: TropicalPolynomial, Q: TropicalPolynomial, *, tol: Tolerance | None = None,
                    method: PruneMethod | str = PruneMethod.AUTO, return_pairs: bool = False):
    """``P ⊙ Q`` with redundant terms removed, without forming exact candidates.

    With ``return_pairs`` also the indices (I, J) of the P- and Q-term of each kept term.
    """
    method = PruneMethod(method)
    Af, cf = P.float_arrays()
    Bf, df = Q.float_arrays()
    mp, mq = len(cf), len(df)
    done = False
    if mp * mq > _EXPAND_MIN and method is PruneMethod.AUTO:
        try:
            Pp, Qp = P.prune(tol=tol), Q.prune(tol=tol)
            if Pp.n_terms == mp and Qp.n_terms == mq:
                I, J = _minkowski_expand(P, Q, tol)
                done = True
        except SolverError as exc:
            log.debug("Minkowski expansion unavailable (%s)", exc)
    if not done:
        I, J = np.divmod(np.arange(mp * mq), mq)
        keep = prune_terms(Af[I] + Bf[J], cf[I] + df[J], method=method, tol=tol)
        I, J = I[keep], J[keep]
    if P.exact:
        out = TropicalPolynomial.from_arrays(P.exponents[I] + Q.exponents[J],
                                             P.coefficients[I] + Q.coefficients[J], exact=True)
    else:
        out = TropicalPolynomial.from_arrays(Af[I] + Bf[J], cf[I] + df[J], exact=False)
    return (out, I, J) if return_pairs else out


def product(factors: Iterable[TropicalPolynomial], n_vars: int, *, exact: bool = False,
            tol: Tolerance | None = None, method: PruneMethod | str = PruneMethod.AUTO,
            deadline: float | None = None) -> TropicalPolynomial:
    """``⨀_k P_k`` with pruning after every step (balanced, smallest factors first).

    Examples
    --------
    >>> F = TropicalPolynomial([0.0, 0.0], [[1.0], [0.0]])
    >>> product([F, F, F], 1).n_terms
    2
    """
    fs = [f for f in factors]
    if not fs:
        return TropicalPolynomial.constant(0, n_vars, exact=exact)
    if len(fs) == 1:
        return fs[0].prune(tol=tol, method=method)
    while len(fs) > 1:
        if deadline is not None and time.perf_counter() > deadline:
            raise TimeoutError("tropical product: deadline passed")
        fs.sort(key=lambda f: f.n_terms)
        a, b = fs.pop(0), fs.pop(0)
        fs.append(_product_pruned(a, b, tol=tol, method=method))
    return fs[0]
