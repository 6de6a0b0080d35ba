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

Reading untrusted files
-----------------------
Nothing is evaluated. The text is read in chunks of whole lines (:data:`MAX_VNNLIB_BYTES`
caps its size), cut into tokens by one regular expression, and assembled into
s-expressions with an explicit stack; each top-level command is interpreted as soon as it
closes, again with explicit stacks, so time and memory grow linearly with the file and
nesting depth is limited only by the size cap. The disjunctive normal form is capped at
``_MAX_TERMS`` terms and ``_MAX_DNF_ATOMS`` atoms, the dense constraint matrices of the
sets (a :class:`~relugeom.polyhedra.Box` in ``n`` dimensions stores ``2n × n`` entries) at
``_MAX_DENSE`` entries in all, and an optional ``time_limit`` stops the parse with
:class:`TimeoutError`. Every other problem raises one
:class:`~relugeom.errors.ParseError` naming the line and column.
"""

from __future__ import annotations

import codecs
import contextlib
import gc
import itertools
import math
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..errors import EmptyDomainError, ParseError
from ..polyhedra import Box, HPolytope
from ._sets import InputSet, UnsafeSet

__all__ = ["VNNLibProperty", "read_vnnlib", "parse_vnnlib", "MAX_VNNLIB_BYTES"]

#: Largest VNN-LIB file (bytes; characters for :func:`parse_vnnlib`) read by default.
MAX_VNNLIB_BYTES = 256 * 2 ** 20

_MAX_TERMS = 100_000          # terms of the disjunctive normal form
_MAX_DNF_ATOMS = 2 ** 25      # atoms summed over the terms of one normal form
_MAX_DENSE = 2 ** 27          # entries of the dense constraint matrices (1 GiB of float64)
_CHUNK = 2 ** 20              # bytes read at a time
_CHECK_EVERY = 2 ** 14        # work steps between two looks at the clock
_SHOW = 40                    # characters of a token shown in an error message

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_VAR = re.compile(r"([XY])_(\d+)")
_COMMENT = re.compile(r";[^\n\r]*")
_TOKEN = re.compile(r"[()]|[^\s();]+")
_TOKEN_OR_COMMENT = re.compile(r";[^\n\r]*|[()]|[^\s();]+")
_COMPARISONS = frozenset(("<=", ">=", "<", ">", "="))
_ATOM = r"([^\s();]+)"
# a whole (assert (op a b)), a whole (declare-const a b), or one token
_FAST = re.compile(r"\(\s*assert\s*\(\s*(<=|>=|<|>|=)\s+" + _ATOM + r"\s+" + _ATOM + r"\s*\)\s*\)"
                   r"|\(\s*declare-const\s+" + _ATOM + r"\s+" + _ATOM + r"\s*\)"
                   r"|([()]|[^\s();]+)")


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

    def input_parts(self) -> list:
        """The distinct input polytopes over all cases (each once).

        Examples
        --------
        >>> p = parse_vnnlib("(declare-const X_0 Real)(declare-const Y_0 Real)(assert (or "
        ...                  "(and (>= X_0 0) (<= X_0 1) (>= Y_0 1)) (and (>= X_0 0) (<= X_0 1) (<= Y_0 -1))"
        ...                  " (and (>= X_0 2) (<= X_0 3) (>= Y_0 1))))")
        >>> sum(len(inp.parts) for inp, _ in p.cases), len(p.input_parts())   # same box merged
        (2, 2)
        """
        uniq: list = []
        for inp, _ in self.cases:
            for q in inp.parts:
                if not any(q.A.shape == u.A.shape and np.array_equal(q.A, u.A) and np.array_equal(q.b, u.b)
                           for u in uniq):
                    uniq.append(q)
        return uniq

    def _single(self) -> tuple[InputSet, UnsafeSet]:
        if len(self.cases) != 1:
            raise ValueError(f"{self.source} has {len(self.cases)} (input set, unsafe set) cases; "
                             "iterate over .cases")
        return self.cases[0]


# ------------------------------------------------------------------ reading in chunks
def _show(token: str) -> str:
    return repr(token if len(token) <= _SHOW else token[:_SHOW] + "…")


class _Clock:
    """The time limit of one parse (``None``: none)."""

    def __init__(self, source: str, time_limit: float | None):
        self.source = source
        self.limit = time_limit
        self.end = None if time_limit is None else time.monotonic() + max(0.0, float(time_limit))

    def check(self) -> None:
        if self.end is not None and time.monotonic() > self.end:
            raise TimeoutError(f"{self.source}: parsing did not finish within the time limit "
                               f"({self.limit:.3g} s)")


def _text_chunks(text: str) -> Iterator[str]:
    """Slices of ``text`` of about :data:`_CHUNK` characters, each ending with a newline."""
    pos, n = 0, len(text)
    while pos < n:
        cut = text.find("\n", pos + _CHUNK)
        end = n if cut < 0 else cut + 1
        yield text[pos:end]
        pos = end


def _file_chunks(path: Path, source: str, max_bytes: int) -> Iterator[str]:
    """Decoded chunks of whole lines of a UTF-8 file, at most ``max_bytes`` bytes in all."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    with open(path, "rb") as fh:
        try:
            size = os.fstat(fh.fileno()).st_size
        except OSError:  # pragma: no cover - fstat of an open file does not fail in practice
            size = 0
        if size > max_bytes:
            raise ParseError(f"{source}: the file has {size} bytes, more than the limit of "
                             f"{max_bytes} bytes for a VNN-LIB property")
        read, lines = 0, 0
        carry: list[str] = []
        while True:
            raw = fh.read(_CHUNK)
            if not raw:
                break
            if read + len(raw) > max_bytes:
                raise ParseError(f"{source}: more than the limit of {max_bytes} bytes for a "
                                 "VNN-LIB property")
            try:
                text = decoder.decode(raw)
            except UnicodeDecodeError as exc:
                line = lines + raw.count(b"\n", 0, exc.start) + 1
                raise ParseError(f"{source}, line {line}: not a UTF-8 text file (byte "
                                 f"{read + exc.start} is {raw[exc.start:exc.start + 1]!r})") from None
            read += len(raw)
            lines += raw.count(b"\n")
            cut = text.rfind("\n")
            if cut < 0:
                carry.append(text)
                continue
            carry.append(text[:cut + 1])
            yield "".join(carry)
            carry = [text[cut + 1:]]
        try:
            carry.append(decoder.decode(b"", final=True))
        except UnicodeDecodeError:
            raise ParseError(f"{source}, line {lines + 1}: not a UTF-8 text file (it ends "
                             "inside a multi-byte character)") from None
        rest = "".join(carry)
        if rest:
            yield rest


