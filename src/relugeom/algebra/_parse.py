"""Polynomials and polynomial inequalities read from text, without evaluating any code.

Every string that becomes a polynomial in relugeom (``PolynomialParametrization``,
``in_ideal``, ``certify_invariant``, ``relugeom voronoi polynomial --polys/--ineq``, the
semialgebraic constraints of ``ParametrizedModel``) goes through this module. It never calls
``eval``, ``sympify`` or ``parse_expr``: a string is tokenized and reduced by an explicit
operator stack (no recursion) into sparse polynomials with exact rational coefficients.

Grammar (whitespace, including newlines, is ignored between tokens)::

    inequality := expr [ ( ">=" | "<=" | ">" | "<" ) expr ]    (only in parse_inequality)
    expr       := term { ( "+" | "-" ) term }
    term       := factor { ( "*" | "/" ) factor }
    factor     := ( "+" | "-" ) factor | power
    power      := atom [ ( "^" | "**" ) exponent ]
    exponent   := INTEGER | "(" INTEGER ")"
    atom       := NUMBER | NAME | "(" expr ")"
    NUMBER     := digits [ "." [digits] ] [ ("e"|"E") ["+"|"-"] digits ]
                | "." digits [ ("e"|"E") ["+"|"-"] digits ]
    NAME       := [A-Za-z_][A-Za-z0-9_]*

* Numbers are exact: ``0.1`` is ``1/10``, ``1e-3`` is ``1/1000``, ``3/4`` is three quarters.
* ``^`` and ``**`` are the same operator; ``-x^2`` is ``-(x^2)``; the exponent is a
  non-negative integer literal (``x^(2)`` is accepted, ``x^-1``, ``x^y``, ``x^2.5`` are not).
  Chained powers ``x^2^3`` are rejected as ambiguous: write ``(x^2)^3``.
* ``/`` divides by a non-zero constant only (``x/2``, ``x/(1/3)``); ``x/y`` is an error, since a
  polynomial is not a rational function.
* Names are ASCII identifiers. Names starting with ``__``, Python keywords (``lambda``,
  ``import``, ...) and the builtins that run code or open files (``eval``, ``exec``, ``open``,
  ...) are rejected. When the caller gives the variables, any other name is an error that
  names it.
* No implicit multiplication (``2x`` is an error: write ``2*x``), no function calls,
  attribute access, brackets, strings, ``;``, ``=``, ``,``, ``!``.

Every error is one :class:`relugeom.errors.ParseError` whose one-line message names the
position (1-based line and column) and what was expected there; the exception also carries
``offset`` (0-based character offset), ``line`` and ``column``.

Limits (module constants, each reported by a ParseError when exceeded): the text has at most
:data:`MAX_TEXT_CHARS` characters, parentheses nest at most :data:`MAX_DEPTH` deep, a number
literal has at most :data:`MAX_NUMBER_CHARS` characters and a decimal exponent of magnitude
at most :data:`MAX_DECIMAL_EXPONENT`; the expanded polynomial has total degree at most
:data:`MAX_DEGREE`, at most :data:`MAX_TERMS` terms, coefficients of at most
:data:`MAX_COEFF_BITS` bits, and the expansion costs at most :data:`MAX_WORK` term
operations. Tokenizing and reducing are linear in the length of the text; the expansion of
products and powers (which may be larger than the text) is bounded by the limits.

Examples
--------
>>> p = parse_polynomial("3/4*x^2 - (y - 1)*(y + 1) + 0.5")
>>> print(p)
3/4*x^2 - y^2 + 3/2
>>> p.variables
('x', 'y')
>>> parse_polynomial("x/y")
Traceback (most recent call last):
...
relugeom.errors.ParseError: cannot parse polynomial 'x/y': at column 2: division by a non-constant (a polynomial is not a rational function; only division by non-zero constants is allowed)
>>> ineq = parse_inequality("x^2 <= 1")
>>> str(ineq.polynomial), ineq.sense, str(ineq.nonnegative())
('x^2 - 1', '<=', '-x^2 + 1')
"""

from __future__ import annotations

import keyword
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Mapping, Sequence

