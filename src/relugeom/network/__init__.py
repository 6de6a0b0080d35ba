"""ReLU networks: layers, evaluation, activation patterns, local affine maps, loaders.

Examples
--------
>>> from relugeom.network import ReLUNetwork
>>> ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]]).n_neurons
2
"""

from ._io import load_network, load_npz, save_npz
from ._network import ReLUNetwork
from ._examples import example_network

__all__ = ["ReLUNetwork", "load_network", "load_npz", "save_npz", "example_network",
           "load_onnx", "save_onnx", "load_nnet", "save_nnet", "from_torch", "to_torch"]


def __getattr__(name: str):  # lazy optional loaders (torch/onnx import only on use)
    if name in ("load_onnx", "save_onnx"):
        from . import _onnx

        return getattr(_onnx, name)
    if name in ("load_nnet", "save_nnet"):
        from . import _nnet

        return getattr(_nnet, name)
    if name in ("from_torch", "to_torch"):
        from . import _torch

        return getattr(_torch, name)
    raise AttributeError(f"module 'relugeom.network' has no attribute {name!r}")
