"""Activation pattern assignments: one 0/1 vector per hidden layer per block of data points.

A *pattern assignment* for widths ``(n_0, …, n_L)`` fixes, for every block ``b`` of data
points, the activation pattern ``d^{(b)}_l ∈ {0,1}^{n_l}`` of each hidden layer
``l = 1, …, L-1``. Data points are attached to blocks by ``point_blocks`` (point ``j``
belongs to block ``point_blocks[j]``); blocks are numbered from 0 in arrays and from 1 in
the mathematics (``M_1, …, M_k``; variables ``m_b_i_j``).

Text format: one block per pattern, hidden layers separated by commas, blocks by
semicolons, e.g. ``"110,10;011,11"`` for widths ``(n_0, 3, 2, n_3)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..errors import ParseError

__all__ = ["PatternAssignment", "parse_blocks"]


def _check_widths(widths: Sequence[int]) -> tuple[int, ...]:
    try:
        w = tuple(int(v) for v in widths)
    except (TypeError, ValueError):
        raise ValueError(f"widths must be a sequence of positive integers; got {widths!r}") from None
    if len(w) < 3:
        raise ValueError(
            f"widths must be (n_0, n_1, ..., n_L) with at least one hidden layer (L >= 2); got {w}"
        )
    if any(v <= 0 for v in w):
        raise ValueError(f"widths must be positive; got {w}")
    return w


@dataclass(frozen=True, eq=False)
class PatternAssignment:
    """Activation patterns of blocks of data points for a network of the given widths.

    Parameters
    ----------
    widths : sequence of int
        ``(n_0, n_1, …, n_L)``, at least one hidden layer.
    patterns : array_like of bool, shape (k, N)
        One flat pattern per block; ``N = n_1 + … + n_{L-1}`` (hidden layers concatenated,
        as in :meth:`relugeom.network.ReLUNetwork.activation_patterns`).
    point_blocks : array_like of int, optional
        Block index (from 0) of every data point; ``None`` when no data is attached.

    Attributes
    ----------
    n_blocks : int
    n_neurons : int
    hidden_widths : tuple of int

    Raises
    ------
    ValueError
        Wrong widths, pattern shape, or point_blocks out of range.

    Examples
    --------
    >>> A = PatternAssignment((2, 2, 2), [[1, 0], [1, 1]])
    >>> A.n_blocks, A.to_text()
    (2, '10;11')
    >>> A.active(1, 0).tolist()
    [0, 1]
    """

    widths: tuple[int, ...]
    patterns: np.ndarray
    point_blocks: np.ndarray | None = None
    _offsets: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        w = _check_widths(self.widths)
        object.__setattr__(self, "widths", w)
        N = sum(w[1:-1])
        P = np.asarray(self.patterns)
        if P.ndim == 1:
            P = P[None, :]
        if P.ndim != 2 or P.shape[1] != N or P.shape[0] == 0:
            raise ValueError(
                f"patterns must have shape (k, {N}) (k >= 1 blocks, n_1+...+n_(L-1) = {N} "
                f"hidden neurons for widths {w}); got shape {np.shape(self.patterns)}"
            )
        if P.dtype != bool:
            if not np.all(np.isin(P, (0, 1))):
                raise ValueError("patterns must contain only 0/1 (or booleans)")
            P = P.astype(bool)
        P = np.ascontiguousarray(P)
        P.setflags(write=False)
        object.__setattr__(self, "patterns", P)
        object.__setattr__(self, "_offsets", np.concatenate([[0], np.cumsum(w[1:-1])]).astype(int))
        if self.point_blocks is not None:
            pb = np.asarray(self.point_blocks)
            if pb.ndim != 1 or not np.issubdtype(pb.dtype, np.integer) and not np.all(pb == np.round(pb)):
                raise ValueError(f"point_blocks must be a 1-D array of block indices; got {pb!r}")
            pb = pb.astype(np.int64)
            if pb.size and (pb.min() < 0 or pb.max() >= P.shape[0]):
                raise ValueError(
                    f"point_blocks must lie in 0..{P.shape[0] - 1} ({P.shape[0]} blocks); "
                    f"got values {pb.min()}..{pb.max()}"
                )
            pb.setflags(write=False)
            object.__setattr__(self, "point_blocks", pb)

    # ------------------------------------------------------------------ shape
    @property
    def n_blocks(self) -> int:
        """Number ``k`` of blocks."""
        return int(self.patterns.shape[0])

    @property
    def n_layers(self) -> int:
        """Number ``L`` of affine layers."""
        return len(self.widths) - 1

    @property
    def hidden_widths(self) -> tuple[int, ...]:
        """``(n_1, …, n_{L-1})``."""
        return self.widths[1:-1]

    @property
    def n_neurons(self) -> int:
        """Total number of hidden neurons."""
        return int(self._offsets[-1])

    @property
    def shallow(self) -> bool:
        """True for one hidden layer (``L = 2``)."""
        return self.n_layers == 2

    @property
    def n_points(self) -> int | None:
        """Number of attached data points (``None`` without ``point_blocks``)."""
        return None if self.point_blocks is None else int(self.point_blocks.size)

    def layer(self, b: int, l: int) -> np.ndarray:
        """Pattern of block ``b`` (from 0) on hidden layer ``l`` (from 0): bool (n_{l+1},).

        Examples
        --------
        >>> PatternAssignment((1, 3, 2, 1), [[1, 1, 0, 1, 0]]).layer(0, 1).tolist()
        [True, False]
        """
        o = self._offsets
        return self.patterns[b, o[l]:o[l + 1]]

    def layers(self, b: int) -> list[np.ndarray]:
        """All hidden-layer patterns of block ``b``.

        Examples
        --------
        >>> [p.astype(int).tolist() for p in PatternAssignment((1, 2, 1, 1), [[1, 0, 1]]).layers(0)]
        [[1, 0], [1]]
        """
        return [self.layer(b, l) for l in range(len(self.hidden_widths))]

    def active(self, b: int, l: int = 0) -> np.ndarray:
        """Indices (from 0) of the active neurons of block ``b`` on hidden layer ``l``.

        Examples
        --------
        >>> PatternAssignment((2, 3, 2), [[0, 1, 1]]).active(0).tolist()
        [1, 2]
        """
        return np.flatnonzero(self.layer(b, l))

    # ------------------------------------------------------------------- data
    def with_points(self, point_blocks: object) -> "PatternAssignment":
        """The same blocks with data points attached (``point_blocks[j]`` = block of point j).

        Examples
        --------
        >>> PatternAssignment((2, 2, 2), [[1, 0], [1, 1]]).with_points([0, 0, 1]).n_points
        3
        """
        return PatternAssignment(self.widths, self.patterns, point_blocks)

    def split_data(self, X: object) -> list[np.ndarray]:
        """Split data points ``X`` (n, n_0), one per row, into blocks ``X_b`` (n_0, n_b) of columns.

        The blocks are returned in the mathematical orientation: data points are the
        *columns* of ``X_b``, so that the outputs of block ``b`` are ``M_b X_b``.

        Raises
        ------
        ValueError
            Without ``point_blocks`` or when the number of points disagrees.

        Examples
        --------
        >>> A = PatternAssignment((2, 2, 2), [[1, 0], [1, 1]], point_blocks=[1, 0, 1])
        >>> [Xb.shape for Xb in A.split_data([[1, 2], [3, 4], [5, 6]])]
        [(2, 1), (2, 2)]
        """
        if self.point_blocks is None:
            raise ValueError("this assignment has no data points attached; give point_blocks")
        Xa = np.asarray(X, dtype=object if _is_exact(X) else float)
        if Xa.ndim != 2 or Xa.shape != (self.point_blocks.size, self.widths[0]):
            raise ValueError(
                f"X must have shape ({self.point_blocks.size}, {self.widths[0]}) (one data point "
                f"per row, one row per entry of point_blocks); got {Xa.shape}"
            )
        return [Xa[self.point_blocks == b].T for b in range(self.n_blocks)]

    def point_patterns(self) -> np.ndarray:
        """The flat pattern of every attached data point: bool (n, N).

        Examples
        --------
        >>> PatternAssignment((2, 2, 2), [[1, 0], [1, 1]], [1, 0]).point_patterns().astype(int).tolist()
        [[1, 1], [1, 0]]
        """
        if self.point_blocks is None:
            raise ValueError("this assignment has no data points attached; give point_blocks")
        return self.patterns[self.point_blocks]

    # ------------------------------------------------------------------- text
    def to_text(self) -> str:
        """The text form ``"110,10;011,11"`` (see :func:`parse_blocks`).

        Examples
        --------
        >>> PatternAssignment((2, 3, 2, 1), [[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]]).to_text()
        '110,10;011,11'
        """
        return ";".join(
            ",".join("".join("1" if v else "0" for v in p) for p in self.layers(b))
            for b in range(self.n_blocks)
        )

    @classmethod
    def from_text(cls, text: str, widths: Sequence[int], point_blocks: object = None) -> "PatternAssignment":
        """Parse the text form; see :func:`parse_blocks`.

        Examples
        --------
        >>> PatternAssignment.from_text("10;11", (2, 2, 2)).n_blocks
        2
        """
        return parse_blocks(text, widths, point_blocks=point_blocks)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        extra = "" if self.point_blocks is None else f", n_points={self.point_blocks.size}"
        return f"PatternAssignment(widths={self.widths}, blocks={self.to_text()!r}{extra})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PatternAssignment):
            return NotImplemented
        same_pb = (self.point_blocks is None and other.point_blocks is None) or (
            self.point_blocks is not None and other.point_blocks is not None
            and np.array_equal(self.point_blocks, other.point_blocks))
        return self.widths == other.widths and np.array_equal(self.patterns, other.patterns) and same_pb

    __hash__ = None  # type: ignore[assignment]

    # --------------------------------------------------------------- networks
    @classmethod
    def from_network(cls, net: object, X: object) -> "PatternAssignment":
        """The patterns a concrete network has on concrete data, grouped into blocks.

        Blocks are the distinct patterns in order of first appearance; ties (pre-activation
        exactly 0) count as inactive, as in
        :meth:`relugeom.network.ReLUNetwork.activation_patterns`.

        Parameters
        ----------
        net : ReLUNetwork
            A fully connected ReLU network (pattern assignments are stated for those; a
            general network gets a ``NetworkError`` unless it is such a chain).
        X : array_like (n, n_0)
            One data point per row.

        Examples
        --------
        >>> from relugeom.network import ReLUNetwork
        >>> net = ReLUNetwork([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0]]])
        >>> A = PatternAssignment.from_network(net, [[1, -1], [2, -3], [1, 1]])
        >>> A.to_text(), A.point_blocks.tolist()
        ('10;11', [0, 0, 1])
        """
        from ..network import as_relu_network

        net = as_relu_network(net, what="activation pattern assignments")
        P = np.asarray(net.activation_patterns(X), dtype=bool)
        if P.shape[1] == 0:
            raise ValueError("the network has no hidden layer; activation patterns are empty")
        uniq, first, inverse = np.unique(P, axis=0, return_index=True, return_inverse=True)
        order = np.argsort(first)
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        return cls(tuple(net.widths), uniq[order], rank[np.asarray(inverse).reshape(-1)])


def _is_exact(X: object) -> bool:
    """True when X holds Fractions/ints as Python objects (keep them exact)."""
    from fractions import Fraction

    try:
        flat = np.asarray(X, dtype=object).ravel()
    except Exception:  # pragma: no cover - ragged input fails later with a clear message
        return False
    return flat.size > 0 and isinstance(flat[0], Fraction)


def parse_blocks(text: str, widths: Sequence[int], *, point_blocks: object = None) -> PatternAssignment:
    """Parse blocks of activation patterns from text.

    One block per pattern, blocks separated by semicolons, hidden layers within a block by
    commas, each layer a string of 0/1 of the layer's width; whitespace is ignored.

    Parameters
    ----------
    text : str
        E.g. ``"110,10;011,11"`` for widths ``(n_0, 3, 2, n_3)``.
    widths : sequence of int
        ``(n_0, …, n_L)``.
    point_blocks : array_like of int, optional
        Block of every data point.

    Raises
    ------
    ParseError
        Naming the block and layer (from 1) with the wrong length or character.

    Examples
    --------
    >>> parse_blocks("110,10;011,11", (2, 3, 2, 2)).n_blocks
    2
    >>> parse_blocks("10;1", (2, 2, 2))
    Traceback (most recent call last):
    ...
    relugeom.errors.ParseError: block 2, hidden layer 1: expected 2 digits (width n_1 = 2); got '1'
    """
    w = _check_widths(widths)
    if not isinstance(text, str):
        raise ParseError(f"pattern blocks must be given as a string; got {type(text).__name__}")
    s = "".join(text.split())
    if not s:
        raise ParseError("no pattern blocks given (expected e.g. '10;11')")
    hidden = w[1:-1]
    rows = []
    for bi, block in enumerate(s.split(";"), start=1):
        if not block:
            raise ParseError(f"block {bi} is empty (two semicolons in a row, or a trailing one?)")
        parts = block.split(",")
        if len(parts) != len(hidden):
            raise ParseError(
                f"block {bi}: expected {len(hidden)} hidden layer pattern(s) separated by commas "
                f"(widths {w}); got {len(parts)} in {block!r}"
            )
        row: list[bool] = []
        for li, (part, n) in enumerate(zip(parts, hidden), start=1):
            bad = [c for c in part if c not in "01"]
            if bad:
                raise ParseError(
                    f"block {bi}, hidden layer {li}: only the characters 0 and 1 are allowed; "
                    f"got {bad[0]!r} in {part!r}"
                )
            if len(part) != n:
                raise ParseError(
                    f"block {bi}, hidden layer {li}: expected {n} digits (width n_{li} = {n}); got {part!r}"
                )
            row.extend(c == "1" for c in part)
        rows.append(row)
    return PatternAssignment(w, np.array(rows, dtype=bool), point_blocks)