import numpy as np

from relugeom.errors import ParseError

__all__ = ["parse_polynomial", "parse_inequality", "ParsedPolynomial", "ParsedInequality",
           "check_variable_name",
           "MAX_TEXT_CHARS", "MAX_DEPTH", "MAX_NUMBER_CHARS", "MAX_DECIMAL_EXPONENT",
           "MAX_DEGREE", "MAX_TERMS", "MAX_COEFF_BITS", "MAX_WORK"]

MAX_TEXT_CHARS = 1_000_000
"""Longest accepted text (characters)."""
MAX_DEPTH = 1000
"""Deepest accepted nesting of parentheses."""
MAX_NUMBER_CHARS = 1000
"""Longest accepted number literal (characters)."""
MAX_DECIMAL_EXPONENT = 1000
"""Largest accepted ``|e|`` in a literal ``…e±e``."""
MAX_DEGREE = 10_000
"""Largest total degree of any intermediate polynomial."""
MAX_TERMS = 100_000
"""Most terms of any intermediate polynomial."""
MAX_COEFF_BITS = 10_000
"""Largest height (bits of the numerator or denominator) of any coefficient (about 3000
decimal digits, below Python's 4300-digit limit for printing integers)."""
MAX_WORK = 2_000_000
"""Most term operations spent expanding products and powers of one text."""

#: Names that are not variables even when they look like identifiers: builtins that run
#: code, import, open files or reach interpreter internals (plus keywords and ``__*``).
RESERVED_NAMES = frozenset({
    "eval", "exec", "compile", "open", "input", "breakpoint", "getattr", "setattr", "delattr",
    "globals", "locals", "vars", "exit", "quit", "help", "memoryview", "object", "type",
    "super", "classmethod", "staticmethod", "property",
})

_TOKEN = re.compile(r"""
    [ \t\r\n\f\v]*
    (?:(?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|>=|<=|[-+*/^()<>])
  | (?P<end>\Z))
""", re.VERBOSE)
_INT = re.compile(r"[0-9]+\Z")
_NUMBER = re.compile(r"([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?\Z")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_WS = re.compile(r"[ \t\r\n\f\v]*")

_HINTS = {
    ".": "attribute access is not allowed",
    "[": "brackets are not allowed", "]": "brackets are not allowed",
    "{": "braces are not allowed", "}": "braces are not allowed",
    "'": "strings are not allowed", '"': "strings are not allowed",
    "=": "'=' is not allowed (an inequality uses >=, <=, > or <)",
    ",": "',' is not allowed (give one polynomial per string)",
    ";": "';' is not allowed (give one polynomial per string)",
    ":": "':' is not allowed",
    "!": "'!' is not allowed",
}

_OPERAND = "a number, a variable, '(' or a sign"
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "u+": 3, "u-": 3}
_RELATIONS = (">=", "<=", ">", "<")


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _error(text: str, offset: int, what: str, message: str) -> ParseError:
    line, column = _position(text, offset)
    where = f"line {line}, column {column}" if "\n" in text else f"column {column}"
    shown = text if len(text) <= 60 else text[:57] + "..."
    err = ParseError(f"cannot parse {what} {shown!r}: at {where}: {message}")
    err.offset, err.line, err.column = offset, line, column
    return err


def check_variable_name(name: str) -> str | None:
    """Why ``name`` cannot be a variable, or None when it can.

    Examples
    --------
    >>> check_variable_name("m_1_2"), check_variable_name("__class__") is not None
    (None, True)
    >>> check_variable_name("lambda")
    "'lambda' is a Python keyword, not a variable"
    """
    if not isinstance(name, str) or not _IDENT.match(name):
        return f"{name!r} is not a name (letters, digits and '_', not starting with a digit)"
    if name.startswith("__"):
        return f"{name!r} is not allowed (names starting with '__' are reserved)"
    if keyword.iskeyword(name):
        return f"{name!r} is a Python keyword, not a variable"
    if name in RESERVED_NAMES:
        return f"{name!r} is a reserved name (a builtin that runs code or opens files), not a variable"
    return None


