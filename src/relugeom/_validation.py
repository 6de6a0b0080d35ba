"""One validation helper at the public boundary."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def as_array(
    a: object,
    *,
    name: str,
    ndim: int | None = None,
    shape: Sequence[int | None] | None = None,
    dtype: type = np.float64,
    finite: bool = True,
    error: type[Exception] = ValueError,
) -> np.ndarray:
    """Convert ``a`` to a float array and check its shape and values.

    Parameters
    ----------
    a : array_like
        The input.
    name : str
        The name used in error messages.
    ndim : int, optional
        Required number of dimensions.
    shape : sequence of int or None, optional
        Required shape; ``None`` entries are free.
    finite : bool
        Reject NaN and inf.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError
        With a message naming ``name``, the expectation and what was given.

    Examples
    --------
    >>> as_array([[1, 2]], name="A", shape=(None, 2)).shape
    (1, 2)
    >>> as_array([[1, 2]], name="A", shape=(None, 3))
    Traceback (most recent call last):
    ...
    ValueError: A must have shape (m, 3); got (1, 2)
    """
    try:
        arr = np.asarray(a, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise error(f"{name} must be a numeric array; got {type(a).__name__} ({exc})") from None
    if shape is not None:
        ndim = len(shape)
    if ndim is not None and arr.ndim != ndim:
        raise error(f"{name} must be {ndim}-dimensional; got shape {arr.shape}")
    if shape is not None:
        for want, got in zip(shape, arr.shape):
            if want is not None and want != got:
                letters = iter("mnkpq")
                spec = ", ".join(str(s) if s is not None else next(letters) for s in shape)
                raise error(f"{name} must have shape ({spec}); got {arr.shape}")
    if finite and arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise error(f"{name} contains NaN or inf (first at index {tuple(int(i) for i in bad)})")
    return arr


def as_points(x: object, d: int, *, name: str = "x", dtype: type = np.float64) -> tuple[np.ndarray, bool]:
    """Points (inputs, parameter vectors θ, …) as an (n, d) array, plus whether one was given.

    ``dtype`` is the array type (``np.int64`` for residues modulo a prime); NaN and inf are
    rejected for floats.

    Examples
    --------
    >>> as_points([1.0, 2.0], 2)[0].shape
    (1, 2)
    >>> as_points([[1, 2, 3]], 2, name="theta")
    Traceback (most recent call last):
    ...
    ValueError: theta must have shape (n, 2) or (2,); got (1, 3)
    """
    arr = as_array(x, name=name, dtype=dtype)
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != d:
        raise ValueError(
            f"{name} must have shape (n, {d}) or ({d},); got {np.shape(x)}"
        )
    return arr, single
