"""A growable row array: amortised appends without a second resident copy."""

from __future__ import annotations

import numpy as np

__all__ = ["Grow"]


class Grow:
    """A growable row array (amortised appends).

    Examples
    --------
    >>> g = Grow(np.zeros((2, 3))); g.extend(np.ones((4, 3))); g.v.shape
    (6, 3)
    """

    def __init__(self, arr: np.ndarray):
        self.a = np.ascontiguousarray(arr)
        self.n = len(arr)

    @property
    def v(self) -> np.ndarray:
        """The rows held (a view)."""
        return self.a[: self.n]

    def nbytes(self) -> int:
        """Bytes allocated (capacity included)."""
        return int(self.a.nbytes)

    def shrink(self) -> None:
        """Give the unused capacity back (in place when possible)."""
        if len(self.a) > self.n:
            try:
                self.a.resize((self.n,) + self.a.shape[1:], refcheck=False)
            except ValueError:
                self.a = self.a[: self.n].copy()

    def extend(self, block: np.ndarray) -> None:
        """Append rows."""
        need = self.n + len(block)
        if need > len(self.a):
            cap = max(need, int(len(self.a) * 1.3) + 64)
            try:  # realloc in place: no second copy resident (callers hold no live views)
                self.a.resize((cap,) + self.a.shape[1:], refcheck=False)
            except ValueError:  # does not own its data
                new = np.empty((cap,) + self.a.shape[1:], dtype=self.a.dtype)
                new[: self.n] = self.a[: self.n]
                self.a = new
        self.a[self.n: need] = block
        self.n = need