# ----------------------------------------------------------------------------------------
# sparse arithmetic: a value is [terms, scale] with terms {monomial: fmpq}, the polynomial
# being scale * Σ terms; monomials are tuples of (variable id, exponent) sorted by id.
# The lazy scale makes negation and scaling O(1), and sums add the smaller operand into the
# larger, so reduction stays (quasi-)linear in the text.
# ----------------------------------------------------------------------------------------


class _Budget:
    __slots__ = ("text", "what", "work")

    def __init__(self, text: str, what: str) -> None:
        self.text, self.what, self.work = text, what, 0

    def spend(self, amount: int, offset: int) -> None:
        self.work += amount
        if self.work > MAX_WORK:
            raise _error(self.text, offset, self.what,
                         f"the polynomial is too large to expand (more than {MAX_WORK} term operations)")


def _height(c) -> int:
    return int(c.height_bits())


def _is_constant(v) -> bool:
    terms = v[0]
    return not terms or (len(terms) == 1 and () in terms)


def _constant_value(v):
    import flint

    terms, scale = v
    return terms.get((), flint.fmpq(0)) * scale


def _degree(terms) -> int:
    return max((sum(e for _, e in m) for m in terms), default=0)


def _check_coeffs(terms, scale, budget: _Budget, offset: int) -> None:
    h = _height(scale)
    if h > MAX_COEFF_BITS or any(_height(c) + h > MAX_COEFF_BITS for c in terms.values()):
        raise _error(budget.text, offset, budget.what,
                     f"a coefficient is too large (more than {MAX_COEFF_BITS} bits)")


def _add(a, b, sign: int, budget: _Budget, offset: int):
    """a + sign*b (destroys a and b)."""
    (ta, sa), (tb, sb) = a, b
    if sign < 0:
        sb = -sb
    if len(ta) < len(tb):
        (ta, sa), (tb, sb) = (tb, sb), (ta, sa)
    if not tb:
        return [ta, sa]
    if not ta:
        return [tb, sb]
    r = sb if sa == 1 else sb / sa
    budget.spend(len(tb), offset)
    if r != 1:
        tb = {m: c * r for m, c in tb.items()}
    for m, c in tb.items():
        v = ta.get(m)
        if v is None:
            ta[m] = c
        else:
            v = v + c
            if v == 0:
                del ta[m]
            else:
                ta[m] = v
    if len(ta) > MAX_TERMS:
        raise _error(budget.text, offset, budget.what, f"the polynomial has more than {MAX_TERMS} terms")
    return [ta, sa]


def _mono_mul(m1: tuple, m2: tuple) -> tuple:
    if not m1:
        return m2
    if not m2:
        return m1
    out = []
    i = j = 0
    while i < len(m1) and j < len(m2):
        (v1, e1), (v2, e2) = m1[i], m2[j]
        if v1 == v2:
            out.append((v1, e1 + e2))
            i += 1
            j += 1
        elif v1 < v2:
            out.append(m1[i])
            i += 1
        else:
            out.append(m2[j])
            j += 1
    out.extend(m1[i:])
    out.extend(m2[j:])
    return tuple(out)


def _mul(a, b, budget: _Budget, offset: int):
    (ta, sa), (tb, sb) = a, b
    scale = sa * sb
    if not ta or not tb or scale == 0:
        return [{}, scale]
    if _is_constant(a):
        return _scaled(b, ta[()] * sa, budget, offset)
    if _is_constant(b):
        return _scaled(a, tb[()] * sb, budget, offset)
    if _degree(ta) + _degree(tb) > MAX_DEGREE:
        raise _error(budget.text, offset, budget.what, f"the total degree exceeds {MAX_DEGREE}")
    budget.spend(len(ta) * len(tb), offset)
    out: dict = {}
    for m1, c1 in ta.items():
        for m2, c2 in tb.items():
            m = _mono_mul(m1, m2)
            v = out.get(m)
            out[m] = c1 * c2 if v is None else v + c1 * c2
        if len(out) > MAX_TERMS:
            raise _error(budget.text, offset, budget.what, f"the polynomial has more than {MAX_TERMS} terms")
    out = {m: c for m, c in out.items() if c != 0}
    _check_coeffs(out, scale, budget, offset)
    return [out, scale]


