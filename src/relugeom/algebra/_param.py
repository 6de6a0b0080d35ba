"""Polynomial parametrizations: the input of implicitization.

A *parametrization* is a polynomial map ``φ : K^n -> K^m``, ``θ ↦ (f_1(θ), …, f_m(θ))``
with rational coefficients. :class:`Parametrization` is the interface the implicitization
engine (:func:`relugeom.algebra.implicitize`) consumes; :class:`PolynomialParametrization`
builds one from user polynomials. Subclasses (the ReLU pattern maps of
:mod:`relugeom.patterns`) override the evaluators with fast specialised code and may
supply their grading directly.

The contract
------------
``n_params``, ``n_outputs``, ``param_names``, ``output_names``
    Sizes and variable names (output names are the variables of the invariants).
``evaluate(theta)``
    float, ``(n, n_params) -> (n, n_outputs)``, batched.
``evaluate_mod_p(theta, p)``
    int64 in ``[0, p)``, ``(n, n_params) -> (n, n_outputs)``, batched, for a prime
    ``p < 2**31`` (products of two residues stay below ``2**62``).
``evaluate_exact(theta)``
    one rational point (a sequence of :class:`fractions.Fraction`) -> list of Fractions.
``jacobian(theta)`` / ``jacobian_mod_p(theta, p)``
    ``(n_outputs, n_params)`` at one point, float / int64 mod ``p``.
``polynomials()``
    the coordinate functions as python-flint ``fmpq_mpoly`` in the ring of ``param_names``.
``output_exponents()``
    per output the ``(n_terms, n_params)`` exponent matrix of its support.
``homogeneous``
    True when the ideal of the image is homogeneous for the standard grading of the output
    variables (e.g. every non-zero output is homogeneous of one common degree ``>= 1``).
``grading()``
    an integer matrix ``G`` of shape ``(n_outputs, r)``: output ``i`` has multidegree
    ``G[i]``; the image is invariant under the torus action ``y_i ↦ t^{G[i]} y_i``, so the
    ideal of the image is ``Z^r``-graded and every graded piece can be computed on its own.

Only :meth:`Parametrization.polynomials` (or the private term table) is needed by the
default implementations; everything else is derived from it.

Examples
--------
>>> phi = PolynomialParametrization(["s^3", "s^2*t", "s*t^2", "t^3"], params=["s", "t"])
>>> phi.n_params, phi.n_outputs, phi.homogeneous
(2, 4, True)
>>> phi.evaluate([[1.0, 2.0]])
array([[1., 2., 4., 8.]])
>>> phi.evaluate_mod_p(np.array([[1, 2]]), 7)
array([[1, 2, 4, 1]])
>>> phi.grading()
array([[3, 0],
       [2, 1],
       [1, 2],
       [0, 3]])
"""

from __future__ import annotations

import logging
from fractions import Fraction
from functools import cached_property
from typing import Any, Sequence

import numpy as np

from .._validation import as_points

log = logging.getLogger(__name__)

__all__ = ["Parametrization", "PolynomialParametrization"]


# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------


def _fraction_mod_p(c: Fraction, p: int) -> int:
    """``c`` as a residue mod ``p``; raises ZeroDivisionError when ``p`` divides the denominator."""
    den = c.denominator % p
    if den == 0:
        raise ZeroDivisionError(f"prime {p} divides the denominator of {c}")
    return (c.numerator % p) * pow(den, -1, p) % p


def _as_int_points(theta: Any, n: int, p: int, name: str = "theta") -> tuple[np.ndarray, bool]:
    """Residues of ``theta`` as an int64 ``(k, n)`` array in ``[0, p)``; flag whether 1-D."""
    arr = np.asarray(theta)
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != n:
        raise ValueError(f"{name} must have shape (k, {n}); got {np.shape(theta)}")
    if arr.dtype == object:
        arr = np.array([[int(v) % p for v in row] for row in arr], dtype=np.int64)
    else:
        arr = np.mod(arr.astype(np.int64), p)
    return arr, single


