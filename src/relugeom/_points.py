"""Network inputs from files: ``.npy`` arrays and the centres of VNN-LIB input boxes.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> p = os.path.join(tempfile.mkdtemp(), "x.npy"); np.save(p, np.zeros(3))
>>> load_point(p, 3).tolist()
[0.0, 0.0, 0.0]
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .polyhedra import Box

__all__ = ["load_point", "MAX_POINT_BYTES"]

#: Largest ``.npy`` / ``.vnnlib`` file :func:`load_point` reads (bytes).
MAX_POINT_BYTES = 256 * 2 ** 20


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
    from .verify._vnnlib import read_vnnlib  # noqa: PLC0415 (imports onnx-free verify lazily)

    prop = read_vnnlib(path)
    if prop.n_inputs != dim:
        raise ValueError(f"{path}: declares {prop.n_inputs} inputs X_i; the network has {dim}")
    parts = prop.input_parts()
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