def _scaled(v, c, budget: _Budget, offset: int):
    terms, scale = v
    scale = scale * c
    if scale == 0:
        return [{}, scale]
    _check_coeffs({}, scale, budget, offset)
    return [terms, scale]


def _power(v, e: int, budget: _Budget, offset: int):
    import flint

    terms, scale = v
    if e == 0:
        return [{(): flint.fmpq(1)}, flint.fmpq(1)]
    if not terms:
        return [{}, flint.fmpq(1)]
    if e == 1:
        return v
    if len(terms) == 1:
        (m, c), = terms.items()
        if sum(x for _, x in m) * e > MAX_DEGREE:
            raise _error(budget.text, offset, budget.what, f"the total degree exceeds {MAX_DEGREE}")
        cs = c * scale
        if e * max(math.log2(abs(int(cs.p)) or 1), math.log2(int(cs.q))) > MAX_COEFF_BITS:
            raise _error(budget.text, offset, budget.what,
                         f"a coefficient is too large (more than {MAX_COEFF_BITS} bits)")
        budget.spend(1, offset)
        return [{tuple((x, k * e) for x, k in m): cs ** e}, flint.fmpq(1)]
    deg = _degree(terms)
    if deg * e > MAX_DEGREE:
        raise _error(budget.text, offset, budget.what, f"the total degree exceeds {MAX_DEGREE}")
    # a priori bounds on the size of p^k and the work of p^(k+1) = p^k * p, before any work
    nv = len({x for m in terms for x, _ in m})
    work = 0
    for k in range(1, e):
        size = min(math.comb(len(terms) + k - 1, k), math.comb(nv + deg * k, nv))
        work += size * len(terms)
        if work + budget.work > MAX_WORK:
            raise _error(budget.text, offset, budget.what,
                         f"the polynomial is too large to expand (more than {MAX_WORK} term operations)")
    if min(math.comb(len(terms) + e - 1, e), math.comb(nv + deg * e, nv)) > MAX_TERMS:
        raise _error(budget.text, offset, budget.what, f"the polynomial has more than {MAX_TERMS} terms")
    base = [dict(terms), flint.fmpq(1)]
    out = [dict(terms), flint.fmpq(1)]
    for _ in range(e - 1):
        out = _mul(out, [base[0], base[1]], budget, offset)
    return _scaled(out, scale ** e, budget, offset) if scale != 1 else out


# ----------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------


