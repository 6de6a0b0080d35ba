"""A parser for the VNN-LIB subset used by ACAS Xu and the simple VNN-COMP benchmarks.

Supported
---------
- comments ``; …`` to the end of a line;
- ``(declare-const X_i Real)`` for inputs and ``(declare-const Y_j Real)`` for outputs
  (indices ``0 … n-1``, each declared once);
- ``(assert F)`` with ``F`` one of ``(<= a b)``, ``(>= a b)`` (also ``<``, ``>``, read as
  their closures ``<=``, ``>=``, and ``=``), ``(and F …)``, ``(or F …)``;
- terms: numbers, declared variables, ``(+ t …)``, ``(- t)``, ``(- t u …)`` and ``(* c t)``
  with a numeric factor (linear terms only).

Every assertion is a constraint on inputs or on outputs (a single atom may not mix them).
The conjunction of all assertions describes a *violation* of the property: an input ``x``
satisfying the input constraints whose output satisfies the output constraints. It is put
into disjunctive normal form and grouped into *cases* ``(input set, unsafe set)``: ACAS Xu
properties give one case (property 6: an input set of two boxes).

Nothing is evaluated: the text goes through a hand-written s-expression tokenizer, and any
other construct raises :class:`~relugeom.errors.ParseError` naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ParseError
from ..polyhedra import Box, HPolytope
from ._sets import InputSet, UnsafeSet

__all__ = ["VNNLibProperty", "read_vnnlib", "parse_vnnlib"]

_MAX_TERMS = 100_000
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_VAR = re.compile(r"^([XY])_(\d+)$")


@dataclass(frozen=True)
class VNNLibProperty:
    """A parsed VNN-LIB property: the violation as cases ``(input set, unsafe set)``.

    Attributes
    ----------
    n_inputs, n_outputs : int
        Number of declared ``X_i`` and ``Y_j``.
    cases : tuple of (InputSet, UnsafeSet)
        The property is violated when for some case an input of the input set is mapped
        into the unsafe set.
    source : str
        File name (or ``"<string>"``).

    Examples
    --------
    >>> p = parse_vnnlib('''(declare-const X_0 Real) (declare-const Y_0 Real)
    ... (assert (<= X_0 1)) (assert (>= X_0 -1)) (assert (>= Y_0 3))''')
    >>> p.n_inputs, p.n_outputs, p.input_set.parts[0]
    (1, 1, Box(lo=[-1.0], hi=[1.0]))
    """

    n_inputs: int
    n_outputs: int
    cases: tuple[tuple[InputSet, UnsafeSet], ...]
    source: str = "<string>"

    @property
    def input_set(self) -> InputSet:
        """The input set of a one-case property.

        Raises
        ------
        ValueError
            If the property has several cases (use :attr:`cases`).
        """
        return self._single()[0]

    @property
    def unsafe(self) -> UnsafeSet:
        """The unsafe set of a one-case property (see :attr:`input_set`)."""
        return self._single()[1]

    def _single(self) -> tuple[InputSet, UnsafeSet]:
        if len(self.cases) != 1:
            raise ValueError(f"{self.source} has {len(self.cases)} (input set, unsafe set) cases; "
                             "iterate over .cases")
        return self.cases[0]


# ------------------------------------------------------------------ s-expressions
def _tokenize(text: str) -> list[tuple[str, int]]:
    toks: list[tuple[str, int]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.split(";", 1)[0]
        for tok in line.replace("(", " ( ").replace(")", " ) ").split():
            toks.append((tok, lineno))
    return toks


class _Node:
    __slots__ = ("items", "atom", "line")

    def __init__(self, line: int, atom: str | None = None, items: list["_Node"] | None = None):
        self.line, self.atom, self.items = line, atom, items

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return self.atom if self.atom is not None else "(" + " ".join(map(repr, self.items)) + ")"


def _parse_sexprs(toks: list[tuple[str, int]], source: str) -> list[_Node]:
    out: list[_Node] = []
    stack: list[_Node] = []
    for tok, line in toks:
        if tok == "(":
            stack.append(_Node(line, items=[]))
        elif tok == ")":
            if not stack:
                raise ParseError(f"{source}, line {line}: unbalanced ')'")
            node = stack.pop()
            (stack[-1].items if stack else out).append(node)
        else:
            node = _Node(line, atom=tok)
            if not stack:
                raise ParseError(f"{source}, line {line}: unexpected token {tok!r} outside parentheses")
            stack[-1].items.append(node)
    if stack:
        raise ParseError(f"{source}, line {stack[-1].line}: '(' opened here is never closed")
    return out


# ------------------------------------------------------------------ semantics
# a linear expression: (coefficients {var index: coef}, constant); variables are numbered
# X_0..X_{n-1} -> 0..n-1 and Y_j -> ("Y", j) keys, kept apart as tuples ("X", i) / ("Y", j)
_Lin = tuple[dict, float]
# an atom: expression <= 0, with its line
_Atom = tuple[tuple[tuple[tuple[str, int], float], ...], float, int]


class _Parser:
    def __init__(self, source: str):
        self.source = source
        self.declared: dict[str, tuple[str, int]] = {}

    def err(self, node: _Node, msg: str) -> ParseError:
        return ParseError(f"{self.source}, line {node.line}: {msg}")

    def term(self, node: _Node) -> _Lin:
        if node.atom is not None:
            a = node.atom
            if _NUMBER.match(a):
                return {}, float(a)
            if a in self.declared:
                return {self.declared[a]: 1.0}, 0.0
            if _VAR.match(a):
                raise self.err(node, f"variable {a} is used but not declared")
            raise self.err(node, f"unknown symbol {a!r} (expected a number or a declared X_i / Y_j)")
        if not node.items or node.items[0].atom is None:
            raise self.err(node, "expected a term like (+ a b), (- a b) or (* c a)")
        op, args = node.items[0].atom, [self.term(n) for n in node.items[1:]]
        if op == "+" and args:
            return _add(args)
        if op == "-" and len(args) == 1:
            return _scale(args[0], -1.0)
        if op == "-" and len(args) >= 2:
            return _add([args[0]] + [_scale(a, -1.0) for a in args[1:]])
        if op == "*" and len(args) >= 2:
            out = args[0]
            for a in args[1:]:
                if not out[0]:
                    out = _scale(a, out[1])
                elif not a[0]:
                    out = _scale(out, a[1])
                else:
                    raise self.err(node, "nonlinear term: (*) of two variables is not supported")
            return out
        raise self.err(node, f"unsupported term operator {op!r} with {len(args)} argument(s)")

    def formula(self, node: _Node) -> list[list[_Atom]]:
        """Disjunctive normal form: a list of conjunctions of atoms."""
        if node.atom is not None or not node.items or node.items[0].atom is None:
            raise self.err(node, "expected a formula like (<= a b), (and …) or (or …)")
        op, args = node.items[0].atom, node.items[1:]
        if op in ("<=", ">=", "<", ">", "="):
            if len(args) < 2:
                raise self.err(node, f"({op} …) needs at least two arguments; got {len(args)}")
            terms = [self.term(a) for a in args]
            atoms: list[_Atom] = []
            for a, b in zip(terms, terms[1:]):
                if op in ("<=", "<", "="):
                    atoms.append(self.atom(_add([a, _scale(b, -1.0)]), node))
                if op in (">=", ">", "="):
                    atoms.append(self.atom(_add([b, _scale(a, -1.0)]), node))
            return [atoms]
        if op == "and":
            dnf: list[list[_Atom]] = [[]]
            for a in args:
                sub = self.formula(a)
                if len(dnf) * len(sub) > _MAX_TERMS:
                    raise self.err(node, f"the disjunctive normal form has more than {_MAX_TERMS} terms")
                dnf = [c + s for c in dnf for s in sub]
            return dnf
        if op == "or":
            if not args:
                raise self.err(node, "(or) needs at least one argument")
            out: list[list[_Atom]] = []
            for a in args:
                out.extend(self.formula(a))
                if len(out) > _MAX_TERMS:
                    raise self.err(node, f"the disjunctive normal form has more than {_MAX_TERMS} terms")
            return out
        raise self.err(node, f"unsupported operator {op!r} (supported: <=, >=, <, >, =, and, or)")

    def atom(self, lin: _Lin, node: _Node) -> _Atom:
        coefs, const = lin
        kinds = {k[0] for k, v in coefs.items() if v != 0.0}
        if len(kinds) > 1:
            raise self.err(node, "a constraint mixes inputs X_i and outputs Y_j; not supported")
        items = tuple(sorted((k, v) for k, v in coefs.items() if v != 0.0))
        if not items and const > 0:
            raise self.err(node, f"constant constraint {const} <= 0 is false")
        return items, const, node.line


def _add(args: list[_Lin]) -> _Lin:
    coefs: dict = {}
    const = 0.0
    for c, k in args:
        const += k
        for v, a in c.items():
            coefs[v] = coefs.get(v, 0.0) + a
    return coefs, const


def _scale(a: _Lin, s: float) -> _Lin:
    return {v: s * c for v, c in a[0].items()}, s * a[1]


def parse_vnnlib(text: str, *, source: str = "<string>") -> VNNLibProperty:
    """Parse VNN-LIB text (see the module docstring for the subset).

    Parameters
    ----------
    text : str
    source : str
        Name used in error messages.

    Returns
    -------
    VNNLibProperty

    Raises
    ------
    ParseError
        For anything outside the subset, naming the line.

    Examples
    --------
    >>> p = parse_vnnlib('''
    ... (declare-const X_0 Real)
    ... (declare-const Y_0 Real) (declare-const Y_1 Real)
    ... (assert (and (>= X_0 0) (<= X_0 1)))
    ... (assert (or (and (<= Y_0 Y_1)) (and (>= Y_0 5))))''')
    >>> p.unsafe.n_parts
    2
    >>> parse_vnnlib("(declare-const X_0 Real)\\n(assert (foo X_0 1))")
    Traceback (most recent call last):
    ...
    relugeom.errors.ParseError: <string>, line 2: unsupported operator 'foo' (supported: <=, >=, <, >, =, and, or)
    """
    P = _Parser(source)
    forms = _parse_sexprs(_tokenize(text), source)
    asserts: list[_Node] = []
    for f in forms:
        head = f.items[0].atom if f.items and f.items[0].atom is not None else None
        if head == "declare-const":
            if len(f.items) != 3 or f.items[1].atom is None or f.items[2].atom != "Real":
                raise P.err(f, "expected (declare-const NAME Real)")
            name = f.items[1].atom
            m = _VAR.match(name)
            if not m:
                raise P.err(f, f"variable name {name!r} is not X_i or Y_j")
            if name in P.declared:
                raise P.err(f, f"{name} is declared twice")
            P.declared[name] = (m.group(1), int(m.group(2)))
        elif head == "assert":
            if len(f.items) != 2:
                raise P.err(f, "expected (assert FORMULA) with exactly one formula")
            asserts.append(f.items[1])
        else:
            raise P.err(f, f"unsupported command {head!r} (supported: declare-const, assert)")
    dnf: list[list[_Atom]] = [[]]
    for a in asserts:
        sub = P.formula(a)
        if len(dnf) * len(sub) > _MAX_TERMS:
            raise P.err(a, f"the disjunctive normal form has more than {_MAX_TERMS} terms")
        dnf = [c + s for c in dnf for s in sub]
    n_in = _count(P, "X", source)
    n_out = _count(P, "Y", source)
    # split each conjunction into its input and output atoms
    terms = []
    for conj in dnf:
        ins = tuple(sorted({(a[0], a[1]) for a in conj if a[0] and a[0][0][0][0] == "X"}))
        outs = tuple(sorted({(a[0], a[1]) for a in conj if a[0] and a[0][0][0][0] == "Y"}))
        terms.append((ins, outs))
    # group: input conjunction -> set of output conjunctions; then equal output sets merge
    by_input: dict = {}
    for ins, outs in terms:
        by_input.setdefault(ins, set()).add(outs)
    by_outputs: dict = {}
    for ins, outset in by_input.items():
        by_outputs.setdefault(frozenset(outset), []).append(ins)
    cases = []
    for outset, input_conjs in by_outputs.items():
        parts = [_input_polytope(c, n_in, source) for c in input_conjs]
        unsafe = UnsafeSet([_polyhedron(o, n_out) for o in sorted(outset)])
        cases.append((InputSet(parts), unsafe))
    return VNNLibProperty(n_in, n_out, tuple(cases), source)


def _count(P: _Parser, kind: str, source: str) -> int:
    idx = sorted(i for k, i in P.declared.values() if k == kind)
    if not idx:
        raise ParseError(f"{source}: no {kind}_i variables declared")
    if idx != list(range(len(idx))):
        missing = sorted(set(range(max(idx) + 1)) - set(idx))
        raise ParseError(f"{source}: {kind} variables must be numbered 0..n-1; missing {kind}_{missing[0]}")
    return len(idx)


def _rows(conj: tuple, n: int) -> tuple[np.ndarray, np.ndarray]:
    A = np.zeros((len(conj), n))
    b = np.zeros(len(conj))
    for r, (items, const) in enumerate(conj):
        for (_, i), c in items:
            A[r, i] = c
        b[r] = -const
    return A, b


def _polyhedron(conj: tuple, n: int) -> HPolytope:
    A, b = _rows(conj, n)
    return HPolytope(A, b)


def _input_polytope(conj: tuple, n: int, source: str) -> HPolytope:
    A, b = _rows(conj, n)
    single = (np.count_nonzero(A, axis=1) == 1)
    if len(A) and np.all(single):
        lo, hi = np.full(n, -np.inf), np.full(n, np.inf)
        for row, rhs in zip(A, b):
            i = int(np.flatnonzero(row)[0])
            v = rhs / row[i]
            if row[i] > 0:
                hi[i] = min(hi[i], v)
            else:
                lo[i] = max(lo[i], v)
        if np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)):
            return Box(lo, hi)  # raises EmptyDomainError naming the coordinate when lo > hi
    return HPolytope(A if len(A) else np.zeros((0, n)), b)


def read_vnnlib(path: str | Path) -> VNNLibProperty:
    """Read a ``.vnnlib`` file. See :func:`parse_vnnlib`.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); f = os.path.join(d, "p.vnnlib")
    >>> _ = open(f, "w").write("(declare-const X_0 Real)(declare-const Y_0 Real)"
    ...                        "(assert (<= X_0 1))(assert (>= X_0 0))(assert (<= Y_0 0))")
    >>> read_vnnlib(f).unsafe.C.tolist()
    [[1.0]]
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ParseError(f"{p}: not a UTF-8 text file") from None
    return parse_vnnlib(text, source=str(p.name))