def _locate(chunks: Iterator[str], index: int) -> tuple[int, int] | None:
    """Line and column (1-based) of token number ``index`` (comments not counted)."""
    seen, line = 0, 1
    for chunk in chunks:
        count = len(_TOKEN.findall(_COMMENT.sub(" ", chunk)))
        if seen + count > index:
            for m in _TOKEN_OR_COMMENT.finditer(chunk):
                if m.group().startswith(";"):
                    continue
                if seen == index:
                    pos = m.start()
                    return (line + chunk.count("\n", 0, pos), pos - chunk.rfind("\n", 0, pos))
                seen += 1
        seen += count
        line += chunk.count("\n")
    return None


# ------------------------------------------------------------------ s-expressions
class _Node:
    """A parenthesised list: its items (``str`` atoms or nodes) and its token span."""

    __slots__ = ("start", "end", "items")

    def __init__(self, start: int):
        self.start, self.end, self.items = start, start, []

    def index_of(self, k: int) -> int:
        """Token number of item ``k``."""
        idx = self.start + 1
        for item in self.items[:k]:
            idx = (item.end if isinstance(item, _Node) else idx) + 1
        return idx


# a linear expression: ({variable: coefficient}, constant); variables are ("X", i) / ("Y", j)
_Lin = tuple[dict, float]
# an atom: the constraint  sum(coef * var) + const <= 0, as (sorted nonzero items, const)
_Atom = tuple[tuple[tuple[tuple[str, int], float], ...], float]