class ParsedPolynomial:
    """A polynomial with rational coefficients, as read from text.

    ``terms`` maps monomials — tuples of ``(name, exponent)`` pairs sorted by name, the
    constant monomial being ``()`` — to non-zero :class:`fractions.Fraction` coefficients.

    Examples
    --------
    >>> p = parse_polynomial("y*x^2 - 1/2")
    >>> p.terms
    {(('x', 2), ('y', 1)): Fraction(1, 1), (): Fraction(-1, 2)}
    >>> p.variables, p.degree
    (('x', 'y'), 3)
    >>> p.exponents(["y", "x", "z"])
    (array([[1, 2, 0],
           [0, 0, 0]]), [Fraction(1, 1), Fraction(-1, 2)])
    """

    __slots__ = ("terms",)

    def __init__(self, terms: Mapping[tuple, Fraction]) -> None:
        self.terms = dict(terms)

    @property
    def variables(self) -> tuple[str, ...]:
        """The names that occur (with a positive exponent), sorted.

        Examples
        --------
        >>> parse_polynomial("b - b + a*c^0").variables
        ('a',)
        """
        return tuple(sorted({n for m in self.terms for n, _ in m}))

    @property
    def degree(self) -> int:
        """Total degree (0 for constants, -1 for the zero polynomial).

        Examples
        --------
        >>> parse_polynomial("x*y^2 + 1").degree, parse_polynomial("0").degree
        (3, -1)
        """
        if not self.terms:
            return -1
        return max(sum(e for _, e in m) for m in self.terms)

    def is_zero(self) -> bool:
        """Whether this is the zero polynomial.

        Examples
        --------
        >>> parse_polynomial("x - x").is_zero()
        True
        """
        return not self.terms

    def exponents(self, variables: Sequence[str]) -> tuple[np.ndarray, list[Fraction]]:
        """Exponent vectors (one row per term, columns in the order of ``variables``) and
        coefficients.

        Raises
        ------
        ValueError
            If a variable of the polynomial is not in ``variables``.

        Examples
        --------
        >>> parse_polynomial("2*t^3").exponents(["s", "t"])
        (array([[0, 3]]), [Fraction(2, 1)])
        """
        idx = {n: i for i, n in enumerate(variables)}
        E = np.zeros((len(self.terms), len(idx)), dtype=np.int64)
        coeffs = []
        for r, (m, c) in enumerate(self.terms.items()):
            for n, e in m:
                if n not in idx:
                    raise ValueError(f"variable {n!r} is not one of {tuple(variables)}")
                E[r, idx[n]] = e
            coeffs.append(c)
        return E, coeffs

    def to_flint(self, ctx):
        """This polynomial in a python-flint ``fmpq_mpoly`` context whose names include ours.

        Examples
        --------
        >>> import flint
        >>> ctx = flint.fmpq_mpoly_ctx.get(("x", "y"), "lex")
        >>> str(parse_polynomial("x^2/3 - y").to_flint(ctx))
        '1/3*x^2 - y'
        """
        import flint

        E, cs = self.exponents(list(ctx.names()))
        return ctx.from_dict({tuple(int(v) for v in row): flint.fmpq(c.numerator, c.denominator)
                              for row, c in zip(E, cs)})

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ParsedPolynomial):
            return self.terms == other.terms
        return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self.terms.items()))

    def __neg__(self) -> "ParsedPolynomial":
        return ParsedPolynomial({m: -c for m, c in self.terms.items()})

    def __str__(self) -> str:
        if not self.terms:
            return "0"
        items = sorted(self.terms.items(), key=lambda t: (-sum(e for _, e in t[0]), t[0]))
        parts = []
        for k, (m, c) in enumerate(items):
            mono = "*".join(n if e == 1 else f"{n}^{e}" for n, e in m)
            a = abs(c)
            if not mono:
                body = str(a)
            elif a == 1:
                body = mono
            else:
                body = f"{a}*{mono}"
            if k == 0:
                parts.append(("-" if c < 0 else "") + body)
            else:
                parts.append((" - " if c < 0 else " + ") + body)
        return "".join(parts)

    def __repr__(self) -> str:
        return f"ParsedPolynomial({str(self)!r})"


@dataclass(frozen=True)
class ParsedInequality:
    """``polynomial <sense> 0``, read from ``p <sense> q`` as ``polynomial = p - q``.

    Attributes
    ----------
    polynomial : ParsedPolynomial
        ``p - q``.
    sense : {">=", ">", "<=", "<"}

    Examples
    --------
    >>> q = parse_inequality("t < 1")
    >>> q.strict, str(q.nonnegative())
    (True, '-t + 1')
    """

    polynomial: ParsedPolynomial
    sense: str

    @property
    def strict(self) -> bool:
        """Whether the inequality is strict (``>`` or ``<``).

        Examples
        --------
        >>> parse_inequality("x >= 0").strict
        False
        """
        return self.sense in (">", "<")

    def nonnegative(self) -> ParsedPolynomial:
        """The polynomial ``g`` with the inequality equivalent to ``g >= 0`` (``g > 0`` if strict).

        Examples
        --------
        >>> str(parse_inequality("x <= y").nonnegative())
        '-x + y'
        """
        return self.polynomial if self.sense in (">=", ">") else -self.polynomial


# ----------------------------------------------------------------------------------------
# the parser (one pass, explicit stacks, no recursion)
# ----------------------------------------------------------------------------------------


