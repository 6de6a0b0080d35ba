"""The symmetry hook of implicitization: compute only canonical multidegree blocks.

If a permutation σ of the output coordinates maps the image of a parametrization onto
itself, then substituting ``y_k ↦ y_{σ(k)}`` maps the ideal ``I`` onto itself and sends the
graded piece of multidegree ``β`` onto the piece of multidegree ``σ·β``. The engine then
computes one representative block per orbit and obtains the others by renaming variables.

The protocol
------------
A *block symmetry* is any object with a method (and optionally a vectorized
``canonical_many(list_of_multidegrees) -> list of (c, perm)``, used when present)

``canonical(multidegree: tuple[int, ...]) -> tuple[tuple[int, ...], numpy.ndarray]``

returning a canonical multidegree ``c`` (the same for every multidegree of one orbit) and a
permutation ``perm`` (int array of length ``n_outputs``) such that renaming every variable
``y_k`` to ``y_{perm[k]}`` maps the block of multidegree ``c`` onto the block of
``multidegree``. The engine checks that the renamed monomials are exactly those of the
target block (an inconsistent symmetry raises ``ValueError``). Soundness never depends on
the symmetry: every returned generator is certified on the parametrization itself; a wrong
symmetry can only make the result incomplete or fail its certificates.

:class:`PermutationSymmetry` implements the protocol for an explicit finite group of
coordinate permutations (the ReLU pattern maps pass the row and column permutations of
``S_{n_L} × S_{n_0}``).

Examples
--------
>>> G = np.array([[1, 0], [0, 1]])            # y1 has degree (1,0), y2 has degree (0,1)
>>> sym = PermutationSymmetry([[1, 0]], G)    # swapping y1 and y2 is a symmetry
>>> sym.canonical((0, 2))
((2, 0), array([1, 0]))
"""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import numpy as np

__all__ = ["BlockSymmetry", "PermutationSymmetry"]


@runtime_checkable
class BlockSymmetry(Protocol):
    """Maps a multidegree to its canonical representative and a variable permutation.

    Examples
    --------
    >>> isinstance(PermutationSymmetry([[0, 1]], np.eye(2, dtype=int)), BlockSymmetry)
    True
    """

    def canonical(self, multidegree: tuple[int, ...]) -> tuple[tuple[int, ...], np.ndarray]:
        ...


def _closure(gens: list[np.ndarray], m: int, max_order: int) -> list[np.ndarray]:
    ident = np.arange(m)
    seen = {tuple(ident)}
    group = [ident]
    frontier = [ident]
    while frontier:
        nxt = []
        for g in frontier:
            for s in gens:
                h = s[g]  # h(k) = s(g(k))
                key = tuple(h)
                if key not in seen:
                    seen.add(key)
                    group.append(h)
                    nxt.append(h)
                    if len(group) > max_order:
                        raise ValueError(f"the permutation group has more than {max_order} elements")
        frontier = nxt
    return group