class _Frame:
    """One open compound of the interpreter's explicit stack."""

    __slots__ = ("node", "op", "kind", "i", "args", "single", "multi", "terms", "n_atoms")

    def __init__(self, node: _Node, op: str, kind: str):
        self.node, self.op, self.kind, self.i = node, op, kind, 1
        self.args: list = []           # terms and comparisons: the values of the items
        self.single: list = []         # and: atoms of the one-term children
        self.multi: list = []          # and: the normal forms of the other children
        self.terms: list = []          # or: the terms
        self.n_atoms = 0               # or: atoms summed over the terms


class _Parser:
    """Streaming VNN-LIB reader: :meth:`feed` it chunks of whole lines, then :meth:`finish`."""

    def __init__(self, source: str, locate: Callable[[int], tuple[int, int] | None], clock: _Clock):
        self.source = source
        self.locate = locate
        self.clock = clock
        self.declared: dict[str, tuple[str, int]] = {}
        self.keys: dict[tuple[str, int], str] = {}
        self.undeclared: dict[str, tuple[_Node, int]] = {}
        self.units: dict[tuple[str, int], tuple] = {}   # shared items of the atoms of bounds
        self.common: list[_Atom] = []        # atoms every term of the normal form has
        self.factors: list[list[list[_Atom]]] = []   # normal forms with several terms
        self.n_terms = 1
        self.stack: list[_Node] = []
        self.cur: _Node | None = None
        self.index = 0
        self.steps = 0

    # errors ----------------------------------------------------------------
    def err(self, index: int, msg: str) -> ParseError:
        where = self.locate(index)
        at = f", line {where[0]}, column {where[1]}" if where else ""
        return ParseError(f"{self.source}{at}: {msg}")

    def err_at(self, node: _Node, msg: str, k: int | None = None) -> ParseError:
        return self.err(node.start if k is None else node.index_of(k), msg)

    def tick(self) -> None:
        self.steps += 1
        if self.steps % _CHECK_EVERY == 0:
            self.clock.check()

    # s-expressions ---------------------------------------------------------
    def feed(self, text: str) -> None:
        """Read the tokens of ``text`` (whole lines, comments already blanked out).

        One regular expression finds the tokens; it also matches a whole
        ``(assert (op a b))`` or ``(declare-const a b)`` (8 and 5 tokens) in one go, which
        saves most of the work on real files.
        """
        stack, cur, idx = self.stack, self.cur, self.index
        try:
            for op, a, b, name, typ, tok in _FAST.findall(text):
                if tok:
                    if tok == "(":
                        if cur is not None:
                            stack.append(cur)
                        cur = _Node(idx)
                    elif tok == ")":
                        if cur is None:
                            raise self.err(idx, "unbalanced ')'")
                        cur.end = idx
                        if stack:
                            parent = stack.pop()
                            parent.items.append(cur)
                            cur = parent
                        else:
                            done, cur = cur, None
                            self.command(done)
                    else:
                        if cur is None:
                            raise self.err(idx, f"unexpected token {_show(tok)} outside parentheses")
                        cur.items.append(tok)
                    idx += 1
                    continue
                if op:
                    atoms = self.bound(op, a, b) if cur is None else None
                    if atoms is not None:
                        self.common.extend(atoms)
                        self.tick()
                    else:
                        node = _Node(idx)
                        inner = _Node(idx + 2)
                        inner.items += (op, a, b)
                        inner.end = idx + 6
                        node.items += ("assert", inner)
                        node.end = idx + 7
                        self._emit(node, cur)
                    idx += 8
                else:
                    node = _Node(idx)
                    node.items += ("declare-const", name, typ)
                    node.end = idx + 4
                    self._emit(node, cur)
                    idx += 5
        finally:
            self.stack, self.cur, self.index = stack, cur, idx

    def _emit(self, node: _Node, cur: _Node | None) -> None:
        """A parsed form: a top-level command, or an item of the open form ``cur``."""
        if cur is None:
            self.command(node)
        else:
            cur.items.append(node)

    def command(self, f: _Node) -> None:
        items = f.items
        head = items[0] if items and isinstance(items[0], str) else None
        if head == "declare-const":
            if len(items) != 3 or not isinstance(items[1], str) or items[2] != "Real":
                raise self.err_at(f, "expected (declare-const NAME Real)")
            name = items[1]
            key = self.variable(name)
            if key is None:
                raise self.err_at(f, f"variable name {_show(name)} is not X_i or Y_j")
            if name in self.declared:
                raise self.err_at(f, f"{name} is declared twice")
            if key in self.keys:
                raise self.err_at(f, f"{name} and {self.keys[key]} name the same variable")
            self.declared[name] = key
            self.keys[key] = name
        elif head == "assert":
            if len(items) != 2:
                raise self.err_at(f, "expected (assert FORMULA) with exactly one formula")
            self.conjoin(self.formula(f, 1), f)
        elif head is None:
            raise self.err_at(f, "expected a command (declare-const …) or (assert …); got "
                                 + ("()" if not items else "a list in a list"))
        else:
            raise self.err_at(f, f"unsupported command {_show(head)} (supported: declare-const, assert)")
        self.tick()

    def conjoin(self, dnf: list[list[_Atom]], node: _Node) -> None:
        if len(dnf) == 1:
            self.common.extend(dnf[0])
            return
        if self.n_terms * len(dnf) > _MAX_TERMS:
            raise self.err_at(node, f"the disjunctive normal form has more than {_MAX_TERMS} terms")
        self.n_terms *= len(dnf)
        self.factors.append(dnf)

    def finish(self) -> None:
        if self.cur is not None:
            opened = self.stack[0] if self.stack else self.cur
            raise self.err(opened.start, "'(' opened here is never closed")
        for name, (node, k) in self.undeclared.items():
            if name not in self.declared:
                raise self.err_at(node, f"variable {name} is used but not declared", k)

    # interpretation ----------------------------------------------------------
    @staticmethod
    def variable(name: str) -> tuple[str, int] | None:
        m = _VAR.fullmatch(name)
        if not m or len(m.group(2)) > 12:
            return None
        return m.group(1), int(m.group(2))

    def leaf(self, atom: str, parent: _Node, k: int) -> _Lin:
        key = self.declared.get(atom)
        if key is not None:
            return {key: 1.0}, 0.0
        if _NUMBER.fullmatch(atom):
            v = float(atom)
            if not math.isfinite(v):
                raise self.err_at(parent, f"number {_show(atom)} is out of range", k)
            return {}, v
        key = self.variable(atom)
        if key is not None:  # declared later, or never: checked by finish()
            self.undeclared.setdefault(atom, (parent, k))
            return {key: 1.0}, 0.0
        raise self.err_at(parent, f"unknown symbol {_show(atom)} (expected a number or a declared "
                                  "X_i / Y_j)", k)

    def bound_node(self, node: _Node) -> list[_Atom] | None:
        """:meth:`bound` of a node ``(op a b)``; None for other nodes."""
        items = node.items
        if len(items) != 3:
            return None
        op, a, b = items
        if op not in _COMPARISONS or not isinstance(a, str) or not isinstance(b, str):
            return None
        return self.bound(op, a, b)

    def bound(self, op: str, a: str, b: str) -> list[_Atom] | None:
        """The atoms of ``(op X_i c)`` or ``(op c X_i)``, the bulk of real files; else None."""
        key, num, flip = self.declared.get(a), b, False
        if key is None:
            key, num, flip = self.declared.get(b), a, True
        if key is None or not _NUMBER.fullmatch(num):
            return None
        v = float(num)
        if not math.isfinite(v):
            return None  # the general path names the number
        unit = self.units.get(key)
        if unit is None:
            unit = self.units[key] = (((key, 1.0),), ((key, -1.0),))
        # as the general path computes them: a - b <= 0 for "<=", b - a <= 0 for ">="
        upper = (unit[0], 0.0 - v) if not flip else (unit[1], v - 0.0)
        lower = (unit[1], v - 0.0) if not flip else (unit[0], 0.0 - v)
        if op in ("<=", "<"):
            return [upper]
        if op in (">=", ">"):
            return [lower]
        return [upper, lower]

    def open(self, node: _Node, kind: str) -> _Frame:
        items = node.items
        op = items[0] if items and isinstance(items[0], str) else None
        nargs = len(items) - 1
        if kind == "formula":
            if op is None:
                raise self.err_at(node, "expected a formula like (<= a b), (and …) or (or …)")
            if op in _COMPARISONS:
                if nargs < 2:
                    raise self.err_at(node, f"({op} …) needs at least two arguments; got {nargs}")
                return _Frame(node, op, "term")
            if op == "or" and nargs == 0:
                raise self.err_at(node, "(or) needs at least one argument")
            if op in ("and", "or"):
                return _Frame(node, op, "formula")
            raise self.err_at(node, f"unsupported operator {_show(op)} (supported: <=, >=, <, >, =, "
                                    "and, or)")
        if op is None:
            raise self.err_at(node, "expected a term like (+ a b), (- a b) or (* c a)")
        if (op == "+" and nargs >= 1) or (op == "-" and nargs >= 1) or (op == "*" and nargs >= 2):
            return _Frame(node, op, "term")
        raise self.err_at(node, f"unsupported term operator {_show(op)} with {nargs} argument(s)")

    def formula(self, parent: _Node, k: int) -> list[list[_Atom]]:
        """The normal form (a list of conjunctions of atoms) of item ``k`` of ``parent``."""
        root = parent.items[k]
        if not isinstance(root, _Node):
            raise self.err_at(parent, "expected a formula like (<= a b), (and …) or (or …)", k)
        atoms = self.bound_node(root)
        if atoms is not None:
            return [atoms]
        frames = [self.open(root, "formula")]
        while True:
            f = frames[-1]
            items = f.node.items
            if f.i < len(items):
                item = items[f.i]
                f.i += 1
                if isinstance(item, _Node):
                    atoms = self.bound_node(item) if f.kind == "formula" else None
                    if atoms is not None:
                        self.give(f, [atoms])
                    else:
                        frames.append(self.open(item, f.kind))
                    self.tick()
                elif f.kind == "term":
                    f.args.append(self.leaf(item, f.node, f.i - 1))
                else:
                    raise self.err_at(f.node, "expected a formula like (<= a b), (and …) or (or …)",
                                      f.i - 1)
                continue
            frames.pop()
            value = self.close(f)
            if not frames:
                return value
            self.give(frames[-1], value)

    def give(self, parent: _Frame, value) -> None:
        """Pass a child's value to its parent frame."""
        if parent.op == "and":
            if len(value) == 1:
                parent.single.extend(value[0])
            else:
                parent.multi.append(value)
        elif parent.op == "or":
            parent.terms.extend(value)
            parent.n_atoms += sum(len(t) for t in value)
            if len(parent.terms) > _MAX_TERMS:
                raise self.err_at(parent.node, f"the disjunctive normal form has more than "
                                               f"{_MAX_TERMS} terms")
            if parent.n_atoms > _MAX_DNF_ATOMS:
                raise self.err_at(parent.node, f"the disjunctive normal form has more than "
                                               f"{_MAX_DNF_ATOMS} atoms")
        else:
            parent.args.append(value)

    def close(self, f: _Frame):
        op, node = f.op, f.node
        if op == "and":
            dnf = [f.single]
            atoms = len(f.single)
            for sub in f.multi:
                if len(dnf) * len(sub) > _MAX_TERMS:
                    raise self.err_at(node, f"the disjunctive normal form has more than {_MAX_TERMS} terms")
                atoms = sum(len(c) for c in dnf) * len(sub) + len(dnf) * sum(len(s) for s in sub)
                if atoms > _MAX_DNF_ATOMS:
                    raise self.err_at(node, f"the disjunctive normal form has more than "
                                            f"{_MAX_DNF_ATOMS} atoms")
                dnf = [c + s for c in dnf for s in sub]
            return dnf
        if op == "or":
            return f.terms
        if op in _COMPARISONS:
            args, atoms = f.args, []
            for a, b in zip(args, args[1:]):
                if op in ("<=", "<", "="):
                    atoms.append(self.atom(a, b, node))
                if op in (">=", ">", "="):
                    atoms.append(self.atom(b, a, node))
            return [atoms]
        args = f.args
        if op == "+":
            return _add(args)
        if op == "-":
            if len(args) == 1:
                return _scale(args[0], -1.0)
            return _add([args[0]] + [_scale(a, -1.0) for a in args[1:]])
        out = args[0]  # "*"
        for a in args[1:]:
            if not out[0]:
                out = _scale(a, out[1])
            elif not a[0]:
                out = _scale(out, a[1])
            else:
                raise self.err_at(node, "nonlinear term: (*) of two variables is not supported")
        if not math.isfinite(out[1]) or not all(math.isfinite(c) for c in out[0].values()):
            raise self.err_at(node, "a product overflows to infinity")
        return out

    def atom(self, a: _Lin, b: _Lin, node: _Node) -> _Atom:
        """The atom ``a - b <= 0``."""
        coefs = dict(a[0])
        for v, c in b[0].items():
            coefs[v] = coefs.get(v, 0.0) - c
        const = a[1] - b[1]
        items = tuple(sorted((k, v) for k, v in coefs.items() if v != 0.0))
        if len({k[0] for k, _ in items}) > 1:
            raise self.err_at(node, "a constraint mixes inputs X_i and outputs Y_j; not supported")
        if not math.isfinite(const) or not all(math.isfinite(v) for _, v in items):
            raise self.err_at(node, "a constraint overflows to infinity")
        if not items and const > 0:
            raise self.err_at(node, f"constant constraint {const} <= 0 is false")
        return items, const


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