def _number(text: str, tok: str, offset: int, what: str):
    import flint

    if len(tok) > MAX_NUMBER_CHARS:
        raise _error(text, offset, what, f"number literal longer than {MAX_NUMBER_CHARS} characters")
    mt = _NUMBER.match(tok)
    ipart, fpart, epart = mt.group(1) or "", mt.group(2) or "", mt.group(3)
    e = int(epart) if epart is not None else 0
    if abs(e) > MAX_DECIMAL_EXPONENT:
        raise _error(text, offset, what, f"decimal exponent larger than {MAX_DECIMAL_EXPONENT} in magnitude")
    mant = int(ipart + fpart or "0")
    e -= len(fpart)
    if e >= 0:
        return flint.fmpq(mant * 10 ** e)
    return flint.fmpq(mant, 10 ** (-e))


def _parse(text: str, variables: Sequence[str] | None, what: str, relations: bool):
    """Shunting-yard reduction of ``text``; returns (left, relation, right) or (value, None, None)."""
    import flint

    if not isinstance(text, str):
        raise TypeError(f"a {what} must be given as a string; got {type(text).__name__}")
    if len(text) > MAX_TEXT_CHARS:
        raise ParseError(f"cannot parse {what}: the text has {len(text)} characters, more than the "
                         f"limit of {MAX_TEXT_CHARS}")
    allowed: dict[str, int] | None = None
    if variables is not None:
        allowed = {}
        for n in variables:
            why = check_variable_name(n)
            if why is not None:
                raise ParseError(f"cannot parse {what}: variable {why}")
            allowed.setdefault(n, len(allowed))
    ids: dict[str, int] = {} if allowed is None else allowed
    budget = _Budget(text, what)
    one = flint.fmpq(1)

    values: list = []           # [terms, scale]
    ops: list = []              # (op, offset); op in + - * / u+ u- (
    expect_operand = True
    depth = 0
    last = None                 # kind of the previous token: "num", "name", "pow", ")", ...
    left = None                 # (value, relation, offset) once a relation was read
    pos = 0

    def apply(op: str, off: int) -> None:
        if op in ("u+", "u-"):
            v = values[-1]
            if op == "u-":
                v[1] = -v[1]
            return
        b = values.pop()
        a = values.pop()
        if op == "+":
            values.append(_add(a, b, 1, budget, off))
        elif op == "-":
            values.append(_add(a, b, -1, budget, off))
        elif op == "*":
            values.append(_mul(a, b, budget, off))
        else:  # "/"
            if not _is_constant(b):
                raise _error(text, off, what, "division by a non-constant (a polynomial is not a rational "
                                              "function; only division by non-zero constants is allowed)")
            c = _constant_value(b)
            if c == 0:
                raise _error(text, off, what, "division by zero")
            values.append(_scaled(a, 1 / c, budget, off))

    def expected_operator() -> str:
        s = "an operator (+ - * / ^)"
        if depth:
            s += ", ')'"
        if relations and left is None and not depth:
            s += ", a comparison (>= <= > <)"
        return s + " or the end"

    def finish(off: int):
        while ops:
            op, o = ops.pop()
            if op == "(":
                raise _error(text, o, what, "this '(' is never closed")
            apply(op, o)
        assert len(values) == 1
        return values.pop()

    while True:
        # ---- next token (leading whitespace is part of the match)
        mt = _TOKEN.match(text, pos)
        if mt is None:
            at = _WS.match(text, pos).end()
            ch = text[at]
            hint = _HINTS.get(ch)
            hint = f"unexpected character {ch!r}" if hint is None else f"unexpected {ch!r}: {hint}"
            exp = _OPERAND if expect_operand else expected_operator()
            raise _error(text, at, what, f"{hint}; expected {exp}")
        kind = mt.lastgroup
        tok = mt.group(kind)
        start = mt.start(kind)
        pos = mt.end()

        if expect_operand:
            if kind == "num":
                c = _number(text, tok, start, what)
                values.append([{(): c} if c else {}, one])
                expect_operand, last = False, "num"
            elif kind == "name":
                vid = ids.get(tok)
                if vid is None:
                    why = check_variable_name(tok)
                    if why is not None:
                        raise _error(text, start, what, why)
                    if allowed is not None:
                        names = ", ".join(list(allowed)[:10]) + (", ..." if len(allowed) > 10 else "")
                        raise _error(text, start, what, f"unknown variable {tok!r} (the variables are "
                                                        f"{names or 'none'})")
                    vid = ids[tok] = len(ids)
                values.append([{((vid, 1),): one}, one])
                expect_operand, last = False, "name"
            elif kind == "op" and tok == "(":
                depth += 1
                if depth > MAX_DEPTH:
                    raise _error(text, start, what, f"parentheses nested deeper than {MAX_DEPTH}")
                ops.append(("(", start))
                last = "("
            elif kind == "op" and tok in ("+", "-"):
                ops.append(("u" + tok, start))
                last = "sign"
            else:
                found = "the end" if kind == "end" else repr(tok)
                raise _error(text, start, what, f"expected {_OPERAND}, found {found}")
            continue

        # ---- expecting an operator
        if kind == "end":
            value = finish(start)
            break
        if kind == "op" and tok in ("+", "-", "*", "/"):
            p = _PREC[tok]
            while ops and ops[-1][0] != "(" and _PREC[ops[-1][0]] >= p:
                op, o = ops.pop()
                apply(op, o)
            ops.append((tok, start))
            expect_operand, last = True, "binop"
        elif kind == "op" and tok in ("^", "**"):
            if last == "pow":
                raise _error(text, start, what, "chained powers are ambiguous: use parentheses, e.g. (x^2)^3")
            # the exponent: INTEGER or ( INTEGER )
            toks = []
            while len(toks) < 3:
                mt = _TOKEN.match(text, pos)
                if mt is None or mt.lastgroup == "end":
                    break
                pos = mt.end()
                k = mt.lastgroup
                toks.append((k, mt.group(k), mt.start(k)))
                if len(toks) == 1 and toks[0][1] != "(":
                    break
            need = "a non-negative integer exponent (a literal such as 2 or (2)) after the power operator"
            if not toks:
                raise _error(text, _WS.match(text, pos).end(), what, f"expected {need}")
            if toks[0][1] != "(":
                if toks[0][0] != "num" or not _INT.match(toks[0][1]):
                    raise _error(text, toks[0][2], what, f"expected {need}, found {toks[0][1]!r}")
            elif len(toks) < 2 or toks[1][0] != "num" or not _INT.match(toks[1][1]):
                at = toks[1][2] if len(toks) > 1 else _WS.match(text, pos).end()
                raise _error(text, at, what, f"expected {need}")
            elif len(toks) < 3 or toks[2][1] != ")":
                at = toks[2][2] if len(toks) > 2 else _WS.match(text, pos).end()
                raise _error(text, at, what, "expected ')' after the exponent")
            etok = toks[0] if len(toks) == 1 else toks[1]
            if len(etok[1].lstrip("0")) > 6 or int(etok[1]) > MAX_DEGREE:
                raise _error(text, etok[2], what, f"exponent larger than {MAX_DEGREE}")
            values[-1] = _power(values[-1], int(etok[1]), budget, start)
            last = "pow"
        elif kind == "op" and tok == ")":
            while ops and ops[-1][0] != "(":
                op, o = ops.pop()
                apply(op, o)
            if not ops:
                raise _error(text, start, what, "unmatched ')'")
            ops.pop()
            depth -= 1
            last = ")"
        elif kind == "op" and tok in _RELATIONS and relations and left is None and depth == 0:
            value = finish(start)
            left = (value, tok, start)
            expect_operand, last = True, "rel"
        else:
            found = repr(tok)
            hint = ""
            if tok == "(" and last == "name":
                hint = " (function calls are not allowed)"
            elif tok == "(" or kind in ("num", "name"):
                hint = " (write '*' for a product)"
            elif tok in _RELATIONS:
                if not relations:
                    hint = " (a comparison is not a polynomial)"
                elif left is not None:
                    hint = " (only one comparison is allowed)"
                else:
                    hint = " (a comparison cannot be inside parentheses)"
            raise _error(text, start, what, f"expected {expected_operator()}, found {found}{hint}")

    # ---- to names
    names = {i: s for s, i in ids.items()}

    def convert(v) -> ParsedPolynomial:
        terms, scale = v
        out = {}
        for m, c in terms.items():
            c = c * scale
            if c != 0:
                key = tuple(sorted((names[i], e) for i, e in m))
                out[key] = Fraction(int(c.p), int(c.q))
        return ParsedPolynomial(out)

    if left is None:
        return convert(value), None
    lv, rel, off = left
    diff = _add(lv, value, -1, budget, off)
    return convert(diff), rel


