"""Loading and saving networks: .npz, and dispatch by file extension."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import NetworkError
from ._graph import Network
from ._network import ReLUNetwork

__all__ = ["load_npz", "save_npz", "load_network"]


def load_npz(path: str | os.PathLike) -> ReLUNetwork:
    """Load a network from ``.npz`` with keys ``W0, b0, W1, b1, …`` (W_l shaped (out, in)).

    The file is read with ``allow_pickle=False``.

    Examples
    --------
    >>> import tempfile, os
    >>> net = ReLUNetwork([[[1.0, 2.0]], [[3.0]]])
    >>> p = os.path.join(tempfile.mkdtemp(), "n.npz"); save_npz(net, p)
    >>> load_npz(p) == net
    True
    """
    with np.load(path, allow_pickle=False) as z:
        keys = set(z.files)
        L = 0
        while f"W{L}" in keys:
            L += 1
        if L == 0:
            raise NetworkError(f"{path}: no key 'W0'; expected keys W0, b0, W1, b1, …; got {sorted(keys)}")
        extra = keys - {f"W{l}" for l in range(L)} - {f"b{l}" for l in range(L)}
        if extra:
            raise NetworkError(f"{path}: unexpected keys {sorted(extra)}; expected W0..W{L-1}, b0..b{L-1}")
        Ws = [z[f"W{l}"] for l in range(L)]
        bs = [z[f"b{l}"] if f"b{l}" in keys else None for l in range(L)]
    return ReLUNetwork(Ws, bs)


def save_npz(net: ReLUNetwork, path: str | os.PathLike) -> None:
    """Save a network to ``.npz`` (keys ``W0, b0, …``).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "n.npz")
    >>> save_npz(ReLUNetwork([[[1.0]]]), p); sorted(np.load(p).files)
    ['W0', 'b0']
    """
    arrays = {}
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        arrays[f"W{l}"], arrays[f"b{l}"] = W, b
    np.savez(path, **arrays)


def load_network(path: str | os.PathLike) -> Network:
    """Load a network by file extension: ``.npz``, ``.onnx`` or ``.nnet``.

    ``.npz`` and ``.nnet`` files hold fully connected ReLU networks (a
    :class:`ReLUNetwork`); an ONNX file gives a :class:`ReLUNetwork` when its graph is a
    fully connected ReLU chain and a :class:`Network` otherwise (see
    :func:`relugeom.network.load_onnx`).

    Examples
    --------
    >>> load_network("net.h5")
    Traceback (most recent call last):
    ...
    relugeom.errors.NetworkError: cannot load 'net.h5': unknown extension '.h5' (use .npz, .onnx or .nnet)
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".npz":
        return load_npz(p)
    if ext == ".onnx":
        from ._onnx import load_onnx

        return load_onnx(p)
    if ext == ".nnet":
        from ._nnet import load_nnet

        return load_nnet(p)
    raise NetworkError(f"cannot load '{path}': unknown extension '{ext}' (use .npz, .onnx or .nnet)")