class _TermTable:
    """All outputs as one table: distinct monomials ``E`` (T, n) and per-output term lists.

    ``rows[i]`` are indices into ``E`` and ``coeffs[i]`` the matching Fractions.
    """

    def __init__(self, exps: list[np.ndarray], coeffs: list[list[Fraction]], n: int) -> None:
        index: dict[tuple[int, ...], int] = {}
        rows: list[np.ndarray] = []
        for e in exps:
            r = []
            for row in np.asarray(e, dtype=np.int64).reshape(-1, n):
                key = tuple(int(v) for v in row)
                if key not in index:
                    index[key] = len(index)
                r.append(index[key])
            rows.append(np.asarray(r, dtype=np.int64))
        self.n = n
        self.E = (np.array(list(index), dtype=np.int64).reshape(len(index), n))
        self.rows = rows
        self.coeffs = [list(c) for c in coeffs]
        self.fcoeffs = [np.array([float(c) for c in cs], dtype=np.float64) for cs in coeffs]
        self._mod_cache: dict[int, list[np.ndarray]] = {}

    @property
    def max_exp(self) -> int:
        return int(self.E.max()) if self.E.size else 0

    def coeffs_mod(self, p: int) -> list[np.ndarray]:
        if p not in self._mod_cache:
            self._mod_cache[p] = [
                np.array([_fraction_mod_p(c, p) for c in cs], dtype=np.int64) for cs in self.coeffs
            ]
        return self._mod_cache[p]

    def monomials_float(self, x: np.ndarray) -> np.ndarray:
        out = np.ones((x.shape[0], self.E.shape[0]))
        for j in range(self.n):
            col = self.E[:, j]
            if col.any():
                out *= x[:, j : j + 1] ** col[None, :]
        return out

    def monomials_mod(self, x: np.ndarray, p: int) -> np.ndarray:
        k = x.shape[0]
        out = np.ones((k, self.E.shape[0]), dtype=np.int64)
        for j in range(self.n):
            col = self.E[:, j]
            top = int(col.max()) if col.size else 0
            if top == 0:
                continue
            powers = np.empty((top + 1, k), dtype=np.int64)
            powers[0] = 1
            for e in range(1, top + 1):
                powers[e] = powers[e - 1] * x[:, j] % p
            out = out * powers[col].T % p
        return out

    def eval_float(self, x: np.ndarray) -> np.ndarray:
        V = self.monomials_float(x)
        out = np.zeros((x.shape[0], len(self.rows)))
        for i, (r, c) in enumerate(zip(self.rows, self.fcoeffs)):
            if r.size:
                out[:, i] = V[:, r] @ c
        return out

    def eval_mod(self, x: np.ndarray, p: int) -> np.ndarray:
        V = self.monomials_mod(x, p)
        cm = self.coeffs_mod(p)
        out = np.zeros((x.shape[0], len(self.rows)), dtype=np.int64)
        for i, (r, c) in enumerate(zip(self.rows, cm)):
            if r.size:
                out[:, i] = (V[:, r] * c[None, :] % p).sum(axis=1) % p
        return out

    def derivative(self, j: int) -> "_TermTable":
        exps, coeffs = [], []
        for r, cs in zip(self.rows, self.coeffs):
            E = self.E[r]
            keep = E[:, j] > 0
            Ej = E[keep].copy()
            cj = [c * int(E[t, j]) for t, c in zip(np.flatnonzero(keep), np.asarray(cs, dtype=object)[keep])]
            Ej[:, j] -= 1
            exps.append(Ej)
            coeffs.append(cj)
        return _TermTable(exps, coeffs, self.n)


# --------------------------------------------------------------------------------------
# the interface
# --------------------------------------------------------------------------------------