def parse_polynomial(text: str, variables: Iterable[str] | None = None, *,
                     what: str = "polynomial") -> ParsedPolynomial:
    """Read a polynomial with rational coefficients from text (no code is evaluated).

    Parameters
    ----------
    text : str
        The polynomial (grammar in the module docstring), e.g. ``"3/4*x^2 - 2*x*y + 1e-3"``.
    variables : iterable of str, optional
        The allowed variable names; any other name is an error that names it. Default: any
        identifier (except reserved names) is a variable.
    what : str
        How the text is called in error messages (e.g. ``"--polys 2"``).

    Returns
    -------
    ParsedPolynomial

    Raises
    ------
    relugeom.errors.ParseError
        If the text is not a polynomial, with the position and what was expected there.
    TypeError
        If ``text`` is not a string.

    Examples
    --------
    >>> str(parse_polynomial("(a + b)^2 - 2*a*b"))
    'a^2 + b^2'
    >>> str(parse_polynomial("x**2/4 - 1.5e1", variables=["x"]))
    '1/4*x^2 - 15'
    >>> parse_polynomial("x + z", variables=["x", "y"])
    Traceback (most recent call last):
    ...
    relugeom.errors.ParseError: cannot parse polynomial 'x + z': at column 5: unknown variable 'z' (the variables are x, y)
    >>> parse_polynomial("__import__('os')")
    Traceback (most recent call last):
    ...
    relugeom.errors.ParseError: cannot parse polynomial "__import__('os')": at column 1: '__import__' is not allowed (names starting with '__' are reserved)
    """
    vs = None if variables is None else [str(v) if not isinstance(v, str) else v for v in variables]
    poly, _ = _parse(text, vs, what, relations=False)
    return poly


