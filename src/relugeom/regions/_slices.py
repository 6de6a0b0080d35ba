"""The plane through three inputs, and loading those inputs from files.

The picture people in the field expect of an image classifier (SplineCam, Humayun et al.,
CVPR 2023) is the complex of linear regions on the plane through three inputs, coloured by
the predicted class. :func:`slice_through` builds that plane as a :class:`Slice`;
:func:`relugeom.load_point` reads an input from a ``.npy`` file or from the centre of a
VNN-LIB property's input box.

Examples
--------
>>> import numpy as np
>>> sl = slice_through([0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 0.0])
>>> sl.to_ambient([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]).tolist()
[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..polyhedra import Box
from ._enumerate import Slice

__all__ = ["slice_through", "PlaneSlice"]

#: Two directions count as parallel (the three points collinear) when the sine of the angle
#: between them is below this. A geometric test of the user's input, not a numerical
#: tolerance of the library's LPs.
_COLLINEAR_SIN = 1e-9


class PlaneSlice(Slice):
    """A :class:`Slice` through three points ``P0, P1, P2``, built by :func:`slice_through`.

    ``origin = P0`` and ``directions = [P1 - P0, P2 - P0]``, so the points sit at the slice
    coordinates ``(0, 0)``, ``(1, 0)`` and ``(0, 1)``; pictures mark them there.

    Examples
    --------
    >>> sl = slice_through([0.0, 0.0], [1.0, 0.0], [0.0, 1.0])
    >>> isinstance(sl, Slice), sl.points().tolist()
    (True, [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    """

    #: Slice coordinates of P0, P1, P2.
    COORDS = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])

    def points(self) -> np.ndarray:
        """The three points (flat, ``(3, n_0)``); see the class example."""
        return self.to_ambient(self.COORDS)


def slice_through(p0: object, p1: object, p2: object, *, box: tuple[float, float] = (0.0, 1.0)) -> PlaneSlice:
    r"""The plane ``x = p0 + s (p1 - p0) + t (p2 - p0)`` with ``(s, t)`` in ``[lo, hi]^2``.

    Parameters
    ----------
    p0, p1, p2 : array_like
        Three inputs of the same size (any shape, e.g. the network's input shape, or flat);
        they are flattened.
    box : (lo, hi)
        The slice domain ``[lo, hi]^2`` in the coordinates ``(s, t)``. The default
        ``(0, 1)`` shows the square spanned by the three points; ``(-0.25, 1.25)`` leaves a
        margin around them.

    Returns
    -------
    PlaneSlice
        A :class:`Slice` (pass it as the domain of
        :func:`~relugeom.regions.enumerate_regions`); ``p0``, ``p1``, ``p2`` are at
        ``(0, 0)``, ``(1, 0)``, ``(0, 1)``.

    Raises
    ------
    ValueError
        If the points differ in size, are not finite, are collinear, or the box is not
        ``lo < hi`` with finite ends.

    Examples
    --------
    >>> from relugeom.network import random_network
    >>> from relugeom.regions import enumerate_regions
    >>> net = random_network((4, 8, 8, 3), rng=0)
    >>> sl = slice_through([0, 0, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], box=(-0.5, 1.5))
    >>> sl.to_ambient([[1.0, 0.0]]).tolist()
    [[1.0, 0.0, 0.0, 0.0]]
    >>> sl.domain
    Box(lo=[-0.5, -0.5], hi=[1.5, 1.5])
    >>> cx = enumerate_regions(net, sl)
    >>> cx.dim, cx.slice is sl
    (2, True)
    """
    pts = []
    for name, p in (("p0", p0), ("p1", p1), ("p2", p2)):
        try:
            a = np.asarray(p, dtype=float).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be a numeric array; got {type(p).__name__} ({exc})") from None
        if a.size == 0:
            raise ValueError(f"{name} is empty")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} has {int(np.sum(~np.isfinite(a)))} non-finite entries (NaN or inf)")
        pts.append(a)
    sizes = [a.size for a in pts]
    if len(set(sizes)) != 1:
        raise ValueError(f"the three points must have the same number of entries; got sizes {sizes}")
    lo, hi = _check_box(box)
    u, v = pts[1] - pts[0], pts[2] - pts[0]
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu == 0 or nv == 0:
        which = "P1" if nu == 0 else "P2"
        raise ValueError(f"{which} equals P0; three distinct, non-collinear points are needed")
    uh, vh = u / nu, v / nv
    if np.linalg.norm(vh - (uh @ vh) * uh) < _COLLINEAR_SIN:  # sine of the angle between them
        raise ValueError("the three points are collinear (P1 - P0 and P2 - P0 are parallel); they span no plane")
    return PlaneSlice(pts[0], np.stack([u, v]), Box([lo, lo], [hi, hi]))


def _check_box(box: object) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in box)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(f"box must be a pair (lo, hi) of numbers; got {box!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"box ends must be finite; got ({lo}, {hi})")
    if not lo < hi:
        raise ValueError(f"box needs lo < hi; got ({lo}, {hi})")
    return lo, hi