class Parametrization:
    """A polynomial map ``θ ↦ (f_1(θ), …, f_m(θ))`` with rational coefficients.

    The base class implements every method from a table of exponent vectors and rational
    coefficients obtained from :meth:`polynomials`; subclasses must set ``n_params``,
    ``n_outputs``, ``param_names``, ``output_names`` and override :meth:`polynomials` (or
    ``_term_data``), and may override any evaluator with faster code and :meth:`grading`
    with a known grading. Overrides must agree with :meth:`polynomials` (the exact
    certificates substitute into it).

    Examples
    --------
    >>> class Square(Parametrization):
    ...     n_params, n_outputs = 1, 2
    ...     param_names, output_names = ("t",), ("y1", "y2")
    ...     def polynomials(self):
    ...         import flint
    ...         ctx = flint.fmpq_mpoly_ctx.get(("t",), "degrevlex")
    ...         (t,) = ctx.gens()
    ...         return [t, t**2]
    >>> sq = Square()
    >>> sq.evaluate([[3.0]])
    array([[3., 9.]])
    >>> sq.homogeneous, sq.grading().tolist()
    (False, [[1], [2]])
    """

    n_params: int
    n_outputs: int
    param_names: tuple[str, ...]
    output_names: tuple[str, ...]

    # ---- the data everything defaults to -------------------------------------------
    def _term_data(self) -> tuple[list[np.ndarray], list[list[Fraction]]]:
        """Per output: the exponent matrix ``(t, n_params)`` and the list of Fraction coefficients.

        Examples
        --------
        >>> e, c = PolynomialParametrization(["a*b - 2"])._term_data()
        >>> e[0].tolist(), c[0]
        ([[1, 1], [0, 0]], [Fraction(1, 1), Fraction(-2, 1)])
        """
        exps, coeffs = [], []
        for f in self.polynomials():
            d = f.to_dict()
            keys = list(d)
            exps.append(np.array(keys, dtype=np.int64).reshape(len(keys), self.n_params))
            coeffs.append([Fraction(int(d[k].p), int(d[k].q)) for k in keys])
        return exps, coeffs

    @cached_property
    def _table(self) -> _TermTable:
        exps, coeffs = self._term_data()
        return _TermTable(exps, coeffs, self.n_params)

    @cached_property
    def _dtables(self) -> list[_TermTable]:
        return [self._table.derivative(j) for j in range(self.n_params)]

    # ---- evaluators --------------------------------------------------------------------
    def evaluate(self, theta: np.ndarray) -> np.ndarray:
        """Evaluate in floating point.

        Parameters
        ----------
        theta : array_like, shape (n, n_params) or (n_params,)

        Returns
        -------
        numpy.ndarray, shape (n, n_outputs) (or (n_outputs,) for one point)

        Examples
        --------
        >>> PolynomialParametrization(["a*b", "a^2"]).evaluate([[2.0, 3.0], [1.0, 1.0]])
        array([[6., 4.],
               [1., 1.]])
        """
        x, single = as_points(theta, self.n_params, name="theta")
        out = self._table.eval_float(x)
        return out[0] if single else out

    def evaluate_mod_p(self, theta: np.ndarray, p: int) -> np.ndarray:
        """Evaluate over ``Z/p`` (batched, vectorized).

        Parameters
        ----------
        theta : array_like of int, shape (n, n_params)
            Residues (any integers; reduced mod ``p``).
        p : int
            A prime below ``2**31``.

        Returns
        -------
        numpy.ndarray of int64, shape (n, n_outputs), entries in ``[0, p)``.

        Examples
        --------
        >>> PolynomialParametrization(["a*b/2", "a^2"]).evaluate_mod_p(np.array([[3, 4]]), 11)
        array([[6, 9]])
        """
        x, single = _as_int_points(theta, self.n_params, p)
        out = self._table.eval_mod(x, p)
        return out[0] if single else out

    def evaluate_exact(self, theta: Sequence[Any]) -> list[Fraction]:
        """Evaluate at one rational point, exactly.

        Examples
        --------
        >>> PolynomialParametrization(["a*b", "a - b/3"]).evaluate_exact([Fraction(1, 2), 3])
        [Fraction(3, 2), Fraction(-1, 2)]
        """
        if len(theta) != self.n_params:
            raise ValueError(f"theta must have {self.n_params} entries; got {len(theta)}")
        x = [Fraction(v) for v in theta]
        t = self._table
        mons = []
        for row in t.E:
            v = Fraction(1)
            for j, e in enumerate(row):
                if e:
                    v *= x[j] ** int(e)
            mons.append(v)
        return [sum((c * mons[r] for r, c in zip(rows, cs)), Fraction(0))
                for rows, cs in zip(t.rows, t.coeffs)]

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        """The Jacobian ``(∂f_i/∂θ_j)`` at one point, float, shape (n_outputs, n_params).

        Examples
        --------
        >>> PolynomialParametrization(["a*b", "a^2"]).jacobian([2.0, 3.0])
        array([[3., 2.],
               [4., 0.]])
        """
        x, _ = as_points(np.asarray(theta, dtype=np.float64).reshape(-1), self.n_params, name="theta")
        return np.stack([d.eval_float(x)[0] for d in self._dtables], axis=1).reshape(
            self.n_outputs, self.n_params)

    def jacobian_mod_p(self, theta: np.ndarray, p: int) -> np.ndarray:
        """The Jacobian at one point over ``Z/p``, int64, shape (n_outputs, n_params).

        Examples
        --------
        >>> PolynomialParametrization(["a*b", "a^2"]).jacobian_mod_p(np.array([2, 3]), 5)
        array([[3, 2],
               [4, 0]])
        """
        x, _ = _as_int_points(np.asarray(theta).reshape(-1), self.n_params, p)
        return np.stack([d.eval_mod(x, p)[0] for d in self._dtables], axis=1).reshape(
            self.n_outputs, self.n_params)

    # ---- symbolic ----------------------------------------------------------------------
    def polynomials(self) -> list:
        """The coordinate functions as python-flint ``fmpq_mpoly`` in the ring of ``param_names``.

        Examples
        --------
        >>> [str(f) for f in PolynomialParametrization(["a*b", "a^2 - 1"]).polynomials()]
        ['a*b', 'a^2 - 1']
        """
        raise NotImplementedError(f"{type(self).__name__} must implement polynomials()")

    def output_exponents(self) -> list[np.ndarray]:
        """Per output, its support: the ``(n_terms, n_params)`` exponent matrix.

        Examples
        --------
        >>> PolynomialParametrization(["a*b + b^2"]).output_exponents()[0].tolist()
        [[1, 1], [0, 2]]
        """
        t = self._table
        return [t.E[r] for r in t.rows]

    @cached_property
    def homogeneous(self) -> bool:
        """Whether the ideal of the image is homogeneous in the standard grading.

        True when the all-ones vector is a rational combination of the columns of
        :meth:`grading` (then every graded piece has one total degree); in particular
        when all non-zero outputs are homogeneous of one common degree ``>= 1``.

        Examples
        --------
        >>> PolynomialParametrization(["a*b", "a^2"]).homogeneous
        True
        >>> PolynomialParametrization(["a", "a^2"]).homogeneous
        False
        """
        G = np.asarray(self.grading(), dtype=np.float64)
        if G.shape[1] == 0:
            return False
        ones = np.ones(self.n_outputs)
        sol, *_ = np.linalg.lstsq(G, ones, rcond=None)
        if not np.allclose(G @ sol, ones, atol=1e-9):
            return False
        return bool(_in_rational_span(np.asarray(self.grading()), ones))

    def grading(self) -> np.ndarray:
        """The multidegrees of the outputs for the largest torus acting on the parameters.

        A weight vector ``a ∈ Z^{n_params}`` (``θ_j ↦ s^{a_j} θ_j``) is admissible when
        every output is homogeneous for it; the output then scales by ``s^{⟨a, e⟩}`` (``e``
        any exponent vector of its support). The columns of the returned matrix are the
        output weights of a basis of the admissible lattice, with dependent columns
        dropped. Zero outputs (any weight is valid for them) get the row of the first
        non-zero output.

        Returns
        -------
        numpy.ndarray of int64, shape (n_outputs, r)

        Examples
        --------
        >>> PolynomialParametrization(["a*b", "a*c"]).grading().tolist()
        [[1, 1], [1, 0]]
        >>> PolynomialParametrization(["a + 1"]).grading().shape
        (1, 0)
        """
        return _torus_grading(self.output_exponents(), self.n_params)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(n_params={self.n_params}, n_outputs={self.n_outputs}, "
                f"homogeneous={self.homogeneous})")


