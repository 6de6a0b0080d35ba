"""The plane through three inputs, and loading those inputs from files.

The picture people in the field expect of an image classifier (SplineCam, Humayun et al.,
CVPR 2023) is the complex of linear regions on the plane through three inputs, coloured by
the predicted class. :func:`slice_through` builds that plane as a :class:`Slice`;
:func:`load_point` reads an input from a ``.npy`` file or from the centre of a VNN-LIB
property's input box.

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

__all__ = ["slice_through", "load_point", "PlaneSlice", "MAX_POINT_BYTES"]

#: Largest ``.npy`` / ``.vnnlib`` file :func:`load_point` reads (bytes).
MAX_POINT_BYTES = 256 * 2 ** 20

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
    >>> slice_through([0, 0], [1, 1], [2, 2])
    Traceback (most recent call last):
    ...
    ValueError: the three points are collinear (P1 - P0 and P2 - P0 are parallel); they span no plane
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


def load_point(spec: str | os.PathLike, input_shape_or_dim: int | tuple[int, ...]) -> np.ndarray:
    """Read one network input from a file; returns it flat, ``(input_dim,)``.

    Parameters
    ----------
    spec : str or path
        ``FILE.npy``: a numeric array (read with ``allow_pickle=False``) of the input shape,
        flat, or the input shape with a leading batch axis of 1. ``vnnlib:FILE``: the
        centre of the input box of a VNN-LIB property (the property must have one input
        box, bounded in every ``X_i``).
    input_shape_or_dim : int or tuple of int
        The network's input shape (``net.input_shape``) or its input dimension.

    Returns
    -------
    ndarray (input_dim,)

    Raises
    ------
    ValueError
        One error naming the file and the problem: missing file, file over
        :data:`MAX_POINT_BYTES`, not a ``.npy`` array, pickled/object or non-numeric data,
        wrong size, NaN/inf entries; for VNN-LIB, a wrong number of inputs or an input set
        that is not one bounded box (:class:`~relugeom.errors.ParseError` for malformed
        VNN-LIB text).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> d = tempfile.mkdtemp()
    >>> np.save(os.path.join(d, "x.npy"), np.arange(6.0).reshape(2, 3))
    >>> load_point(os.path.join(d, "x.npy"), (2, 3)).tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    >>> load_point(os.path.join(d, "x.npy"), 5)
    Traceback (most recent call last):
    ...
    ValueError: ...x.npy: has shape (2, 3) (6 entries); the network's input has shape (5,) (5 entries)
    >>> _ = open(os.path.join(d, "p.vnnlib"), "w").write(
    ...     "(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)"
    ...     "(assert (>= X_0 0))(assert (<= X_0 1))(assert (>= X_1 -1))(assert (<= X_1 3))"
    ...     "(assert (>= Y_0 0))")
    >>> load_point("vnnlib:" + os.path.join(d, "p.vnnlib"), 2).tolist()
    [0.5, 1.0]
    """
    shape = (int(input_shape_or_dim),) if np.isscalar(input_shape_or_dim) else tuple(int(s) for s in input_shape_or_dim)
    dim = int(np.prod(shape))
    text = os.fspath(spec)
    if text.startswith("vnnlib:"):
        return _vnnlib_centre(Path(text[len("vnnlib:"):]), dim)
    path = Path(text)
    _check_file(path)
    if path.suffix.lower() != ".npy":
        raise ValueError(f"{path}: expected a .npy array file or vnnlib:FILE.vnnlib; got suffix "
                         f"{path.suffix or '(none)'!r}")
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if magic != b"\x93NUMPY":
        raise ValueError(f"{path}: not a readable .npy array (no NumPy header); save the point with np.save")
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "pickle" in str(exc).lower():
            raise ValueError(f"{path}: holds pickled (object) data, which relugeom never loads; "
                             "save a plain numeric array with np.save") from None
        raise ValueError(f"{path}: not a readable .npy array ({exc})") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable .npy array ({exc})") from None
    if not isinstance(arr, np.ndarray):
        raise ValueError(f"{path}: expected one array (.npy); got {type(arr).__name__}")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{path}: expected a real numeric array; got dtype {arr.dtype}")
    ok = (arr.shape == shape or arr.shape == (dim,) or arr.shape == (1, *shape) or arr.shape == (1, dim))
    if not ok:
        raise ValueError(f"{path}: has shape {arr.shape} ({arr.size} entries); the network's input has "
                         f"shape {shape} ({dim} entries)")
    x = arr.astype(float).reshape(-1)
    bad = ~np.isfinite(x)
    if bad.any():
        raise ValueError(f"{path}: has {int(bad.sum())} non-finite entries (NaN or inf), "
                         f"the first at flat index {int(np.flatnonzero(bad)[0])}")
    return x


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_POINT_BYTES:
        raise ValueError(f"{path}: {size:,} bytes is over the {MAX_POINT_BYTES:,}-byte limit for an input point")


def _vnnlib_centre(path: Path, dim: int) -> np.ndarray:
    _check_file(path)
    # verify sits above regions in the package layering; the parser is only needed here
    from ..verify._vnnlib import read_vnnlib  # noqa: PLC0415

    prop = read_vnnlib(path)
    if prop.n_inputs != dim:
        raise ValueError(f"{path}: declares {prop.n_inputs} inputs X_i; the network has {dim}")
    parts = []
    for inp, _ in prop.cases:
        for p in inp.parts:
            if not any(p.A.shape == q.A.shape and np.array_equal(p.A, q.A) and np.array_equal(p.b, q.b)
                       for q in parts):
                parts.append(p)
    if len(parts) != 1:
        raise ValueError(f"{path}: the input set is a union of {len(parts)} polytopes; a point needs "
                         "one input box")
    P = parts[0]
    if not isinstance(P, Box):
        raise ValueError(f"{path}: the input set is not a box ({_why_not_box(P, dim)}); "
                         "vnnlib: points need a lower and an upper bound on every X_i")
    return (np.asarray(P.lo, float) + np.asarray(P.hi, float)) / 2.0


def _why_not_box(P, dim: int) -> str:
    A = np.asarray(P.A)
    if len(A) == 0:
        return "it has no input constraints"
    single = np.count_nonzero(A, axis=1) == 1
    if not single.all():
        return f"{int((~single).sum())} constraints involve several X_i"
    has_lo = np.zeros(dim, bool)
    has_hi = np.zeros(dim, bool)
    for row in A:
        i = int(np.flatnonzero(row)[0])
        (has_hi if row[i] > 0 else has_lo)[i] = True
    for i in range(dim):
        if not has_lo[i]:
            return f"X_{i} has no lower bound"
        if not has_hi[i]:
            return f"X_{i} has no upper bound"
    return "unknown reason"  # pragma: no cover - the parser returns a Box then

