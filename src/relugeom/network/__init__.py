"""Networks: the one owner of network maths, and the loaders.

:class:`Network` is any feed-forward piecewise-linear network (convolutions, pooling,
residual connections, ReLU, leaky ReLU, max, clip, …) as a DAG of layers;
:class:`ReLUNetwork` is the fully connected ReLU chain, its common special case. Both give
every engine the same API: batched pre-activations, patterns and pieces, affine maps on
patterns, exact evaluation, bounds, slices.

Examples
--------
>>> from relugeom.network import ReLUNetwork
>>> ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]]).n_neurons
2
"""

from ._graph import Network, NetworkBuilder, as_network, as_relu_network
from ._layers import Layer
from ._io import load_network, load_npz, save_npz
from ._network import ReLUNetwork
from ._examples import example_network, random_network

__all__ = ["Network", "NetworkBuilder", "Layer", "ReLUNetwork", "as_network", "as_relu_network", "load_network",
           "load_npz", "save_npz", "example_network", "random_network",
           "load_onnx", "save_onnx", "load_nnet", "read_nnet", "save_nnet", "from_torch", "to_torch"]


def __getattr__(name: str):  # lazy optional loaders (torch/onnx import only on use)
    if name in ("load_onnx", "save_onnx"):
        from . import _onnx

        return getattr(_onnx, name)
    if name in ("load_nnet", "read_nnet", "NNetFile", "save_nnet"):
        from . import _nnet

        return getattr(_nnet, name)
    if name in ("from_torch", "to_torch"):
        from . import _torch

        return getattr(_torch, name)
    raise AttributeError(f"module 'relugeom.network' has no attribute {name!r}")