def _in_rational_span(G: np.ndarray, v: np.ndarray) -> bool:
    """Exact test that ``v`` is in the rational column span of the integer matrix ``G``."""
    import flint

    m, r = G.shape
    if r == 0:
        return not np.any(v)
    A = flint.fmpq_mat(m, r, [int(x) for x in G.reshape(-1)])
    B = flint.fmpq_mat(m, r + 1, [int(x) for x in np.hstack([G, np.asarray(v).reshape(-1, 1)]).reshape(-1)])
    return A.rank() == B.rank()


def _integer_kernel(D: np.ndarray, n: int) -> np.ndarray:
    """A basis (columns) of the rational kernel of ``D`` scaled to primitive integer vectors."""
    import flint

    if D.shape[0] == 0:
        return np.eye(n, dtype=np.int64)
    M = flint.fmpq_mat(D.shape[0], n, [int(x) for x in D.reshape(-1)])
    R, rank = M.rref()
    pivots = []
    row = 0
    for c in range(n):
        if row < rank and R[row, c] != 0:
            pivots.append(c)
            row += 1
    free = [c for c in range(n) if c not in pivots]
    basis = []
    for f in free:
        v = [Fraction(0)] * n
        v[f] = Fraction(1)
        for i, pc in enumerate(pivots):
            q = R[i, f]
            v[pc] = -Fraction(int(q.p), int(q.q))
        den = 1
        for x in v:
            den = den * x.denominator // np.gcd(den, x.denominator)
        iv = [int(x * den) for x in v]
        g = 0
        for x in iv:
            g = int(np.gcd(g, abs(x)))
        basis.append([x // g for x in iv])
    if not basis:
        return np.zeros((n, 0), dtype=np.int64)
    return np.array(basis, dtype=np.int64).T


def _torus_grading(supports: list[np.ndarray], n: int) -> np.ndarray:
    diffs = []
    reps = []
    for S in supports:
        S = np.asarray(S, dtype=np.int64).reshape(-1, n)
        if S.shape[0] == 0:
            reps.append(None)
            continue
        reps.append(S[0])
        for row in S[1:]:
            diffs.append(row - S[0])
    D = np.array(diffs, dtype=np.int64).reshape(len(diffs), n)
    A = _integer_kernel(D, n)  # (n, k)
    m = len(supports)
    G = np.zeros((m, A.shape[1]), dtype=np.int64)
    for i, e in enumerate(reps):
        if e is not None:
            G[i] = e @ A
    # zero outputs: copy the row of a non-zero output with the largest total degree
    nonzero = [i for i, e in enumerate(reps) if e is not None]
    for i, e in enumerate(reps):
        if e is None and nonzero:
            G[i] = G[nonzero[0]]
    # drop dependent columns (greedy), keep the partition of monomials unchanged
    keep: list[int] = []
    for c in range(G.shape[1]):
        trial = G[:, keep + [c]].astype(np.float64)
        if np.linalg.matrix_rank(trial) == len(keep) + 1:
            keep.append(c)
    G = G[:, keep]
    # make columns point "positive" (first non-zero entry positive) for readability
    for c in range(G.shape[1]):
        nz = np.flatnonzero(G[:, c])
        if nz.size and G[nz[0], c] < 0:
            G[:, c] = -G[:, c]
    return G


# --------------------------------------------------------------------------------------
# user polynomials
# --------------------------------------------------------------------------------------


def _is_sympy(f: Any) -> bool:
    return type(f).__module__.split(".")[0] == "sympy" and hasattr(f, "free_symbols")


def _as_parsed(f: Any, variables: Sequence[str] | None, what: str):
    """One user polynomial as a :class:`~relugeom.algebra._parse.ParsedPolynomial`.

    Strings go through :func:`relugeom.algebra._parse.parse_polynomial` (never through
    sympy); sympy expressions built by the caller are converted with ``sympy.Poly``;
    ``fmpq_mpoly`` and numbers are read directly.
    """
    import math
    import numbers

    from relugeom.algebra._parse import ParsedPolynomial, parse_polynomial
    from relugeom.errors import ParseError

    if isinstance(f, str):
        return parse_polynomial(f, variables, what=what)
    if isinstance(f, ParsedPolynomial):
        p = f
    elif type(f).__name__ == "fmpq_mpoly":
        names = tuple(f.context().names())
        p = ParsedPolynomial({tuple((n, int(e)) for n, e in zip(names, k) if e):
                              Fraction(int(c.p), int(c.q)) for k, c in f.to_dict().items()})
    elif _is_sympy(f):
        import sympy

        gens = [sympy.Symbol(n) for n in (variables if variables is not None
                                          else sorted(str(s) for s in f.free_symbols))]
        try:
            P = sympy.Poly(sympy.expand(f), *gens, domain="QQ") if gens else None
            terms = P.terms() if P is not None else [((), sympy.Rational(f))]
        except Exception as exc:  # sympy raises many types
            raise ParseError(f"{what} ({f}) is not a polynomial with rational coefficients"
                             f"{'' if variables is None else ' in ' + str(tuple(variables))}: {exc}") from None
        p = ParsedPolynomial({tuple((str(g), int(e)) for g, e in zip(gens, k) if e):
                              Fraction(int(c.p), int(c.q)) for k, c in terms if c != 0})
    elif isinstance(f, numbers.Rational) and not isinstance(f, bool):
        c = Fraction(int(f.numerator), int(f.denominator))
        p = ParsedPolynomial({(): c} if c else {})
    elif isinstance(f, numbers.Real) and not isinstance(f, bool) and math.isfinite(float(f)):
        c = Fraction(repr(float(f)))
        p = ParsedPolynomial({(): c} if c else {})
    else:
        raise TypeError(f"{what} must be a string, a number, a sympy expression or an fmpq_mpoly; "
                        f"got {type(f).__name__}")
    if variables is not None:
        extra = [n for n in p.variables if n not in set(variables)]
        if extra:
            raise ParseError(f"{what} ({p}) is not a polynomial in {tuple(variables)}: unknown variable "
                             f"{extra[0]!r}")
    return p


def _variables_of(f: Any) -> set[str]:
    """The variable names of a user polynomial (the ring's names for ``fmpq_mpoly``).

    Examples
    --------
    >>> sorted(_variables_of("b*a - a*b + c"))
    ['c']
    """
    if type(f).__name__ == "fmpq_mpoly":
        return set(f.context().names())
    return set(_as_parsed(f, None, "polynomial").variables)


def _parse_polys(polys: Sequence[Any], params: Sequence[str] | None):
    """Turn strings / sympy expressions / fmpq_mpoly into (param names, term data).

    Strings are read by :func:`relugeom.algebra._parse.parse_polynomial`: no code is run.
    """
    polys = list(polys)
    if not polys:
        raise ValueError("polys must contain at least one polynomial")
    flint_in = [type(f).__name__ == "fmpq_mpoly" for f in polys]
    if all(flint_in):
        names = tuple(polys[0].context().names())
        if params is not None and tuple(params) != names:
            raise ValueError(f"params {tuple(params)} differ from the fmpq_mpoly ring {names}")
        exps, coeffs = [], []
        for f in polys:
            if tuple(f.context().names()) != names:
                raise ValueError("all fmpq_mpoly inputs must live in one ring")
            d = f.to_dict()
            keys = list(d)
            exps.append(np.array(keys, dtype=np.int64).reshape(len(keys), len(names)))
            coeffs.append([Fraction(int(d[k].p), int(d[k].q)) for k in keys])
        return names, exps, coeffs

    given = None if params is None else tuple(str(s) for s in params)
    parsed = [_as_parsed(f, given, f"polynomial {i}") for i, f in enumerate(polys)]
    if given is None:
        names = tuple(sorted(set().union(*(p.variables for p in parsed))))
    else:
        names = given
    if not names:
        raise ValueError("the parametrization has no parameters")
    exps, coeffs = [], []
    for p in parsed:
        E, cs = p.exponents(names)
        exps.append(E)
        coeffs.append(cs)
    return names, exps, coeffs


class PolynomialParametrization(Parametrization):
    """A parametrization given by polynomials.

    Parameters
    ----------
    polys : sequence of str, sympy expressions or python-flint ``fmpq_mpoly``
        The coordinate functions. Strings are polynomials in the syntax of
        :func:`relugeom.algebra._parse.parse_polynomial` (``+ - * /`` by constants, ``^`` or
        ``**`` with integer exponents, exact decimals and rationals); they are read, never
        evaluated.
    params : sequence of str, optional
        The parameter names in order (default: the free symbols, sorted by name; for flint
        input the ring's names).
    outputs : sequence of str, optional
        The output (invariant) variable names; default ``y1, …, ym``.

    Raises
    ------
    relugeom.errors.ParseError
        If a string cannot be parsed or is not a polynomial in ``params``.
    ValueError
        If the sizes do not match.

    Examples
    --------
    Independence model of two binary variables:

    >>> phi = PolynomialParametrization(["a*b", "a*(1-b)", "(1-a)*b", "(1-a)*(1-b)"],
    ...                                 outputs=["p11", "p12", "p21", "p22"])
    >>> phi.param_names, phi.homogeneous
    (('a', 'b'), False)
    >>> phi.evaluate_exact([Fraction(1, 2), Fraction(1, 3)])
    [Fraction(1, 6), Fraction(1, 3), Fraction(1, 6), Fraction(1, 3)]
    """

    def __init__(self, polys: Sequence[Any], params: Sequence[str] | None = None,
                 outputs: Sequence[str] | None = None) -> None:
        names, exps, coeffs = _parse_polys(polys, params)
        self.param_names = tuple(names)
        self.n_params = len(names)
        self.n_outputs = len(exps)
        if outputs is None:
            outputs = [f"y{i + 1}" for i in range(self.n_outputs)]
        outputs = tuple(str(o) for o in outputs)
        if len(outputs) != self.n_outputs:
            raise ValueError(f"outputs must have {self.n_outputs} names; got {len(outputs)}")
        if len(set(outputs)) != len(outputs):
            raise ValueError("output names must be distinct")
        if set(outputs) & set(self.param_names):
            raise ValueError("output names must differ from parameter names")
        self.output_names = outputs
        self._exps = exps
        self._coeffs = coeffs

    def _term_data(self) -> tuple[list[np.ndarray], list[list[Fraction]]]:
        return self._exps, self._coeffs

    def polynomials(self) -> list:
        """The coordinate functions as ``fmpq_mpoly`` (degrevlex ring of ``param_names``).

        Examples
        --------
        >>> [str(f) for f in PolynomialParametrization(["x^2/2", "x*y"]).polynomials()]
        ['1/2*x^2', 'x*y']
        """
        import flint

        ctx = flint.fmpq_mpoly_ctx.get(self.param_names, "degrevlex")
        out = []
        for E, cs in zip(self._exps, self._coeffs):
            out.append(ctx.from_dict({tuple(int(v) for v in row): flint.fmpq(c.numerator, c.denominator)
                                      for row, c in zip(E, cs)}))
        return out