class PermutationSymmetry:
    """A finite group of output-coordinate permutations preserving the image.

    Parameters
    ----------
    generators : sequence of permutations (int sequences of length n_outputs)
        Generators of the group; ``perm[k]`` is the image of variable ``k``. The closure is
        computed (at most ``max_order`` elements).
    grading : int array (n_outputs, r)
        The grading used by implicitization (``Parametrization.grading()``). Each
        permutation must map grading classes linearly: ``G[perm[k]] = T G[k]`` for one
        matrix ``T``.
    max_order : int
        Refuse groups larger than this.

    Examples
    --------
    Row/column swaps of a 2x2 matrix ``[[y1, y2], [y3, y4]]`` graded by (row, column):

    >>> G = np.array([[1, 0, 1, 0], [1, 0, 0, 1], [0, 1, 1, 0], [0, 1, 0, 1]])
    >>> sym = PermutationSymmetry([[2, 3, 0, 1], [1, 0, 3, 2]], G)
    >>> sym.order
    4
    >>> sym.canonical((0, 2, 1, 1))[0]
    (2, 0, 1, 1)
    """

    def __init__(self, generators: Sequence[Sequence[int]], grading: np.ndarray, *,
                 max_order: int = 100_000) -> None:
        G = np.asarray(grading, dtype=np.int64)
        m = G.shape[0]
        gens = []
        for g in generators:
            g = np.asarray(g, dtype=np.int64)
            if g.shape != (m,) or sorted(g.tolist()) != list(range(m)):
                raise ValueError(f"each generator must be a permutation of range({m}); got {g.tolist()}")
            gens.append(g)
        self.grading = G
        self.group = _closure(gens, m, max_order)
        Gf = G.astype(np.float64)
        Ts = []
        for g in self.group:
            # find T with G[g] = G @ T^T  (rows: G[g[k]] = T G[k])
            if G.shape[1] == 0:
                Ts.append(np.zeros((0, 0)))
                continue
            T, *_ = np.linalg.lstsq(Gf, Gf[g], rcond=None)
            Tt = np.rint(T)
            if not np.array_equal(G @ Tt.astype(np.int64), G[g]):
                raise ValueError("a permutation does not act linearly on the multidegrees")
            Ts.append(Tt.T.astype(np.int64))
        self._T = np.array(Ts, dtype=np.int64).reshape(len(Ts), G.shape[1], G.shape[1])
        self._cache: dict[tuple[int, ...], tuple[tuple[int, ...], np.ndarray]] = {}

    @property
    def order(self) -> int:
        """The number of group elements.

        Examples
        --------
        >>> PermutationSymmetry([[1, 0]], np.eye(2, dtype=int)).order
        2
        """
        return len(self.group)

    def canonical_many(self, multidegrees: Sequence[tuple[int, ...]]) -> list[tuple[tuple[int, ...], np.ndarray]]:
        """:meth:`canonical` for many multidegrees at once (vectorized).

        Examples
        --------
        >>> PermutationSymmetry([[1, 0]], np.eye(2, dtype=int)).canonical_many([(1, 3), (3, 1)])[0][0]
        (3, 1)
        """
        B = np.asarray(multidegrees, dtype=np.int64).reshape(len(multidegrees), -1)
        if B.shape[0] == 0:
            return []
        ng, r = self._T.shape[0], self._T.shape[1]
        chunk = max(1, 4_000_000 // max(1, ng * max(r, 1)))
        out = []
        for s0 in range(0, B.shape[0], chunk):
            Bc = B[s0:s0 + chunk]
            imgs = np.einsum("gij,bj->bgi", self._T, Bc)  # (nb, |G|, r)
            lo = imgs.min(axis=(0, 1))
            span = imgs.max(axis=(0, 1)) - lo + 1
            if float(np.sum(np.log2(span.astype(np.float64)))) >= 62:
                out.extend(self.canonical(tuple(b)) for b in Bc)
                continue
            score = np.zeros(imgs.shape[:2], dtype=np.int64)
            for c in range(imgs.shape[2]):
                score = score * int(span[c]) + (imgs[:, :, c] - lo[c])
            best = np.argmax(score, axis=1)
            for bi, gi in enumerate(best):
                g = self.group[int(gi)]
                inv = np.empty_like(g)
                inv[g] = np.arange(g.size)
                out.append((tuple(int(v) for v in imgs[bi, gi]), inv))
        return out

    def canonical(self, multidegree: tuple[int, ...]) -> tuple[tuple[int, ...], np.ndarray]:
        ...


def _closure(gens: list[np.ndarray], m: int, max_order: int) -> list[np.ndarray]:
    ident = np.arange(m)
    seen = {tuple(ident)}
    group = [ident]
    frontier = [ident]
    while frontier:
        nxt = []
        for g in frontier:
            for s in gens:
                h = s[g]  # h(k) = s(g(k))
                key = tuple(h)
                if key not in seen:
                    seen.add(key)
                    group.append(h)
                    nxt.append(h)
                    if len(group) > max_order:
                        raise ValueError(f"the permutation group has more than {max_order} elements")
        frontier = nxt
    return group


class PermutationSymmetry:
    """A finite group of output-coordinate permutations preserving the image.

    Parameters
    ----------
    generators : sequence of permutations (int sequences of length n_outputs)
        Generators of the group; ``perm[k]`` is the image of variable ``k``. The closure is
        computed (at most ``max_order`` elements).
    grading : int array (n_outputs, r)
        The grading used by implicitization (``Parametrization.grading()``). Each
        permutation must map grading classes linearly: ``G[perm[k]] = T G[k]`` for one
        matrix ``T``.
    max_order : int
        Refuse groups larger than this.

    Examples
    --------
    Row/column swaps of a 2x2 matrix ``[[y1, y2], [y3, y4]]`` graded by (row, column):

    >>> G = np.array([[1, 0, 1, 0], [1, 0, 0, 1], [0, 1, 1, 0], [0, 1, 0, 1]])
    >>> sym = PermutationSymmetry([[2, 3, 0, 1], [1, 0, 3, 2]], G)
    >>> sym.order
    4
    >>> sym.canonical((0, 2, 1, 1))[0]
    (2, 0, 1, 1)
    """

    def __init__(self, generators: Sequence[Sequence[int]], grading: np.ndarray, *,
                 max_order: int = 100_000) -> None:
        G = np.asarray(grading, dtype=np.int64)
        m = G.shape[0]
        gens = []
        for g in generators:
            g = np.asarray(g, dtype=np.int64)
            if g.shape != (m,) or sorted(g.tolist()) != list(range(m)):
                raise ValueError(f"each generator must be a permutation of range({m}); got {g.tolist()}")
            gens.append(g)
        self.grading = G
        self.group = _closure(gens, m, max_order)
        Gf = G.astype(np.float64)
        Ts = []
        for g in self.group:
            # find T with G[g] = G @ T^T  (rows: G[g[k]] = T G[k])
            if G.shape[1] == 0:
                Ts.append(np.zeros((0, 0)))
                continue
            T, *_ = np.linalg.lstsq(Gf, Gf[g], rcond=None)
            Tt = np.rint(T)
            if not np.array_equal(G @ Tt.astype(np.int64), G[g]):
                raise ValueError("a permutation does not act linearly on the multidegrees")
            Ts.append(Tt.T.astype(np.int64))
        self._T = np.array(Ts, dtype=np.int64).reshape(len(Ts), G.shape[1], G.shape[1])
        self._cache: dict[tuple[int, ...], tuple[tuple[int, ...], np.ndarray]] = {}

    @property
    def order(self) -> int:
        """The number of group elements.

        Examples
        --------
        >>> PermutationSymmetry([[1, 0]], np.eye(2, dtype=int)).order
        2
        """
        return len(self.group)

    def canonical_many(self, multidegrees: Sequence[tuple[int, ...]]) -> list[tuple[tuple[int, ...], np.ndarray]]:
        """:meth:`canonical` for many multidegrees at once (vectorized).

        Examples
        --------
        >>> PermutationSymmetry([[1, 0]], np.eye(2, dtype=int)).canonical_many([(1, 3), (3, 1)])[0][0]
        (3, 1)
        """
        B = np.asarray(multidegrees, dtype=np.int64).reshape(len(multidegrees), -1)
        if B.shape[0] == 0:
            return []
        imgs = np.einsum("gij,bj->bgi", self._T, B)  # (nb, |G|, r)
        lo = imgs.min(axis=(0, 1))
        span = imgs.max(axis=(0, 1)) - lo + 1
        if float(np.sum(np.log2(span.astype(np.float64)))) >= 62:
            return [self.canonical(tuple(b)) for b in B]
        score = np.zeros(imgs.shape[:2], dtype=np.int64)
        for c in range(imgs.shape[2]):
            score = score * int(span[c]) + (imgs[:, :, c] - lo[c])
        best = np.argmax(score, axis=1)
        out = []
        for bi, gi in enumerate(best):
            g = self.group[int(gi)]
            inv = np.empty_like(g)
            inv[g] = np.arange(g.size)
            out.append((tuple(int(v) for v in imgs[bi, gi]), inv))
        return out

    def canonical(self, multidegree: tuple[int, ...]) -> tuple[tuple[int, ...], np.ndarray]:
        """The lexicographically largest multidegree in the orbit, and a permutation to here.

        Examples
        --------
        >>> PermutationSymmetry([[1, 0]], np.eye(2, dtype=int)).canonical((1, 3))
        ((3, 1), array([1, 0]))
        """
        key = tuple(int(v) for v in multidegree)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        b = np.asarray(key, dtype=np.int64)
        images = self._T @ b  # (|G|, r): image multidegree under each element
        order = np.lexsort(images.T[::-1])
        best = images[order[-1]]
        gi = int(order[-1])
        # element g maps block(key) -> block(best); we need perm mapping best -> key: g^{-1}
        g = self.group[gi]
        inv = np.empty_like(g)
        inv[g] = np.arange(g.size)
        out = (tuple(int(v) for v in best), inv)
        self._cache[key] = out
        return out