def parse_inequality(text: str, variables: Iterable[str] | None = None, *,
                     what: str = "inequality", default: str | None = ">=") -> ParsedInequality:
    """Read ``p >= q``, ``p <= q``, ``p > q`` or ``p < q`` (``p``, ``q`` polynomials).

    Parameters
    ----------
    text : str
        The inequality; without a comparison, ``text`` alone means ``text <default> 0``.
    variables : iterable of str, optional
        The allowed variable names (see :func:`parse_polynomial`).
    what : str
        How the text is called in error messages.
    default : {">=", ">", "<=", "<"} or None
        The sense of a text without a comparison; None makes the comparison required.

    Returns
    -------
    ParsedInequality
        ``polynomial = p - q`` and the sense.

    Raises
    ------
    relugeom.errors.ParseError
        As :func:`parse_polynomial`; also for a missing comparison (``default=None``), two
        comparisons, a comparison inside parentheses or ``=``/``==``.

    Examples
    --------
    >>> q = parse_inequality("x^2 + y^2 <= 1")
    >>> str(q.polynomial), q.sense, str(q.nonnegative())
    ('x^2 + y^2 - 1', '<=', '-x^2 - y^2 + 1')
    >>> parse_inequality("1 - t^2").sense
    '>='
    >>> parse_inequality("0 < x < 1")
    Traceback (most recent call last):
    ...
    relugeom.errors.ParseError: cannot parse inequality '0 < x < 1': at column 7: expected an operator (+ - * / ^) or the end, found '<' (only one comparison is allowed)
    """
    if default is not None and default not in _RELATIONS:
        raise ValueError(f"default must be one of {_RELATIONS} or None; got {default!r}")
    vs = None if variables is None else [str(v) if not isinstance(v, str) else v for v in variables]
    poly, rel = _parse(text, vs, what, relations=True)
    if rel is None:
        if default is None:
            raise _error(text, len(text), what, "expected a comparison (>= <= > <) between two polynomials")
        rel = default
    return ParsedInequality(poly, rel)