# ------------------------------------------------------------------ the property
@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: the parse makes millions of small acyclic objects,
    and collections scanning them all again and again made 100 MB files five times slower."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse(chunks: Callable[[], Iterator[str]], source: str, time_limit: float | None) -> VNNLibProperty:
    with _no_cyclic_gc():
        return _parse_all(chunks, source, time_limit)


def _parse_all(chunks: Callable[[], Iterator[str]], source: str, time_limit: float | None) -> VNNLibProperty:
    clock = _Clock(source, time_limit)
    P = _Parser(source, lambda index: _locate(chunks(), index), clock)
    for chunk in chunks():
        clock.check()
        if ";" in chunk:
            chunk = _COMMENT.sub(" ", chunk)
        P.feed(chunk)
    P.finish()
    n_in = _count(P, "X", source)
    n_out = _count(P, "Y", source)
    clock.check()
    return VNNLibProperty(n_in, n_out, _cases(P, n_in, n_out, clock), source)


def _cases(P: _Parser, n_in: int, n_out: int, clock: _Clock) -> tuple[tuple[InputSet, UnsafeSet], ...]:
    """Group the terms ``common ∧ one term of each factor`` into (input set, unsafe set) cases."""
    source = P.source
    common_in = [a for a in P.common if a[0] and a[0][0][0][0] == "X"]
    common_out = [a for a in P.common if a[0] and a[0][0][0][0] == "Y"]
    set_in, set_out = frozenset(common_in), frozenset(common_out)
    atoms = sum(P.n_terms // len(f) * sum(len(t) for t in f) for f in P.factors)
    if atoms > _MAX_DNF_ATOMS:
        raise ParseError(f"{source}: the disjunctive normal form has more than {_MAX_DNF_ATOMS} atoms")
    # the conjunction of the common atoms and extra atoms is keyed by the extra atoms that
    # are not common: two terms are equal exactly when these are
    by_input: dict[frozenset, dict[frozenset, None]] = {}
    for n, choice in enumerate(itertools.product(*P.factors)):
        if n % _CHECK_EVERY == 0:
            clock.check()
        extra = [a for term in choice for a in term if a[0]]
        ins = frozenset(a for a in extra if a[0][0][0][0] == "X") - set_in
        outs = frozenset(a for a in extra if a[0][0][0][0] == "Y") - set_out
        by_input.setdefault(ins, {})[outs] = None
    by_outputs: dict[frozenset, list[frozenset]] = {}
    for ins, outset in by_input.items():
        by_outputs.setdefault(frozenset(outset), []).append(ins)
    cases = []
    dense = _Dense(source)
    for outset, input_keys in by_outputs.items():
        clock.check()
        parts = [_input_polytope(common_in, set_in, key, n_in, dense) for key in input_keys]
        outs = sorted(tuple(sorted(set_out | key)) for key in outset)
        unsafe = UnsafeSet([HPolytope(*_rows(o, n_out, dense, "an unsafe set")) for o in outs])
        cases.append((InputSet(parts), unsafe))
    return tuple(cases)


def _count(P: _Parser, kind: str, source: str) -> int:
    idx = sorted(i for k, i in P.declared.values() if k == kind)
    if not idx:
        raise ParseError(f"{source}: no {kind}_i variables declared")
    if idx[-1] != len(idx) - 1:
        missing = next(i for i, j in enumerate(idx) if i != j)
        raise ParseError(f"{source}: {kind} variables must be numbered 0..n-1; missing {kind}_{missing}")
    return len(idx)


class _Dense:
    """The entries of the dense constraint matrices built so far, at most :data:`_MAX_DENSE`."""

    def __init__(self, source: str):
        self.source, self.used = source, 0

    def take(self, rows: int, n: int, what: str) -> None:
        self.used += rows * max(n, 1)
        if self.used > _MAX_DENSE:
            raise ParseError(f"{self.source}: {what} ({rows} constraints on {n} variables) brings the "
                             f"dense constraint matrices of the property to more than {_MAX_DENSE} "
                             "entries")


def _rows(conj: tuple | list, n: int, dense: _Dense, what: str) -> tuple[np.ndarray, np.ndarray]:
    dense.take(len(conj), n, what)
    A = np.zeros((len(conj), n))
    b = np.zeros(len(conj))
    for r, (items, const) in enumerate(conj):
        for (_, i), c in items:
            A[r, i] = c
        b[r] = -const
    return A, b


def _input_polytope(common: list[_Atom], common_set: frozenset, extra: frozenset, n: int,
                    dense: _Dense) -> HPolytope:
    atoms = common + list(extra)
    if atoms and all(len(items) == 1 for items, _ in atoms):
        idx = np.fromiter((items[0][0][1] for items, _ in atoms), dtype=np.int64, count=len(atoms))
        coef = np.fromiter((items[0][1] for items, _ in atoms), dtype=float, count=len(atoms))
        rhs = -np.fromiter((c for _, c in atoms), dtype=float, count=len(atoms))
        with np.errstate(over="ignore"):
            v = rhs / coef
        lo, hi = np.full(n, -np.inf), np.full(n, np.inf)
        up = coef > 0
        np.minimum.at(hi, idx[up], v[up])
        np.maximum.at(lo, idx[~up], v[~up])
        if np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)):
            dense.take(2 * n, n, "an input box")  # a Box stores its 2n x n matrix
            try:
                return Box(lo, hi)
            except EmptyDomainError as exc:  # names the coordinate where lo > hi
                raise EmptyDomainError(f"{dense.source}: the input {exc}") from None
    conj = sorted(common_set | extra)
    return HPolytope(*_rows(conj, n, dense, "an input polytope"))


