"""Conversion between :class:`ReLUNetwork` and PyTorch ``nn.Sequential`` models.

``torch`` is imported only inside these functions, never when relugeom is imported.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ..errors import NetworkError, UnsupportedLayerError
from ._network import ReLUNetwork

__all__ = ["from_torch", "to_torch"]

log = logging.getLogger(__name__)

_SUPPORTED = "relugeom reads nn.Sequential of Linear and ReLU (Flatten and Identity allowed)"


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            "converting PyTorch models needs PyTorch: pip install torch==2.13.0"
        ) from None
    return torch


def _flatten(module: Any, prefix: str, nn: Any) -> list[tuple[str, Any]]:
    if isinstance(module, nn.Sequential):
        out: list[tuple[str, Any]] = []
        for name, child in module.named_children():
            out += _flatten(child, f"{prefix}.{name}" if prefix else name, nn)
        return out
    return [(prefix or "<root>", module)]


def from_torch(module: Any) -> ReLUNetwork:
    """Convert a PyTorch ``nn.Sequential`` of ``Linear`` and ``ReLU`` modules.

    Nested ``nn.Sequential`` containers are flattened; ``Flatten`` and ``Identity`` are
    skipped (a fully connected network sees flat feature vectors). The sequence must read
    ``Linear (ReLU Linear)*`` after that, with two relaxations that keep the function the
    module computes:

    - consecutive ``Linear`` layers with no ``ReLU`` between them are composed into one
      affine layer (``W_2 W_1``, ``W_2 b_1 + b_2``, in float64), so the result may have
      fewer layers than the module;
    - repeated ``ReLU`` modules count as one, and a trailing ``ReLU`` is followed by an
      identity output layer.

    A bare ``nn.Linear`` is accepted too. Weights (float32, float64, or any floating type)
    are converted to float64.

    Parameters
    ----------
    module : torch.nn.Sequential or torch.nn.Linear

    Returns
    -------
    ReLUNetwork

    Raises
    ------
    UnsupportedLayerError
        For any other module; the message names its class, its name in the model and its
        position in the flattened sequence.
    ImportError
        If PyTorch is not installed.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> m = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(2, 3), torch.nn.ReLU(),
    ...                         torch.nn.Linear(3, 1))
    >>> net = from_torch(m)
    >>> net.widths
    (2, 3, 1)
    >>> x = torch.tensor([[0.5, -1.0]])
    >>> bool(np.allclose(net(x.numpy()), m(x).detach().numpy()))
    True
    >>> from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid()))
    Traceback (most recent call last):
    ...
    relugeom.errors.UnsupportedLayerError: torch module '1' (Sigmoid, position 1 of the flattened sequence) is not supported: relugeom reads nn.Sequential of Linear and ReLU (Flatten and Identity allowed)
    """
    torch = _import_torch()
    nn = torch.nn
    if not isinstance(module, nn.Module):
        raise TypeError(f"from_torch expects a torch.nn.Module; got {type(module).__name__}")
    if not isinstance(module, (nn.Sequential, nn.Linear)):
        raise UnsupportedLayerError(
            f"torch module of class {type(module).__name__} is not supported: {_SUPPORTED}; "
            "a custom module's forward() cannot be read, wrap its layers in nn.Sequential")
    items = _flatten(module, "", nn)

    weights: list[np.ndarray] = []
    biases: list[np.ndarray] = []
    pending: tuple[np.ndarray, np.ndarray] | None = None  # the affine map since the last ReLU
    relu_seen = False
    for pos, (name, m) in enumerate(items):
        where = f"torch module '{name}' ({type(m).__name__}, position {pos} of the flattened sequence)"
        if isinstance(m, (nn.Flatten, nn.Identity)):
            continue
        if isinstance(m, nn.Linear):
            W = m.weight.detach().cpu().to(torch.float64).numpy().copy()
            b = (m.bias.detach().cpu().to(torch.float64).numpy().copy() if m.bias is not None
                 else np.zeros(W.shape[0]))
            if pending is None:
                pending = (W, b)
            else:
                A, c = pending
                if W.shape[1] != A.shape[0]:
                    raise NetworkError(f"{where} expects {W.shape[1]} inputs but the previous "
                                       f"layer has {A.shape[0]} outputs")
                pending = (W @ A, W @ c + b)
            relu_seen = False
            continue
        if isinstance(m, nn.ReLU):
            if pending is None and not weights:
                raise UnsupportedLayerError(
                    f"{where} comes before any Linear layer: the model must start with Linear")
            if pending is not None:
                weights.append(pending[0])
                biases.append(pending[1])
                pending = None
            relu_seen = True
            continue
        raise UnsupportedLayerError(f"{where} is not supported: {_SUPPORTED}")
    if pending is None and not weights:
        raise UnsupportedLayerError(f"the torch model has no Linear layer: {_SUPPORTED}")
    if pending is None:  # ends with ReLU: identity output layer
        assert relu_seen
        n = weights[-1].shape[0]
        pending = (np.eye(n), np.zeros(n))
    weights.append(pending[0])
    biases.append(pending[1])
    return ReLUNetwork(weights, biases)


def to_torch(net: ReLUNetwork, dtype: Any = None) -> Any:
    """Build a PyTorch ``nn.Sequential`` (``Linear``, ``ReLU``, …, ``Linear``) computing ``net``.

    Parameters
    ----------
    net : ReLUNetwork
    dtype : torch.dtype or str, optional
        Parameter type; default ``torch.float64`` (exact copy of the weights). ``"float32"``
        or ``torch.float32`` rounds them.

    Returns
    -------
    torch.nn.Sequential

    Examples
    --------
    >>> import torch
    >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
    >>> m = to_torch(net)
    >>> m(torch.tensor([[-3.0]], dtype=torch.float64)).tolist()
    [[3.0]]
    >>> from_torch(m) == net
    True
    """
    torch = _import_torch()
    if dtype is None:
        dtype = torch.float64
    elif isinstance(dtype, str):
        if dtype not in ("float64", "float32", "float16", "bfloat16"):
            raise ValueError(f"dtype must be a torch floating dtype name; got {dtype!r}")
        dtype = getattr(torch, dtype)
    layers: list[Any] = []
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(np.array(W), dtype=dtype))
            lin.bias.copy_(torch.as_tensor(np.array(b), dtype=dtype))
        layers.append(lin)
        if l < net.n_layers - 1:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)
