"""Input sets (finite unions of boxes and H-polytopes) and unsafe sets in output space.

Conventions
-----------
An *input set* is a finite union ``P_1 ∪ … ∪ P_k`` of bounded H-polytopes (boxes are the
common case) in ``R^{n_0}``. An *unsafe set* is a finite union ``S_1 ∪ … ∪ S_m`` of
H-polyhedra ``S_j = {y : C_j y <= d_j}`` in ``R^{n_L}`` (equalities are stored as two
inequalities). A property is violated when some ``x`` in the input set has ``f(x)`` in the
unsafe set.

The *margin* of an output ``y`` is ``min_j max_i (C_j y - d_j)_i``: it is ``<= 0`` exactly when
``y`` lies in the unsafe set, and its size says how far ``y`` is from it (in the units of the
constraint rows). Falsification minimises it.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .._tol import Tolerance, resolve
from .._validation import as_points
from ..errors import EmptyDomainError, UnboundedError
from ..polyhedra import Box, HPolytope

__all__ = ["InputSet", "UnsafeSet", "as_input_set", "as_unsafe_set", "check_sizes"]


def _as_polytope(p: object, what: str) -> HPolytope:
    if isinstance(p, HPolytope):
        return p
    raise TypeError(f"{what} must be a relugeom Box or HPolytope; got {type(p).__name__}")


def _box_of(p: HPolytope) -> tuple[np.ndarray, np.ndarray] | None:
    """``(lo, hi)`` when the polytope is an axis-aligned box given by bound rows only."""
    if isinstance(p, Box):
        return np.asarray(p.lo, float), np.asarray(p.hi, float)
    return None


class InputSet:
    """A finite union of bounded H-polytopes (boxes or general) in input space.

    Parameters
    ----------
    parts : HPolytope or sequence of HPolytope
        The members of the union, all of the same dimension.

    Raises
    ------
    ValueError
        If no part is given or the dimensions differ.

    Examples
    --------
    >>> from relugeom.polyhedra import Box
    >>> S = InputSet([Box([0, 0], [1, 1]), Box([2, 0], [3, 1])])
    >>> S.dim, len(S), S.contains([[0.5, 0.5], [1.5, 0.5]]).tolist()
    (2, 2, [True, False])
    >>> S.bounding_box().hi.tolist()
    [3.0, 1.0]
    """

    def __init__(self, parts: HPolytope | Sequence[HPolytope]):
        if isinstance(parts, HPolytope):
            parts = [parts]
        parts = [_as_polytope(p, "every part of an input set") for p in parts]
        if not parts:
            raise ValueError("an input set needs at least one polytope; got none")
        dims = {p.dim for p in parts}
        if len(dims) != 1:
            raise ValueError(f"the parts of an input set must share one dimension; got dimensions {sorted(dims)}")
        self.parts: tuple[HPolytope, ...] = tuple(parts)

    @property
    def dim(self) -> int:
        """Dimension of the input space."""
        return self.parts[0].dim

    def __len__(self) -> int:
        return len(self.parts)

    def __iter__(self):
        return iter(self.parts)

    def __repr__(self) -> str:
        return f"InputSet({list(self.parts)!r})"

    def contains(self, x: object, *, tol: Tolerance | None = None) -> np.ndarray | bool:
        """Whether points lie in the union (up to ``tol.feas_atol``).

        Examples
        --------
        >>> from relugeom.polyhedra import Box
        >>> InputSet(Box([0], [1])).contains([0.5])
        True
        """
        X, single = as_points(x, self.dim)
        ok = np.zeros(len(X), dtype=bool)
        for p in self.parts:
            ok |= np.asarray(p.contains(X, tol=tol))
        return bool(ok[0]) if single else ok

    def part_bounds(self, k: int, *, tol: Tolerance | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The bounding box ``(lo, hi)`` of part ``k`` (exact for boxes, by LP otherwise).

        Raises
        ------
        EmptyDomainError
            If the part is empty.
        UnboundedError
            If the part is unbounded.

        Examples
        --------
        >>> from relugeom.polyhedra import HPolytope
        >>> P = HPolytope([[1.0, 1.0], [-1.0, 0.0], [0.0, -1.0]], [1.0, 0.0, 0.0])
        >>> [v.round(6).tolist() for v in InputSet(P).part_bounds(0)]
        [[0.0, 0.0], [1.0, 1.0]]
        """
        p = self.parts[k]
        box = _box_of(p)
        if box is not None:
            return box
        t = resolve(tol)
        d = p.dim
        lo, hi = np.empty(d), np.empty(d)
        if p.is_empty(tol=t):
            raise EmptyDomainError(f"part {k} of the input set is empty")
        for i in range(d):
            e = np.zeros(d)
            e[i] = 1.0
            try:
                hi[i] = p.support(e, tol=t)
                lo[i] = -p.support(-e, tol=t)
            except UnboundedError:
                raise UnboundedError(f"part {k} of the input set is unbounded in coordinate {i}; "
                                     "verification needs bounded input sets") from None
        return lo, hi

    def bounding_box(self, *, tol: Tolerance | None = None) -> Box:
        """The smallest box containing the union.

        Examples
        --------
        >>> from relugeom.polyhedra import Box
        >>> InputSet([Box([0], [1]), Box([-2], [0])]).bounding_box().lo.tolist()
        [-2.0]
        """
        bounds = [self.part_bounds(k, tol=tol) for k in range(len(self))]
        return Box(np.min([b[0] for b in bounds], axis=0), np.max([b[1] for b in bounds], axis=0))

    def is_box(self, k: int = 0) -> bool:
        """Whether part ``k`` is a :class:`~relugeom.polyhedra.Box`.

        Examples
        --------
        >>> from relugeom.polyhedra import Box
        >>> InputSet(Box([0], [1])).is_box()
        True
        """
        return _box_of(self.parts[k]) is not None

    def sample(self, n: int, *, rng: object = None) -> np.ndarray:
        """``n`` points of the union (uniform in each part's bounding box, rejected outside).

        The number returned can be smaller than ``n`` for thin non-box parts.

        Examples
        --------
        >>> from relugeom.polyhedra import Box
        >>> InputSet(Box([0, 0], [1, 2])).sample(5, rng=0).shape
        (5, 2)
        """
        gen = np.random.default_rng(rng)
        out = []
        per = max(1, n // len(self))
        for k, p in enumerate(self.parts):
            lo, hi = self.part_bounds(k)
            X = lo + (hi - lo) * gen.random((per, self.dim))
            if not self.is_box(k):
                X = X[np.asarray(p.contains(X))]
            out.append(X)
        return np.vstack(out)[:n]


class UnsafeSet:
    """A finite union of H-polyhedra ``{y : C_j y <= d_j}`` in output space.

    Parameters
    ----------
    parts : HPolytope or sequence of HPolytope
        The members of the union (unbounded polyhedra are the rule here). Equalities are
        turned into pairs of inequalities.

    Attributes
    ----------
    C : ndarray (R, n_L)
        All rows of all parts, stacked.
    d : ndarray (R,)
    group : ndarray of int (R,)
        The part each row belongs to.

    Examples
    --------
    >>> from relugeom.polyhedra import HPolytope
    >>> S = UnsafeSet([HPolytope([[1.0, -1.0]], [0.0])])      # y_0 <= y_1
    >>> S.contains([[0.0, 1.0], [2.0, 1.0]]).tolist()
    [True, False]
    >>> S.margin([[0.0, 1.0], [2.0, 1.0]]).tolist()
    [-1.0, 1.0]
    """

    def __init__(self, parts: HPolytope | Sequence[HPolytope]):
        if isinstance(parts, HPolytope):
            parts = [parts]
        parts = [_as_polytope(p, "every part of an unsafe set") for p in parts]
        if not parts:
            raise ValueError("an unsafe set needs at least one polyhedron; got none")
        dims = {p.dim for p in parts}
        if len(dims) != 1:
            raise ValueError(f"the parts of an unsafe set must share one dimension; got dimensions {sorted(dims)}")
        self.parts: tuple[HPolytope, ...] = tuple(parts)
        Cs, ds, gs = [], [], []
        for j, p in enumerate(parts):
            C = np.vstack([p.A, p.A_eq, -p.A_eq])
            dd = np.concatenate([p.b, p.b_eq, -p.b_eq])
            if len(dd) == 0:  # no constraint: the whole output space (one row 0 <= 0)
                C, dd = np.zeros((1, p.dim)), np.zeros(1)
            Cs.append(C)
            ds.append(dd)
            gs.append(np.full(len(dd), j))
        self.C = np.vstack(Cs)
        self.d = np.concatenate(ds)
        self.group = np.concatenate(gs)
        for a in (self.C, self.d, self.group):
            a.setflags(write=False)

    @property
    def dim(self) -> int:
        """Dimension of the output space."""
        return self.parts[0].dim

    @property
    def n_parts(self) -> int:
        """Number of polyhedra in the union."""
        return len(self.parts)

    def __len__(self) -> int:
        return len(self.parts)

    def __repr__(self) -> str:
        return f"UnsafeSet({list(self.parts)!r})"

    def row_slack(self, y: object) -> np.ndarray:
        """``C y - d`` for points ``y`` of shape (n, n_L): shape (n, R).

        Examples
        --------
        >>> from relugeom.polyhedra import HPolytope
        >>> UnsafeSet(HPolytope([[1.0]], [2.0])).row_slack([[3.0]]).tolist()
        [[1.0]]
        """
        Y, _ = as_points(y, self.dim, name="y")
        return Y @ self.C.T - self.d

    def part_margins(self, y: object) -> np.ndarray:
        """``max_i (C_j y - d_j)_i`` per part: shape (n, n_parts).

        Examples
        --------
        >>> from relugeom.polyhedra import HPolytope
        >>> UnsafeSet([HPolytope([[1.0]], [0.0]), HPolytope([[-1.0]], [-5.0])]).part_margins([[1.0]]).tolist()
        [[1.0, 4.0]]
        """
        S = self.row_slack(y)
        out = np.full((S.shape[0], self.n_parts), -np.inf)
        for j in range(self.n_parts):
            out[:, j] = S[:, self.group == j].max(axis=1)
        return out

    def margin(self, y: object) -> np.ndarray | float:
        """``min_j max_i (C_j y - d_j)_i``: ``<= 0`` exactly on the unsafe set.

        Examples
        --------
        >>> from relugeom.polyhedra import HPolytope
        >>> float(UnsafeSet(HPolytope([[1.0]], [0.0])).margin([2.0]))
        2.0
        """
        Y, single = as_points(y, self.dim, name="y")
        m = self.part_margins(Y).min(axis=1)
        return float(m[0]) if single else m

    def contains(self, y: object, *, tol: Tolerance | None = None) -> np.ndarray | bool:
        """Whether outputs lie in the unsafe set (up to ``tol.feas_atol``).

        Examples
        --------
        >>> from relugeom.polyhedra import HPolytope
        >>> UnsafeSet(HPolytope([[1.0]], [0.0])).contains([0.0])
        True
        """
        t = resolve(tol)
        m = self.margin(y)
        return (m <= t.feas_atol) if not isinstance(m, float) else bool(m <= t.feas_atol)


def as_input_set(obj: object) -> InputSet:
    """An :class:`InputSet` from a Box, an HPolytope, a list of them or an InputSet.

    Examples
    --------
    >>> from relugeom.polyhedra import Box
    >>> len(as_input_set([Box([0], [1]), Box([2], [3])]))
    2
    """
    if isinstance(obj, InputSet):
        return obj
    if isinstance(obj, HPolytope):
        return InputSet([obj])
    if isinstance(obj, (list, tuple)):
        return InputSet(list(obj))
    raise TypeError(f"input set must be a Box, HPolytope, InputSet or a list of them; got {type(obj).__name__}")


def as_unsafe_set(obj: object) -> UnsafeSet:
    """An :class:`UnsafeSet` from an HPolytope, a list of them or an UnsafeSet.

    Examples
    --------
    >>> from relugeom.polyhedra import HPolytope
    >>> as_unsafe_set(HPolytope([[1.0]], [0.0])).n_parts
    1
    """
    if isinstance(obj, UnsafeSet):
        return obj
    if isinstance(obj, HPolytope):
        return UnsafeSet([obj])
    if isinstance(obj, (list, tuple)):
        return UnsafeSet(list(obj))
    raise TypeError(f"unsafe set must be an HPolytope, UnsafeSet or a list of them; got {type(obj).__name__}")


def check_sizes(net: object, input_set: InputSet | None = None, unsafe: UnsafeSet | None = None) -> None:
    """Raise a clear ``ValueError`` when set dimensions do not match the network.

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> from relugeom.polyhedra import Box
    >>> check_sizes(ReLUNetwork([[[1.0, 1.0]]]), InputSet(Box([0], [1])))
    Traceback (most recent call last):
    ...
    ValueError: the input set lives in R^1 but the network has 2 inputs
    """
    from ..network import as_network

    net = as_network(net)
    if input_set is not None and input_set.dim != net.input_dim:
        raise ValueError(f"the input set lives in R^{input_set.dim} but the network has {net.input_dim} inputs")
    if unsafe is not None and unsafe.dim != net.output_dim:
        raise ValueError(f"the unsafe set lives in R^{unsafe.dim} but the network has {net.output_dim} outputs")