def parse_vnnlib(text: str, *, source: str = "<string>", time_limit: float | None = None,
                 max_bytes: int = MAX_VNNLIB_BYTES) -> VNNLibProperty:
    """Parse VNN-LIB text (see the module docstring for the subset).

    Parameters
    ----------
    text : str
    source : str
        Name used in error messages.
    time_limit : float, optional
        Seconds the parse may take; then :class:`TimeoutError`.
    max_bytes : int
        Longest text accepted (characters), :data:`MAX_VNNLIB_BYTES` by default.

    Returns
    -------
    VNNLibProperty

    Raises
    ------
    ParseError
        For anything outside the subset, naming the line and column.
    TimeoutError
        When ``time_limit`` seconds have passed.

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
    relugeom.errors.ParseError: <string>, line 2, column 9: unsupported operator 'foo' (supported: <=, >=, <, >, =, and, or)
    >>> parse_vnnlib("(declare-const X_0 Real)" * 10, max_bytes=100)
    Traceback (most recent call last):
    ...
    relugeom.errors.ParseError: <string>: the text has 240 characters, more than the limit of 100
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_vnnlib expects the text as a str; got {type(text).__name__}")
    if len(text) > max_bytes:
        raise ParseError(f"{source}: the text has {len(text)} characters, more than the limit of {max_bytes}")
    return _parse(lambda: _text_chunks(text), source, time_limit)


def read_vnnlib(path: str | os.PathLike, *, time_limit: float | None = None,
                max_bytes: int = MAX_VNNLIB_BYTES) -> VNNLibProperty:
    """Read a ``.vnnlib`` file. See :func:`parse_vnnlib`.

    The file is read in chunks, in time and memory linear in its size.

    Parameters
    ----------
    path : str or path
    time_limit : float, optional
        Seconds reading and parsing may take; then :class:`TimeoutError` (``relugeom
        verify --time-limit`` counts the parse against its limit).
    max_bytes : int
        Largest file accepted, :data:`MAX_VNNLIB_BYTES` (256 MiB) by default.

    Raises
    ------
    ParseError
        For a file that is not UTF-8 text, larger than ``max_bytes``, or outside the subset;
        the message names the line and column.
    TimeoutError
        When ``time_limit`` seconds have passed.
    OSError
        When the file cannot be read.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); f = os.path.join(d, "p.vnnlib")
    >>> _ = open(f, "w").write("(declare-const X_0 Real)(declare-const Y_0 Real)"
    ...                        "(assert (<= X_0 1))(assert (>= X_0 0))(assert (<= Y_0 0))")
    >>> read_vnnlib(f).unsafe.C.tolist()
    [[1.0]]
    >>> _ = open(f, "w").write("(declare-const X_0 Real)\\n(assert (<= X_0 1.5.2))")
    >>> read_vnnlib(f)
    Traceback (most recent call last):
    ...
    relugeom.errors.ParseError: p.vnnlib, line 2, column 17: unknown symbol '1.5.2' (expected a number or a declared X_i / Y_j)
    """
    p = Path(path)
    source = p.name
    if p.is_dir():
        raise ParseError(f"{p}: is a directory, not a VNN-LIB file")
    return _parse(lambda: _file_chunks(p, source, max_bytes), source, time_limit)
