r"""Conversion between relugeom networks and PyTorch modules.

:func:`from_torch` reads any ``nn.Module`` whose ``forward`` is a fixed graph of
piecewise-linear tensor operations: it traces the module with ``torch.fx`` (falling back to
``torch.export`` when the forward has Python control flow on shapes), runs the traced graph
once on an example input to learn every tensor's shape, and writes each operation as one
:class:`~relugeom.network.Layer` of a :class:`~relugeom.network.Network`. The result is
checked against the module at the example input.

How operations become layers
----------------------------
* affine modules and functions keep their structure: ``Linear``/``F.linear``/``@`` a
  constant → ``dense``; ``Conv1d``/``Conv2d``/``F.conv*`` (zero padding, also ``'same'``
  and ``'valid'``; other padding modes become a ``take`` before the convolution) →
  ``conv``; ``ConvTranspose1d/2d`` → a zero-stuffing ``take`` + ``affine`` and a ``conv``;
  ``BatchNorm`` in eval mode and arithmetic with constants → ``affine``; sums and
  differences of tensors → ``add``; ``AvgPool``/``AdaptiveAvgPool`` → ``avgpool`` (a
  ``dense`` map per channel when the adaptive windows are uneven); ``mean``/``sum`` →
  ``reduce_sum``; ``torch.cat``/``stack`` → ``concat``; constant ``F.pad`` → ``pad``;
  ``permute``/``transpose`` → ``transpose``;
* every other data movement (``view``, ``reshape``, ``flatten``, ``squeeze``, slicing,
  ``flip``, ``roll``, ``repeat``, ``expand``, nearest upsampling, reflect/replicate/circular
  padding, pixel shuffle, …) is found by running the operation on a tensor of entry
  numbers: a pure reshape becomes ``reshape``, anything else ``take``;
* piecewise-linear units: ``ReLU`` → ``relu``; ``LeakyReLU``/``PReLU``/``RReLU`` (eval) →
  ``leaky_relu``; ``abs`` → ``abs``; ``Hardtanh``/``ReLU6``/``clamp`` with constant
  bounds → ``clip``; ``Hardsigmoid`` → ``affine`` + ``clip``; ``Softshrink`` → ``clip`` +
  ``add``; ``maximum``/``minimum``/``max(a, b)``/``clamp`` with tensor bounds → ``max`` /
  ``min``; ``MaxPool``/``AdaptiveMaxPool`` (even windows) → ``maxpool``; ``amax``/``amin``
  and the values of ``max(dim)``/``min(dim)`` → ``reduce_max``/``reduce_min``.

Not supported (one :class:`~relugeom.errors.UnsupportedLayerError` naming the module or
function and the reason): smooth activations (GELU, Sigmoid, …) and normalisations by input
statistics (LayerNorm, GroupNorm), which are not piecewise linear; discontinuous functions
(sign, rounding, Hardshrink); products and quotients of input-dependent tensors; indices
(``argmax``, ``return_indices``); operations across the batch axis; modules in training
mode (batch norm, dropout); 3-D convolutions and pooling; data-dependent control flow.

``torch`` is imported only inside these functions, never when relugeom is imported.
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import math
import operator
import time
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from .._tol import EVAL_RTOL
from ..errors import NetworkError, UnsupportedLayerError
from ._graph import Network
from ._layers import Layer
from ._network import ReLUNetwork

__all__ = ["from_torch", "to_torch"]

log = logging.getLogger(__name__)

_SUPPORTED = "relugeom reads nn.Sequential of Linear and ReLU (Flatten and Identity allowed)"

#: a chain of dense layers and ReLUs is returned as a ReLUNetwork when its weight matrices
#: have at most this many entries in all
CHAIN_MAX_ENTRIES = 2 ** 24

#: a linear operation read by probing it on basis vectors may have at most this many
#: inputs and outputs per sample (the dense matrix has their product of entries)
PROBE_MAX_ENTRIES = 2 ** 24


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            "converting PyTorch models needs PyTorch: pip install torch==2.13.0"
        ) from None
    return torch


# ====================================================================== the old reader
def _flatten(module: Any, prefix: str, nn: Any) -> list[tuple[str, Any]]:
    if isinstance(module, nn.Sequential):
        out: list[tuple[str, Any]] = []
        for name, child in module.named_children():
            out += _flatten(child, f"{prefix}.{name}" if prefix else name, nn)
        return out
    return [(prefix or "<root>", module)]


def _plain_chain(items: list[tuple[str, Any]], nn: Any) -> Any:
    """The first Linear of a Sequential of exactly Linear/ReLU/Flatten/Identity, else None."""
    plain = (nn.Linear, nn.ReLU, nn.Flatten, nn.Identity)
    if not items or any(type(m) not in plain for _, m in items):
        return None
    for _, m in items:
        if type(m) is nn.Linear:
            return m
        if type(m) is nn.ReLU:
            return None
    return None


def _from_sequential(items: list[tuple[str, Any]], torch: Any) -> ReLUNetwork:
    """The dense reader: ``Linear (ReLU Linear)*`` with composition of consecutive Linears."""
    nn = torch.nn
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
            if pending is None and not weights:  # pragma: no cover - excluded by _plain_chain
                raise UnsupportedLayerError(
                    f"{where} comes before any Linear layer: the model must start with Linear")
            if pending is not None:
                weights.append(pending[0])
                biases.append(pending[1])
                pending = None
            relu_seen = True
            continue
        raise UnsupportedLayerError(f"{where} is not supported: {_SUPPORTED}")  # pragma: no cover
    if pending is None:  # ends with ReLU: identity output layer
        assert relu_seen and weights
        n = weights[-1].shape[0]
        pending = (np.eye(n), np.zeros(n))
    weights.append(pending[0])
    biases.append(pending[1])
    return ReLUNetwork(weights, biases)


# ====================================================================== from_torch
def from_torch(module: Any, input_shape: Sequence[int] | None = None, *,
               example_input: Any = None, check: bool = True) -> Network:
    """Convert a PyTorch module computing a piecewise-linear function into a network.

    The module is traced with ``torch.fx`` (or ``torch.export`` when ``fx`` cannot trace
    it), run once on an example input (a copy in float64, so the module is not changed)
    and every operation is written as a layer (see the module documentation of
    :mod:`relugeom.network._torch` for the list). Parameters and buffers are copied to
    float64. The network is checked against the module at the example input.

    A plain ``nn.Sequential`` of ``Linear``, ``ReLU``, ``Flatten`` and ``Identity`` (or a
    bare ``Linear``) is read directly as a :class:`ReLUNetwork`: nested ``Sequential``
    containers are flattened, consecutive ``Linear`` layers with no ``ReLU`` between them
    are composed into one affine layer (``W_2 W_1``, ``W_2 b_1 + b_2``), repeated ``ReLU``
    modules count as one, and a trailing ``ReLU`` is followed by an identity output layer.
    Other models give a :class:`Network`, or a :class:`ReLUNetwork` when they are a chain
    of dense layers and ReLUs.

    Parameters
    ----------
    module : torch.nn.Module
        In eval mode when it has batch norm or dropout (``model.eval()``).
    input_shape : tuple of int, optional
        Shape of one input sample, without the batch axis (e.g. ``(3, 32, 32)``). Needed
        unless the model starts with a ``Linear`` layer (then ``(in_features,)``) or
        ``example_input`` is given.
    example_input : tensor or array, optional
        An input batch ``(n, *input_shape)`` to trace with (its first sample is used);
        default: standard normal entries.
    check : bool, default True
        Evaluate the network at the example input and compare it with the module (relative
        tolerance ``relugeom._tol.EVAL_RTOL``). For large models this evaluation is a good
        part of the conversion time (about half for a ResNet-18 at 224 x 224).

    Returns
    -------
    Network
        A :class:`ReLUNetwork` for dense ReLU chains. Its input is flat or
        ``(n, *input_shape)``; its output the module's output per sample.

    Raises
    ------
    UnsupportedLayerError
        For an operation relugeom cannot represent; the message names the module (its
        qualified name and class) or the function, and why (e.g. "torch module
        'layer1.0.act' (GELU) is not supported: GELU is not piecewise linear"); for modules
        in training mode; for models that cannot be traced; when ``input_shape`` is needed.
    NetworkError
        When the model fails on the example input, or (``check``) the converted network
        does not match the model there.
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

    A small convolutional network:

    >>> cnn = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.ReLU(),
    ...                           torch.nn.MaxPool2d(2), torch.nn.Flatten(),
    ...                           torch.nn.Linear(8, 2)).eval()
    >>> net = from_torch(cnn, (1, 4, 4))
    >>> [layer.kind for layer in net.layers]
    ['input', 'conv', 'relu', 'maxpool', 'reshape', 'dense']
    >>> x = torch.randn(5, 1, 4, 4)
    >>> bool(np.allclose(net(x.numpy()), cnn(x).detach().numpy(), atol=1e-5))
    True
    >>> from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid()))
    Traceback (most recent call last):
    ...
    relugeom.errors.UnsupportedLayerError: torch module '1' (Sigmoid, position 1 of the flattened sequence) is not supported: Sigmoid is not piecewise linear
    """
    torch = _import_torch()
    nn = torch.nn
    if not isinstance(module, nn.Module):
        raise TypeError(f"from_torch expects a torch.nn.Module; got {type(module).__name__}")
    shape = _check_input_shape(input_shape)
    example = None
    if example_input is not None:
        example = torch.as_tensor(example_input).detach().cpu().to(torch.float64)
        if shape is not None and tuple(example.shape) == shape:
            example = example.reshape((1,) + shape)
        if example.ndim < 1 or example.shape[0] < 1:
            raise ValueError(f"example_input must have shape (n, *input_shape); got {tuple(example.shape)}")
        if shape is None:
            shape = _check_input_shape(tuple(example.shape[1:]))
        elif tuple(example.shape[1:]) != shape:
            raise ValueError(f"example_input must have shape (n, *{shape}) to match input_shape; "
                             f"got {tuple(example.shape)}")
        example = example[:1].clone()
    items = _flatten(module, "", nn) if isinstance(module, (nn.Sequential, nn.Linear)) else None
    if items is not None:
        first = _plain_chain(items, nn)
        if first is not None and (shape is None or shape == (first.in_features,)):
            return _from_sequential(items, torch)
    positions = ({name: pos for pos, (name, _) in enumerate(items)}
                 if items is not None and isinstance(module, nn.Sequential) else {})
    t0 = time.perf_counter()
    work = _float64_copy(module, torch)
    if _is_torch_leaf(work, nn):  # trace it as one module call, named '<root>'
        from collections import OrderedDict

        work = nn.Sequential(OrderedDict([("<root>", work)]))
    gm, how = _trace(work, shape, example, torch)
    if shape is None:
        shape = _infer_input_shape(gm, module, positions, torch)
    if example is None:
        gen = torch.Generator().manual_seed(0)
        example = torch.randn((1,) + shape, dtype=torch.float64, generator=gen)
    conv = _Converter(torch, gm, shape, example, positions, how, check)
    with torch.no_grad():
        net = conv.run()
    log.info("from_torch: %s traced with %s and converted in %.2f s: %r", type(module).__name__,
             how, time.perf_counter() - t0, net)
    kinds = {l.kind for l in net.layers}
    if conv.n_linear and kinds <= {"input", "dense", "relu", "reshape", "affine"}:
        widths = [net.input_dim] + [g.size for g in net.units] + [net.output_dim]
        if sum(a * b for a, b in zip(widths, widths[1:])) <= CHAIN_MAX_ENTRIES:
            chain = net.as_relu_network()
            if chain is not None:
                return chain
    return net


def _is_torch_leaf(m: Any, nn: Any) -> bool:
    mod = type(m).__module__ or ""
    return (mod.startswith("torch.nn") or mod.startswith("torch.ao.nn")) and not isinstance(
        m, (nn.Sequential, nn.ModuleList, nn.ModuleDict))


def _check_input_shape(input_shape: Any) -> tuple[int, ...] | None:
    if input_shape is None:
        return None
    if isinstance(input_shape, (int, np.integer)):
        input_shape = (int(input_shape),)
    try:
        shape = tuple(int(s) for s in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be a tuple of positive ints (one sample, no batch "
                         f"axis); got {input_shape!r}") from None
    if not shape or any(s < 1 for s in shape):
        raise ValueError(f"input_shape must be a tuple of positive ints (one sample, no batch "
                         f"axis); got {input_shape!r}")
    return shape


def _float64_copy(module: Any, torch: Any) -> Any:
    """A float64 CPU copy of the module (the caller's module is never changed)."""
    try:
        work = copy.deepcopy(module)
    except Exception as exc:  # pragma: no cover - modules that cannot be copied are rare
        raise NetworkError(f"cannot copy the torch module to convert it ({exc})") from None
    return work.to(device="cpu", dtype=torch.float64)


def _trace(work: Any, shape: tuple[int, ...] | None, example: Any, torch: Any) -> tuple[Any, str]:
    """A GraphModule of the module: torch.fx, else torch.export (needs the input shape)."""
    tracer = torch.fx.Tracer(autowrap_functions=tuple(_HELPERS))
    try:
        graph = tracer.trace(work)
        name = work.__class__.__name__
        return torch.fx.GraphModule(tracer.root, graph, name), "torch.fx"
    except Exception as exc:
        fx_error = f"{type(exc).__name__}: {exc}"
    if shape is None:
        raise UnsupportedLayerError(
            f"cannot trace the torch model with torch.fx ({fx_error}); pass input_shape so that "
            "relugeom can try torch.export")
    if example is None:
        example = torch.randn((1,) + shape, dtype=torch.float64,
                              generator=torch.Generator().manual_seed(0))
    # torch.export logs failed guards (with the whole graph) as warnings: silence torch's
    # loggers while it runs; the error below says what went wrong
    quiet = [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)
             if n == "torch" or n.startswith("torch.")]
    levels = [lg.level for lg in quiet]
    for lg in quiet:
        lg.setLevel(logging.ERROR)
    try:
        # (a failing export also prints its partial graph to stderr)
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            ep = torch.export.export(work, (example,))
        return ep.module(), "torch.export"
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = ""
        if "control flow" in fx_error or "data-dependent" in first or "DataDependent" in type(exc).__name__:
            hint = ("; its forward() branches on the values of tensors (data-dependent control "
                    "flow), which a network of fixed layers cannot represent")
        raise UnsupportedLayerError(
            f"cannot trace the torch model{hint}: torch.fx: {fx_error}; torch.export: "
            f"{type(exc).__name__}: {first}") from None
    finally:
        for lg, lv in zip(quiet, levels):
            lg.setLevel(lv)


def _infer_input_shape(gm: Any, module: Any, positions: dict, torch: Any) -> tuple[int, ...]:
    """``(in_features,)`` when the traced model starts with a Linear layer."""
    nn = torch.nn
    F = nn.functional
    skip_mods = (nn.Flatten, nn.Identity, nn.Dropout, nn.AlphaDropout)
    skip_fns = {torch.flatten, F.dropout, operator.pos}
    node = next((n for n in gm.graph.nodes if n.op == "placeholder"), None)
    hint = "pass from_torch(model, input_shape=...)"
    seq = isinstance(module, nn.Sequential)
    while node is not None:
        users = list(node.users)
        if len(users) != 1:
            break
        u = users[0]
        if u.op == "call_module":
            m = gm.get_submodule(u.target)
            if type(m) is nn.Linear:
                return (int(m.in_features),)
            if isinstance(m, skip_mods):
                node = u
                continue
            if seq:
                pos = positions.get(u.target)
                where = f"torch module '{u.target}' ({type(m).__name__}" + (
                    f", position {pos} of the flattened sequence)" if pos is not None else ")")
                raise UnsupportedLayerError(
                    f"cannot infer the input shape: the model must start with Linear, but {where} "
                    f"comes first; {hint}")
            break
        if u.op == "call_function" and u.target in skip_fns:
            node = u
            continue
        if u.op == "call_method" and u.target in ("flatten", "contiguous"):
            node = u
            continue
        if u.op == "call_function" and u.target is F.linear and u.args[0] is node:
            w = u.args[1] if len(u.args) > 1 else u.kwargs.get("weight")
            if getattr(w, "op", None) == "get_attr":
                W = _fetch_attr(gm, w.target)
                if getattr(W, "ndim", 0) == 2:
                    return (int(W.shape[1]),)
        if u.op == "output":
            if seq:
                raise UnsupportedLayerError(
                    f"cannot infer the input shape: the torch model has no Linear layer; {hint}")
        break
    raise UnsupportedLayerError(
        f"cannot infer the input shape of the torch module of class {type(module).__name__}: "
        f"the model must start with Linear; {hint}")


def _fetch_attr(gm: Any, target: str) -> Any:
    obj = gm
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj


# ---------------------------------------------------------------- values of the trace
class _Sym:
    """An input-dependent tensor: the output of layer ``layer``, per-sample ``shape``."""

    __slots__ = ("layer", "shape")

    def __init__(self, layer: int, shape: Sequence[int]):
        self.layer = int(layer)
        self.shape = tuple(int(s) for s in shape)

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(math.prod(self.shape))

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"_Sym({self.layer}, {self.shape})"


class _Bad:
    """An input-dependent value relugeom cannot represent (indices, batch statistics)."""

    __slots__ = ("why",)

    def __init__(self, why: str):
        self.why = why


def _walk(v: Any):
    if isinstance(v, (list, tuple)):
        for x in v:
            yield from _walk(x)
    elif isinstance(v, dict):
        for x in v.values():
            yield from _walk(x)
    elif isinstance(v, slice):
        yield from _walk((v.start, v.stop, v.step))
    else:
        yield v


def _tuple(v: Any, n: int) -> tuple[int, ...]:
    if isinstance(v, (list, tuple)):
        if len(v) == 1 and n > 1:
            return (int(v[0]),) * n
        if len(v) != n:
            raise ValueError(f"expected {n} values; got {v}")
        return tuple(int(x) for x in v)
    return (int(v),) * n


# names (torch functions, Tensor methods, aten operators) -> handler
_SMOOTH = {
    "sigmoid", "tanh", "gelu", "silu", "elu", "selu", "celu", "softplus", "softsign", "mish",
    "hardswish", "logsigmoid", "log_sigmoid", "tanhshrink", "softmax", "softmin",
    "log_softmax", "_softmax", "_log_softmax", "exp", "exp2", "expm1", "log", "log2", "log10",
    "log1p", "sqrt", "rsqrt", "pow", "square", "reciprocal", "sin", "cos", "tan", "sinh",
    "cosh", "asin", "acos", "atan", "erf", "erfc", "glu", "logsumexp", "var", "std",
    "layer_norm", "native_layer_norm", "group_norm", "native_group_norm", "instance_norm",
    "local_response_norm", "rms_norm", "normalize", "norm", "cosine_similarity", "bilinear",
    "scaled_dot_product_attention", "softmax2d", "sigmoid_", "tanh_", "lp_pool1d", "lp_pool2d",
}
_DISCONTINUOUS = {
    "sign", "sgn", "round", "floor", "ceil", "trunc", "frac", "fix", "hardshrink", "heaviside",
    "argmax", "argmin", "argsort", "gt", "lt", "ge", "le", "eq", "ne", "greater", "less",
    "floor_divide", "floordiv", "remainder", "fmod", "mod", "bucketize", "searchsorted",
}
_RANDOM = {"dropout", "rand_like", "randn_like", "randint_like", "bernoulli", "multinomial",
           "normal", "rrelu"}

# data movement: found by running the operation on a tensor of entry numbers
_GATHER = {
    "getitem", "view", "_unsafe_view", "reshape", "flatten", "unflatten", "squeeze",
    "unsqueeze", "view_as", "reshape_as", "contiguous", "clone", "detach", "alias",
    "narrow", "narrow_copy", "select", "slice", "split", "split_with_sizes", "chunk",
    "unbind", "tensor_split", "hsplit", "vsplit", "dsplit", "flip", "fliplr", "flipud", "roll",
    "rot90", "repeat", "tile", "expand", "expand_as", "broadcast_to", "repeat_interleave",
    "movedim", "moveaxis", "t", "index_select", "take_along_dim", "gather", "pixel_shuffle",
    "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "unfold", "diagonal",
    "upsample_nearest1d", "upsample_nearest2d", "_upsample_nearest_exact1d",
    "_upsample_nearest_exact2d", "reflection_pad1d", "reflection_pad2d", "replication_pad1d",
    "replication_pad2d", "_unsafe_index", "index", "lift_fresh_copy", "ravel", "atleast_1d",
    "atleast_2d", "atleast_3d", "squeeze_copy", "unsqueeze_copy", "view_copy",
    "permute_copy", "transpose_copy", "expand_copy", "slice_copy", "select_copy",
}
_SHAPE_OTHER = {"view_as", "reshape_as", "expand_as", "type_as", "to"}  # other operand: shape only
_SHAPE_ONLY = {
    "size", "dim", "numel", "nelement", "ndimension", "sym_size", "sym_numel", "sym_stride",
    "len", "zeros_like", "ones_like", "full_like", "empty_like", "new_zeros", "new_ones",
    "new_full", "new_empty", "new_tensor", "stride", "is_contiguous", "get_device",
    "_assert_tensor_metadata", "_assert_scalar", "sym_constrain_range_for_size",
}
_CASTS = {"to", "type", "type_as", "float", "double", "half", "bfloat16", "cpu", "cuda",
          "_to_copy", "requires_grad_", "_to_dim_order_copy"}

# positional parameter names of the torch functions and Tensor methods (aten operators are
# bound by their schema)
_PARAMS: dict[str, tuple[str, ...]] = {
    "relu": ("input", "inplace"),
    "leaky_relu": ("input", "negative_slope", "inplace"),
    "hardtanh": ("input", "min_val", "max_val", "inplace"),
    "relu6": ("input", "inplace"),
    "prelu": ("input", "weight"),
    "rrelu": ("input", "lower", "upper", "training", "inplace"),
    "hardsigmoid": ("input", "inplace"),
    "softshrink": ("input", "lambd"),
    "threshold": ("input", "threshold", "value", "inplace"),
    "abs": ("input",), "absolute": ("input",),
    "clamp": ("input", "min", "max"), "clip": ("input", "min", "max"),
    "clamp_min": ("input", "min"), "clamp_max": ("input", "max"),
    "maximum": ("input", "other"), "minimum": ("input", "other"),
    "fmax": ("input", "other"), "fmin": ("input", "other"),
    "max": ("input", "dim", "keepdim"), "min": ("input", "dim", "keepdim"),
    "amax": ("input", "dim", "keepdim"), "amin": ("input", "dim", "keepdim"),
    "add": ("input", "other", "alpha"), "sub": ("input", "other", "alpha"),
    "subtract": ("input", "other", "alpha"), "rsub": ("input", "other", "alpha"),
    "mul": ("input", "other"), "multiply": ("input", "other"),
    "div": ("input", "other", "rounding_mode"), "divide": ("input", "other", "rounding_mode"),
    "true_divide": ("input", "other"), "truediv": ("input", "other"),
    "neg": ("input",), "negative": ("input",), "pos": ("input",), "positive": ("input",),
    "mean": ("input", "dim", "keepdim", "dtype"), "sum": ("input", "dim", "keepdim", "dtype"),
    "linear": ("input", "weight", "bias"),
    "matmul": ("input", "other"), "mm": ("input", "other"),
    "addcmul": ("input", "tensor1", "tensor2", "value"),
    "conv1d": ("input", "weight", "bias", "stride", "padding", "dilation", "groups"),
    "conv2d": ("input", "weight", "bias", "stride", "padding", "dilation", "groups"),
    "conv_transpose1d": ("input", "weight", "bias", "stride", "padding", "output_padding",
                         "groups", "dilation"),
    "conv_transpose2d": ("input", "weight", "bias", "stride", "padding", "output_padding",
                         "groups", "dilation"),
    "batch_norm": ("input", "running_mean", "running_var", "weight", "bias", "training",
                   "momentum", "eps"),
    "dropout": ("input", "p", "training", "inplace"),
    "dropout1d": ("input", "p", "training", "inplace"),
    "dropout2d": ("input", "p", "training", "inplace"),
    "dropout3d": ("input", "p", "training", "inplace"),
    "alpha_dropout": ("input", "p", "training", "inplace"),
    "feature_alpha_dropout": ("input", "p", "training", "inplace"),
    "avg_pool1d": ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    "avg_pool2d": ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                   "divisor_override"),
    "max_pool1d": ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode",
                   "return_indices"),
    "max_pool2d": ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode",
                   "return_indices"),
    "max_pool1d_with_indices": ("input", "kernel_size", "stride", "padding", "dilation",
                                "ceil_mode", "return_indices"),
    "max_pool2d_with_indices": ("input", "kernel_size", "stride", "padding", "dilation",
                                "ceil_mode", "return_indices"),
    "adaptive_avg_pool1d": ("input", "output_size"), "adaptive_avg_pool2d": ("input", "output_size"),
    "adaptive_max_pool1d": ("input", "output_size", "return_indices"),
    "adaptive_max_pool2d": ("input", "output_size", "return_indices"),
    "pad": ("input", "pad", "mode", "value"),
    "cat": ("tensors", "dim"), "concat": ("tensors", "dim"), "concatenate": ("tensors", "dim"),
    "stack": ("tensors", "dim"),
    "permute": ("input", "dims"), "transpose": ("input", "dim0", "dim1"),
    "swapaxes": ("input", "dim0", "dim1"), "swapdims": ("input", "dim0", "dim1"),
    "interpolate": ("input", "size", "scale_factor", "mode", "align_corners",
                    "recompute_scale_factor", "antialias"),
    "upsample": ("input", "size", "scale_factor", "mode", "align_corners"),
    "getattr": ("input", "name"),
    "batch_norm_torch": ("input", "weight", "bias", "running_mean", "running_var", "training",
                         "momentum", "eps", "cudnn_enabled"),
}
_ALIASES = {
    "absolute": "abs", "clip": "clamp", "fmax": "maximum", "fmin": "minimum",
    "subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div",
    "truediv": "div", "negative": "neg", "positive": "pos", "concat": "cat",
    "concatenate": "cat", "swapaxes": "transpose", "swapdims": "transpose",
    "iadd": "add", "isub": "sub", "imul": "mul", "itruediv": "div", "imatmul": "matmul",
    "dropout1d": "dropout", "dropout2d": "dropout", "dropout3d": "dropout",
    "alpha_dropout": "dropout", "feature_alpha_dropout": "dropout", "feature_dropout": "dropout",
    "native_dropout": "dropout", "_adaptive_avg_pool2d": "adaptive_avg_pool2d",
    "_native_batch_norm_legit_no_training": "batch_norm_nt", "native_batch_norm": "batch_norm_t",
    "_native_batch_norm_legit": "batch_norm_t", "constant_pad_nd": "constant_pad",
    "upsample": "interpolate", "batch_norm_torch": "batch_norm", "upsample_bilinear2d": "interp_probe",
    "upsample_bicubic2d": "interp_probe", "upsample_linear1d": "interp_probe",
    "_upsample_bilinear2d_aa": "interp_probe", "_upsample_bicubic2d_aa": "interp_probe",
}


def _op_name(name: str) -> str:
    """Canonical name of a function / method / aten operator (in-place forms drop '_')."""
    if name.endswith("_") and not name.startswith("_") and name not in ("requires_grad_",):
        name = name[:-1]
    return _ALIASES.get(name, name)


# ---------------------------------------------------------------- the converter
class _Converter:
    """Walks a traced graph, running it on the example and writing layers."""

    def __init__(self, torch: Any, gm: Any, input_shape: tuple[int, ...], example: Any,
                 positions: dict, how: str, check: bool = True):
        self.torch = torch
        self.nn = torch.nn
        self.F = torch.nn.functional
        self.gm = gm
        self.input_shape = input_shape
        self.example = example
        self.positions = positions
        self.how = how
        self.check = check
        self.n_linear = 0  # dense layers from Linear / F.linear / matmul
        self.layers: list[Layer] = [Layer("input", (), {}, "input")]
        self.shapes: list[tuple[int, ...]] = [input_shape]
        self.names = {"input"}
        self.node: Any = None
        self.out: Any = None
        self._fn_names: dict[int, str] | None = None

    # ------------------------------------------------------------ messages
    def where(self, node: Any = None) -> str:
        node = self.node if node is None else node
        if node is None:
            return "the torch model"
        if node.op == "call_module":
            m = self.gm.get_submodule(node.target)
            pos = self.positions.get(node.target)
            extra = f", position {pos} of the flattened sequence" if pos is not None else ""
            return f"torch module '{node.target}' ({type(m).__name__}{extra})"
        stack = node.meta.get("nn_module_stack") or {}
        owner = ""
        if stack:
            path, cls = list(stack.values())[-1]
            cls_name = cls.rsplit(".", 1)[-1] if isinstance(cls, str) else getattr(cls, "__name__", str(cls))
            cls_mod = cls if isinstance(cls, str) else getattr(cls, "__module__", "")
            path = str(path)
            if self.how == "torch.export" and str(cls_mod).startswith("torch.nn.modules"):
                return f"torch module '{path}' ({cls_name}, operation {self.fn_label(node)})"
            if path:
                owner = f" in module '{path}' ({cls_name})"
        return f"torch function {self.fn_label(node)}{owner}"

    def fn_label(self, node: Any) -> str:
        t = node.target
        if node.op == "call_method":
            return f"'Tensor.{t}'"
        if isinstance(t, self.torch._ops.OpOverload):
            return f"'{t}'"
        name = getattr(t, "__name__", str(t))
        if getattr(operator, name, None) is t:
            return f"'operator.{name}'"
        for space, prefix in ((self.torch, "torch"), (self.F, "torch.nn.functional")):
            if getattr(space, name, None) is t and not name.startswith("_"):
                return f"'{prefix}.{name}'"
            public = [n for n in dir(space) if not n.startswith("_") and getattr(space, n, None) is t]
            if public:
                return f"'{prefix}.{public[0]}'"
        return f"'{getattr(t, '__module__', '') or ''}.{getattr(t, '__qualname__', name)}'".replace("'.", "'")

    def fail(self, why: str) -> UnsupportedLayerError:
        return UnsupportedLayerError(f"{self.where()} is not supported: {why}")

    def fail_training(self, why: str) -> UnsupportedLayerError:
        return UnsupportedLayerError(f"{self.where()} is not supported in training mode: {why}; "
                                     "call model.eval() before converting")

    # ------------------------------------------------------------- layers
    def add(self, kind: str, inputs: Sequence[_Sym], params: dict, shape: Sequence[int],
            suffix: str = "") -> _Sym:
        base = self._base_name() + suffix
        name, k = base, 2
        while name in self.names:
            name = f"{base}_{k}"
            k += 1
        self.names.add(name)
        self.layers.append(Layer(kind, tuple(s.layer for s in inputs), params, name))
        self.shapes.append(tuple(int(s) for s in shape))
        return _Sym(len(self.layers) - 1, shape)

    def _base_name(self) -> str:
        node = self.node
        if node is None:
            return "layer"
        if node.op == "call_module":
            return str(node.target)
        stack = node.meta.get("nn_module_stack") or {}
        if self.how == "torch.export" and stack:
            path = str(list(stack.values())[-1][0])
            if path:
                return f"{path}.{node.name}"
        return str(node.name)

    def out_shape(self) -> tuple[int, ...]:
        """Per-sample shape of the current node's (tensor) output."""
        t = self.out
        if not isinstance(t, self.torch.Tensor):
            raise self.fail(f"its result is a {type(t).__name__}, not a tensor")
        if t.ndim == 0 or t.shape[0] != 1:
            raise self.fail("it moves or reduces the batch axis (axis 0); relugeom networks act "
                            "on one sample at a time")
        return tuple(int(s) for s in t.shape[1:])

    def np(self, c: Any) -> np.ndarray:
        T = self.torch
        if isinstance(c, T.Tensor):
            return c.detach().cpu().to(T.float64).numpy().copy()
        if isinstance(c, (bool, int, float, np.number, np.ndarray)):
            return np.asarray(c, dtype=np.float64)
        raise self.fail(f"a {type(c).__name__} operand is not a constant tensor or number")

    def sample_const(self, c: Any, r: int, *, full: bool = False) -> np.ndarray:
        """A constant operand per sample, for a result of per-sample rank ``r``."""
        a = self.np(c)
        if a.ndim == r + 1:
            if a.shape[0] != 1:
                raise self.fail(f"a constant operand of shape {a.shape} has a batch axis of size "
                                f"{a.shape[0]}")
            a = a[0]
        elif a.ndim > r + 1:
            raise self.fail(f"a constant operand of shape {a.shape} broadcasts beyond the tensor")
        if full or a.ndim:
            a = a.reshape((1,) * (r - a.ndim) + a.shape)
        return a

    def const_layer(self, c: Any, r: int) -> _Sym:
        a = self.sample_const(c, r, full=True)
        return self.add("const", (), {"value": a}, a.shape, ".const")

    def to_rank(self, x: _Sym, r: int) -> _Sym:
        if x.rank >= r:
            return x
        shape = (1,) * (r - x.rank) + x.shape
        return self.add("reshape", (x,), {"shape": shape}, shape, ".reshape")

    def sym(self, v: Any, what: str = "input") -> _Sym:
        if isinstance(v, _Sym):
            return v
        if isinstance(v, _Bad):
            raise self.fail(v.why)
        raise self.fail(f"its {what} must be the input-dependent tensor")

    def const(self, v: Any, what: str) -> Any:
        if any(isinstance(x, (_Sym, _Bad)) for x in _walk(v)):
            raise self.fail(f"its {what} depends on the input (not affine)")
        return v

    def affine(self, x: _Sym, scale: Any, shift: Any, shape: Sequence[int] | None = None,
               suffix: str = "") -> _Sym:
        shape = tuple(self.out_shape() if shape is None else shape)
        scale = np.asarray(scale, dtype=np.float64)
        shift = None if shift is None else np.asarray(shift, dtype=np.float64)
        if shift is not None and not np.any(shift):
            shift = None
        if shape == x.shape and shift is None and np.all(scale == 1.0):
            return x
        x = self.to_rank(x, len(shape))
        return self.add("affine", (x,), {"scale": scale, "shift": shift}, shape, suffix)

    def unit(self, kind: str, x: _Sym, params: dict, suffix: str = "") -> _Sym:
        return self.add(kind, (x,), params, x.shape, suffix)

    # ------------------------------------------------------------- the walk
    def run(self) -> Network:
        T = self.torch
        graph = self.gm.graph
        nodes = list(graph.nodes)
        out_node = next(n for n in nodes if n.op == "output")
        needed: set = set()
        stack = [out_node]
        while stack:
            n = stack.pop()
            if n in needed:
                continue
            needed.add(n)
            stack.extend(n.all_input_nodes)
        last_use = {}
        for i, n in enumerate(nodes):
            for a in n.all_input_nodes:
                last_use[a] = i
        conc: dict = {}
        sym: dict = {}
        first = True
        for i, node in enumerate(nodes):
            self.node = node
            if node.op == "placeholder":
                if first:
                    conc[node] = self.example.clone()
                    sym[node] = _Sym(0, self.input_shape)
                    first = False
                elif node.args:
                    conc[node] = node.args[0]
                else:
                    raise UnsupportedLayerError(
                        f"the torch model takes several inputs ('{node.target}' besides the first); "
                        "relugeom networks have one input")
                continue
            if node.op == "get_attr":
                conc[node] = _fetch_attr(self.gm, node.target)
                continue
            if node.op == "output":
                break
            if node.op == "call_module" and node.target == "_guards_fn":
                conc[node] = None
                continue
            T_map = T.fx.node.map_arg
            cargs = T_map(node.args, lambda n: conc[n])
            ckw = T_map(node.kwargs, lambda n: conc[n])
            margs = T_map(node.args, lambda n: sym[n] if n in sym else conc[n])
            mkw = T_map(node.kwargs, lambda n: sym[n] if n in sym else conc[n])
            symbolic = node in needed and any(isinstance(v, (_Sym, _Bad)) for v in _walk((margs, mkw)))
            if symbolic:
                self.precheck(node, margs, mkw)
            conc[node] = self.execute(node, cargs, ckw)
            if symbolic:
                self.out = conc[node]
                res = self.convert(node, margs, mkw, cargs, ckw)
                if res is not None:
                    sym[node] = res
                    self.check_shapes(res, conc[node])
            for a in node.all_input_nodes:
                if last_use.get(a) == i:
                    conc.pop(a, None)
        self.node = None
        res = T.fx.node.map_arg(out_node.args[0], lambda n: sym.get(n, _CONST))
        if isinstance(res, (list, tuple)) and len(res) == 1:
            res = res[0]
        if isinstance(res, dict) and len(res) == 1:
            res = next(iter(res.values()))
        bad = next((v for v in _walk(res) if isinstance(v, _Bad)), None)
        if bad is not None:
            raise UnsupportedLayerError(f"the torch model's output is not supported: {bad.why}")
        if not isinstance(res, _Sym):
            n_sym = sum(isinstance(v, _Sym) for v in _walk(res))
            if n_sym == 0:
                raise UnsupportedLayerError("the torch model's output does not depend on its input")
            raise UnsupportedLayerError(
                f"the torch model returns {type(res).__name__} of several tensors; relugeom "
                "networks have one output tensor (return one, or torch.cat them)")
        if res.layer == 0:
            raise UnsupportedLayerError("the torch model returns its input unchanged; there is "
                                        "nothing to convert")
        expect = T.fx.node.map_arg(out_node.args[0], lambda n: conc[n])
        while isinstance(expect, (list, tuple, dict)):
            expect = next(iter(expect.values())) if isinstance(expect, dict) else expect[0]
        return self.finish(res, expect)

    def finish(self, res: _Sym, expect: Any) -> Network:
        layers, shapes, out = _prune(self.layers, self.shapes, res.layer)
        for l in layers:
            if l.kind == "pad" and not math.isfinite(l.params.get("value", 0.0)):
                raise UnsupportedLayerError(f"layer '{l.name}' pads with {l.params['value']}; only "
                                            "finite padding values are supported")
        net = Network(layers, self.input_shape, out)
        for i, (a, b) in enumerate(zip(net._low.shapes, shapes)):
            if tuple(a) != tuple(b):  # pragma: no cover - an internal error
                raise NetworkError(f"internal error converting the torch model: layer {i} "
                                   f"('{layers[i].name}') has shape {a}, expected {b}")
        if not self.check:
            return net
        x = self.example.numpy().reshape(1, -1)
        y = net(x)[0]
        ref = expect.detach().cpu().to(self.torch.float64).numpy().reshape(-1)
        scale = 1.0 + float(np.max(np.abs(ref))) if ref.size else 1.0
        err = float(np.max(np.abs(y - ref))) if ref.size else 0.0
        if y.shape != ref.shape or not err <= EVAL_RTOL * scale:
            raise NetworkError(
                f"the converted network does not match the torch model at the example input "
                f"(max difference {err:.3g}); the model may rely on in-place operations whose "
                "results are not used, or on behaviour relugeom does not model")
        return net

    def check_shapes(self, res: Any, out: Any) -> None:
        T = self.torch
        if isinstance(res, _Sym):
            if not isinstance(out, T.Tensor) or tuple(out.shape) != (1,) + res.shape:
                raise NetworkError(
                    f"internal error converting {self.where()}: shape {res.shape} but the model "
                    f"gives {tuple(getattr(out, 'shape', ()))}")
        elif isinstance(res, (list, tuple)) and isinstance(out, (list, tuple)) and len(res) == len(out):
            for r, o in zip(res, out):
                self.check_shapes(r, o)

    def execute(self, node: Any, args: Any, kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if node.op == "call_function":
                    return node.target(*args, **kwargs)
                if node.op == "call_method":
                    return getattr(args[0], node.target)(*args[1:], **kwargs)
                if node.op == "call_module":
                    return self.gm.get_submodule(node.target)(*args, **kwargs)
        except UnsupportedLayerError:
            raise
        except Exception as exc:
            raise NetworkError(f"running {self.where(node)} on an example input of shape "
                               f"{(1,) + self.input_shape} failed: {type(exc).__name__}: {exc}") from None
        raise NetworkError(f"unknown node kind {node.op}")  # pragma: no cover

    def rerun(self, node: Any, cargs: Any, ckw: Any, x: Any) -> Any:
        """The node's operation with its data input replaced by ``x``."""
        args = list(cargs)
        if args:
            args[0] = x
        else:
            ckw = dict(ckw)
            ckw["input" if "input" in ckw else "self"] = x
        return self.execute(node, tuple(args), ckw)

    # ------------------------------------------------------------ dispatch
    def function_name(self, target: Any) -> str | None:
        T = self.torch
        if isinstance(target, T._ops.OpOverload):
            return target._schema.name.split("::")[-1]
        if target in _HELPER_NAMES:
            return _HELPER_NAMES[target]
        if self._fn_names is None:
            tab: dict[int, str] = {}
            names = (set(_PARAMS) | _GATHER | _SHAPE_ONLY | _CASTS | _SMOOTH | _DISCONTINUOUS
                     | _RANDOM | set(_ALIASES) | {"relu_", "abs_", "clamp_", "leaky_relu_",
                                                  "hardtanh_", "max_pool1d_with_indices",
                                                  "max_pool2d_with_indices", "zeros", "ones"})
            spaces = [operator, T, self.F, T._C._nn, T.special]
            for space in spaces:
                for nm in names:
                    obj = getattr(space, nm, None)
                    if obj is not None and callable(obj):
                        tab.setdefault(id(obj), nm)
            tab[id(getattr)] = "getattr"
            tab[id(len)] = "len"
            tab[id(T.batch_norm)] = "batch_norm_torch"  # aten argument order
            self._fn_names = tab
        return self._fn_names.get(id(target))

    def bind(self, node: Any, name: str, margs: Any, mkw: Any) -> dict:
        T = self.torch
        if name in ("rg_max", "rg_min"):
            return {"xs": list(margs)}
        if node.op == "call_function" and isinstance(node.target, T._ops.OpOverload):
            names = [("input" if a.name == "self" else a.name) for a in node.target._schema.arguments]
        else:
            names = list(_PARAMS.get(name) or _PARAMS.get(_op_name(name), ("input",)))
        if name == "permute" and node.op == "call_method" and len(margs) > 2:
            margs = (margs[0], tuple(margs[1:]))
        if len(margs) > len(names):
            names += [f"_arg{i}" for i in range(len(names), len(margs))]
        kw = dict(zip(names, margs))
        for k, v in mkw.items():
            kw["input" if k == "self" else k] = v
        if "train" in kw and "training" not in kw:
            kw["training"] = kw["train"]
        return kw

    def precheck(self, node: Any, margs: Any, mkw: Any) -> None:
        """Training-mode errors, before the module runs on one sample."""
        nn = self.nn
        if node.op == "call_module":
            m = self.gm.get_submodule(node.target)
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                if m.training:
                    raise self.fail_training("batch normalisation then uses the statistics of the batch")
                if m.running_mean is None:
                    raise self.fail("it normalises by the statistics of the batch "
                                    "(track_running_stats=False), which is not piecewise linear")
            if isinstance(m, nn.modules.dropout._DropoutNd) and m.training and m.p > 0:
                raise self.fail_training("dropout is random")
            if isinstance(m, nn.RReLU) and m.training:
                raise self.fail_training("RReLU draws random slopes")
            return
        if node.op not in ("call_function", "call_method"):
            return
        raw = node.target if node.op == "call_method" else self.function_name(node.target)
        if raw is None:
            return
        name = _op_name(raw)
        if name in ("dropout", "batch_norm", "rrelu", "batch_norm_t"):
            kw = self.bind(node, raw, margs, mkw)
            p = kw.get("p", 0.5)
            default = raw.rstrip("_") not in ("alpha_dropout", "feature_alpha_dropout")
            if name == "dropout" and kw.get("training", default) and isinstance(p, (int, float)) and p > 0:
                raise self.fail_training("dropout is random")
            if name in ("batch_norm", "batch_norm_t") and kw.get("training", False):
                raise self.fail_training("batch normalisation then uses the statistics of the batch")
            if name == "rrelu" and kw.get("training", False):
                raise self.fail_training("RReLU draws random slopes")

    def convert(self, node: Any, margs: Any, mkw: Any, cargs: Any, ckw: Any) -> Any:
        if node.op == "call_module":
            return self.convert_module(node, margs, mkw, cargs, ckw)
        if node.op == "call_method":
            raw = str(node.target)
        else:
            raw = self.function_name(node.target)
            if raw is None:
                label = self.fn_label(node)
                raise self.fail(f"relugeom has no conversion for {label}")
        name = _op_name(raw)
        if name in ("getitem", "getattr"):
            obj = margs[0] if margs else mkw.get("input")
            if not isinstance(obj, (_Sym, _Bad)):
                return self.op_select(name, obj, margs, mkw)
        elif any(isinstance(v, _Bad) for v in _walk((margs, mkw))):
            raise self.fail(next(v for v in _walk((margs, mkw)) if isinstance(v, _Bad)).why)
        if name in _SHAPE_ONLY:
            return None
        if name in _CASTS:
            return self.op_cast(name, margs, mkw)
        if name in ("permute", "transpose"):
            kw = self.bind(node, name, margs, mkw)
            return self.op_permute(name, kw)
        if name == "getattr":
            return self.op_getattr(node, margs, cargs, ckw)
        if name in _GATHER:
            return self.op_gather_node(node, name, margs, mkw, cargs, ckw)
        handler = getattr(self, f"op_{name}", None)
        if handler is None:
            raise self.fail(self.why_not(raw))
        kw = self.bind(node, raw, margs, mkw)
        return handler(kw, node=node, cargs=cargs, ckw=ckw, raw=raw)

    def why_not(self, raw: str) -> str:
        name = raw.rstrip("_")
        if name in _SMOOTH:
            return f"{name} is not piecewise linear"
        if name in _DISCONTINUOUS:
            return f"{name} is not continuous"
        if name in _RANDOM:
            return f"{name} is random"
        return f"relugeom has no conversion for '{raw}'"

    # ------------------------------------------------------------ modules
    def convert_module(self, node: Any, margs: Any, mkw: Any, cargs: Any, ckw: Any) -> Any:
        nn = self.nn
        m = self.gm.get_submodule(node.target)
        x = margs[0] if margs else mkw.get("input")
        for v in _walk((margs, mkw)):
            if isinstance(v, _Bad):
                raise self.fail(v.why)
        extra = [v for v in _walk((margs[1:], mkw)) if isinstance(v, _Sym)]
        cls = type(m).__name__
        if extra and not isinstance(m, (nn.ConvTranspose1d, nn.ConvTranspose2d)):
            raise self.fail("it takes several input-dependent tensors")
        kw: dict[str, Any] = {"input": x}
        if isinstance(m, nn.Linear):
            kw.update(weight=m.weight, bias=m.bias)
            return self.op_linear(kw)
        if isinstance(m, (nn.Conv1d, nn.Conv2d)):
            kw.update(weight=m.weight, bias=m.bias, stride=m.stride, padding=m.padding,
                      dilation=m.dilation, groups=m.groups)
            return self.op_conv(kw, padding_mode=m.padding_mode)
        if isinstance(m, (nn.ConvTranspose1d, nn.ConvTranspose2d)):
            if extra:
                raise self.fail("its output_size depends on the input")
            kw.update(weight=m.weight, bias=m.bias, stride=m.stride, padding=m.padding,
                      groups=m.groups, dilation=m.dilation)
            return self.op_conv_transpose(kw)
        if isinstance(m, (nn.Conv3d, nn.ConvTranspose3d, nn.MaxPool3d, nn.AvgPool3d,
                          nn.AdaptiveAvgPool3d, nn.AdaptiveMaxPool3d)):
            raise self.fail(f"3-D {cls[:-2]} is not supported (relugeom has 1-D and 2-D layers)")
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            kw.update(running_mean=m.running_mean, running_var=m.running_var, weight=m.weight,
                      bias=m.bias, eps=m.eps, training=False)
            return self.op_batch_norm(kw)
        if isinstance(m, (nn.AvgPool1d, nn.AvgPool2d)):
            kw.update(kernel_size=m.kernel_size, stride=m.stride, padding=m.padding,
                      ceil_mode=m.ceil_mode, count_include_pad=m.count_include_pad,
                      divisor_override=getattr(m, "divisor_override", None))
            return self.op_avg_pool(kw, nd=1 if isinstance(m, nn.AvgPool1d) else 2)
        if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d)):
            kw.update(kernel_size=m.kernel_size, stride=m.stride, padding=m.padding,
                      dilation=m.dilation, ceil_mode=m.ceil_mode, return_indices=m.return_indices)
            return self.op_max_pool(kw, nd=1 if isinstance(m, nn.MaxPool1d) else 2)
        if isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)):
            kw.update(output_size=m.output_size)
            return self.op_adaptive_avg(kw, nd=1 if isinstance(m, nn.AdaptiveAvgPool1d) else 2)
        if isinstance(m, (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d)):
            kw.update(output_size=m.output_size, return_indices=m.return_indices)
            return self.op_adaptive_max(kw, nd=1 if isinstance(m, nn.AdaptiveMaxPool1d) else 2)
        if isinstance(m, nn.ReLU):
            return self.op_relu(kw)
        if isinstance(m, nn.ReLU6):
            return self.op_relu6(kw)
        if isinstance(m, nn.Hardtanh):
            kw.update(min_val=m.min_val, max_val=m.max_val)
            return self.op_hardtanh(kw)
        if isinstance(m, nn.LeakyReLU):
            kw.update(negative_slope=m.negative_slope)
            return self.op_leaky_relu(kw)
        if isinstance(m, nn.PReLU):
            kw.update(weight=m.weight)
            return self.op_prelu(kw)
        if isinstance(m, nn.RReLU):
            kw.update(lower=m.lower, upper=m.upper, training=False)
            return self.op_rrelu(kw)
        if isinstance(m, nn.Hardsigmoid):
            return self.op_hardsigmoid(kw)
        if isinstance(m, nn.Softshrink):
            kw.update(lambd=m.lambd)
            return self.op_softshrink(kw)
        if isinstance(m, nn.Threshold):
            kw.update(threshold=m.threshold, value=m.value)
            return self.op_threshold(kw)
        if isinstance(m, (nn.Identity, nn.modules.dropout._DropoutNd)):
            return self.sym(x)
        if isinstance(m, (nn.ZeroPad1d, nn.ZeroPad2d, nn.ConstantPad1d, nn.ConstantPad2d)):
            kw.update(pad=m.padding, mode="constant", value=m.value)
            return self.op_pad(kw, node=node, cargs=cargs, ckw=ckw)
        movers = tuple(getattr(nn, c) for c in (
            "Flatten", "Unflatten", "PixelShuffle", "PixelUnshuffle", "ChannelShuffle",
            "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d",
            "CircularPad1d", "CircularPad2d") if hasattr(nn, c))
        if isinstance(m, movers):
            return self.gather(self.sym(x), lambda t: self.rerun(node, cargs, ckw, t))
        if isinstance(m, nn.Upsample):
            kw.update(mode=m.mode)
            return self.op_interpolate(kw, node=node, cargs=cargs, ckw=ckw)
        raise self.fail(self.why_module(m))

    def why_module(self, m: Any) -> str:
        nn = self.nn
        cls = type(m).__name__
        smooth = (nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh, nn.ELU, nn.SELU, nn.CELU, nn.Softplus,
                  nn.Softsign, nn.Mish, nn.Hardswish, nn.LogSigmoid, nn.Tanhshrink, nn.Softmax,
                  nn.Softmin, nn.LogSoftmax, nn.Softmax2d, nn.GLU, nn.LPPool1d, nn.LPPool2d,
                  nn.MultiheadAttention, nn.RNNBase, nn.Transformer, nn.TransformerEncoderLayer,
                  nn.TransformerDecoderLayer, nn.Bilinear, nn.CosineSimilarity, nn.PairwiseDistance)
        if isinstance(m, smooth):
            return f"{cls} is not piecewise linear"
        norms = (nn.LayerNorm, nn.GroupNorm, nn.modules.instancenorm._InstanceNorm,
                 nn.LocalResponseNorm, getattr(nn, "RMSNorm", nn.LayerNorm))
        if isinstance(m, norms):
            return f"{cls} divides by statistics of its input, which is not piecewise linear"
        if isinstance(m, nn.Hardshrink):
            return "Hardshrink is not continuous"
        if isinstance(m, (nn.Embedding, nn.EmbeddingBag)):
            return f"{cls} indexes by the values of its input"
        if isinstance(m, (nn.FractionalMaxPool2d,)):
            return f"{cls} is random"
        return f"relugeom has no conversion for {cls}"

    # ------------------------------------------------------------ structure
    def op_select(self, name: str, obj: Any, margs: Any, mkw: Any) -> Any:
        """getitem / getattr on a tuple of results (split, max(dim), ...)."""
        key = margs[1] if len(margs) > 1 else mkw.get("name", mkw.get("idx"))
        if name == "getattr":
            fields = {"values": 0, "indices": 1, "output": 0}
            if isinstance(obj, (list, tuple)) and key in fields:
                return obj[fields[key]]
            if any(isinstance(v, (_Sym, _Bad)) for v in _walk(obj)):
                raise self.fail(f"attribute '{key}' of a result is not supported")
            return None
        if isinstance(obj, (list, tuple)):
            if any(isinstance(v, (_Sym, _Bad)) for v in _walk(key)):
                raise self.fail("it indexes with an input-dependent value")
            return obj[key]
        if isinstance(obj, dict):
            return obj[key]
        return None

    def op_getattr(self, node: Any, margs: Any, cargs: Any, ckw: Any) -> Any:
        x, attr = margs[0], margs[1]
        if attr in ("shape", "dtype", "device", "ndim", "is_cuda", "requires_grad", "layout",
                    "is_leaf", "grad_fn"):
            return None
        if attr == "data":
            return self.sym(x)
        if attr in ("T", "mT", "H", "mH", "real"):
            return self.gather(self.sym(x), lambda t: getattr(t, attr))
        raise self.fail(f"attribute '{attr}' of an input-dependent tensor is not supported")

    def op_cast(self, name: str, margs: Any, mkw: Any) -> Any:
        x = margs[0] if margs else mkw.get("input")
        if not isinstance(x, _Sym):
            return None  # e.g. a constant cast like another (input-dependent) tensor
        out = self.out
        if not isinstance(out, self.torch.Tensor) or not out.is_floating_point():
            raise self.fail("it casts to a non-floating type (rounding is not continuous)")
        return x

    def op_permute(self, name: str, kw: dict) -> Any:
        x = self.sym(kw["input"])
        R = x.rank + 1
        if name == "permute":
            dims = kw.get("dims")
            if isinstance(dims, int):
                dims = (dims,)
            dims = [int(d) % R for d in self.const(dims, "dims")]
        else:
            d0, d1 = int(kw["dim0"]) % R, int(kw["dim1"]) % R
            dims = list(range(R))
            dims[d0], dims[d1] = dims[d1], dims[d0]
        if sorted(dims) != list(range(R)) or dims[0] != 0:
            raise self.fail("it moves the batch axis (axis 0)")
        perm = tuple(d - 1 for d in dims[1:])
        if perm == tuple(range(x.rank)):
            return x
        return self.add("transpose", (x,), {"perm": perm}, self.out_shape())

    def op_gather_node(self, node: Any, name: str, margs: Any, mkw: Any, cargs: Any, ckw: Any) -> Any:
        x = margs[0] if margs else mkw.get("input", mkw.get("self"))
        others = [v for v in _walk((margs[1:], {k: v for k, v in mkw.items() if k not in ("input", "self")}))
                  if isinstance(v, _Sym)]
        if others and name not in _SHAPE_OTHER:
            raise self.fail("it indexes or reshapes with an input-dependent tensor")
        if not isinstance(x, _Sym):
            return None  # the input-dependent operand only gives a shape
        return self.gather(x, lambda t: self.rerun(node, cargs, ckw, t))

    def gather(self, x: _Sym, run: Callable[[Any], Any], fill_value: float = 0.0) -> Any:
        """Data movement found by running it on entry numbers ``1..n`` (0 = a filled entry)."""
        T = self.torch
        n = x.size
        idx = T.arange(1, n + 1, dtype=T.float64).reshape((1,) + x.shape)
        res = run(idx)
        return self._gathered(x, res, fill_value)

    def _gathered(self, x: _Sym, res: Any, fill_value: float) -> Any:
        T = self.torch
        if isinstance(res, (list, tuple)):
            return type(res)(self._gathered(x, r, fill_value) for r in res) if isinstance(res, list) \
                else tuple(self._gathered(x, r, fill_value) for r in res)
        if not isinstance(res, T.Tensor) or not res.is_floating_point():
            raise self.fail("it does not return a tensor of the input's entries")
        if res.ndim == 0 or res.shape[0] != 1:
            raise self.fail("it moves or reduces the batch axis (axis 0); relugeom networks act "
                            "on one sample at a time")
        v = res[0].detach().cpu().numpy()
        shape = tuple(int(s) for s in v.shape)
        flat = v.reshape(-1)
        n = x.size
        r = np.rint(flat)
        if flat.size and (np.any(r != flat) or r.min() < 0 or r.max() > n):  # pragma: no cover
            raise self.fail("it is not a selection of the input's entries")
        ids = r.astype(np.int64)
        fill = ids == 0
        if not fill.any():
            if ids.size == n and np.array_equal(ids, np.arange(1, n + 1)):
                if shape == x.shape:
                    return x
                return self.add("reshape", (x,), {"shape": shape}, shape)
            return self.add("take", (x,), {"idx": ids - 1, "shape": shape}, shape)
        y = self.add("take", (x,), {"idx": np.where(fill, 0, ids - 1), "shape": shape}, shape, ".take")
        mask = (~fill).astype(np.float64).reshape(shape)
        shift = None if fill_value == 0.0 else fill_value * (1.0 - mask)
        return self.add("affine", (y,), {"scale": mask, "shift": shift}, shape)

    # ---------------------------------------------------------------- units
    def op_relu(self, kw: dict, **_: Any) -> _Sym:
        return self.unit("relu", self.sym(kw["input"]), {})

    def op_leaky_relu(self, kw: dict, **_: Any) -> _Sym:
        a = float(self.const(kw.get("negative_slope", 0.01), "slope"))
        return self.unit("leaky_relu", self.sym(kw["input"]), {"alpha": np.asarray(a)})

    def op_rrelu(self, kw: dict, **_: Any) -> _Sym:
        lo, hi = float(kw.get("lower", 1.0 / 8)), float(kw.get("upper", 1.0 / 3))
        return self.unit("leaky_relu", self.sym(kw["input"]), {"alpha": np.asarray((lo + hi) / 2)})

    def op_prelu(self, kw: dict, **_: Any) -> _Sym:
        x = self.sym(kw["input"])
        w = self.np(self.const(kw["weight"], "weight")).reshape(-1)
        if w.size == 1:
            alpha = np.asarray(w[0])
        else:
            if x.rank == 0 or x.shape[0] != w.size:
                raise self.fail(f"PReLU with {w.size} slopes on a tensor of per-sample shape {x.shape}")
            alpha = w.reshape((w.size,) + (1,) * (x.rank - 1))
        return self.unit("leaky_relu", x, {"alpha": alpha})

    def op_abs(self, kw: dict, **_: Any) -> _Sym:
        return self.unit("abs", self.sym(kw["input"]), {})

    def clip(self, x: _Sym, lo: float, hi: float, suffix: str = "") -> _Sym:
        if math.isnan(lo) or math.isnan(hi):
            raise self.fail("a NaN clipping bound")
        if lo >= hi:  # torch: every entry becomes hi
            return self.affine(x, 0.0, np.full((), hi), x.shape, suffix)
        if math.isinf(lo) and math.isinf(hi):
            return x
        return self.unit("clip", x, {"lo": float(lo), "hi": float(hi)}, suffix)

    def op_hardtanh(self, kw: dict, **_: Any) -> _Sym:
        lo = float(self.const(kw.get("min_val", -1.0), "min_val"))
        hi = float(self.const(kw.get("max_val", 1.0), "max_val"))
        return self.clip(self.sym(kw["input"]), lo, hi)

    def op_relu6(self, kw: dict, **_: Any) -> _Sym:
        return self.clip(self.sym(kw["input"]), 0.0, 6.0)

    def op_hardsigmoid(self, kw: dict, **_: Any) -> _Sym:
        x = self.sym(kw["input"])
        y = self.affine(x, 1.0 / 6.0, np.asarray(0.5), x.shape, ".affine")
        return self.clip(y, 0.0, 1.0)

    def op_softshrink(self, kw: dict, **_: Any) -> _Sym:
        x = self.sym(kw["input"])
        lam = float(self.const(kw.get("lambd", 0.5), "lambd"))
        if lam <= 0:
            return x
        c = self.clip(x, -lam, lam, ".clip")
        return self.add("add", (x, c), {"coefs": [1.0, -1.0]}, x.shape)

    def op_threshold(self, kw: dict, **_: Any) -> _Sym:
        th, val = float(kw["threshold"]), float(kw["value"])
        if th != val:
            raise self.fail(f"threshold {th} with value {val} is not continuous (only value == "
                            "threshold, a clip from below, is)")
        return self.clip(self.sym(kw["input"]), th, math.inf)

    def _scalar(self, v: Any) -> float | None:
        if v is None:
            return None
        if isinstance(v, (int, float, np.number)):
            return float(v)
        if isinstance(v, self.torch.Tensor) and v.numel() == 1:
            return float(v.reshape(-1)[0])
        return None

    def op_clamp(self, kw: dict, **_: Any) -> _Sym:
        x = self.sym(kw["input"])
        lo, hi = kw.get("min"), kw.get("max")
        slo, shi = self._scalar(lo), self._scalar(hi)
        if (lo is None or slo is not None) and (hi is None or shi is not None):
            return self.clip(x, -math.inf if slo is None else slo, math.inf if shi is None else shi)
        y = x
        if lo is not None:
            y = self.minmax("max", [y, lo], self.out_shape() if hi is None else None)
        if hi is not None:
            y = self.minmax("min", [y, hi], self.out_shape())
        return y

    def op_clamp_min(self, kw: dict, **_: Any) -> _Sym:
        return self.op_clamp({"input": kw["input"], "min": kw.get("min")})

    def op_clamp_max(self, kw: dict, **_: Any) -> _Sym:
        return self.op_clamp({"input": kw["input"], "max": kw.get("max")})

    def minmax(self, kind: str, operands: list, shape: Sequence[int] | None = None) -> _Sym:
        syms = [v for v in operands if isinstance(v, _Sym)]
        r = max(len(self.out_shape()) if shape is None else len(shape), *(s.rank for s in syms))
        ins = [self.to_rank(v, r) if isinstance(v, _Sym) else self.const_layer(v, r) for v in operands]
        out = tuple(np.broadcast_shapes(*[self.shapes[s.layer] for s in ins]))
        return self.add(kind, ins, {}, out)

    def op_maximum(self, kw: dict, **_: Any) -> _Sym:
        return self.minmax("max", [kw["input"], kw["other"]])

    def op_minimum(self, kw: dict, **_: Any) -> _Sym:
        return self.minmax("min", [kw["input"], kw["other"]])

    def _maxmin(self, kind: str, kw: dict) -> Any:
        other = kw.get("other", kw.get("dim"))
        if isinstance(other, (_Sym, self.torch.Tensor)):
            return self.minmax(kind, [kw["input"], other])
        x = self.sym(kw["input"])
        if other is None:
            raise self.fail(f"torch.{kind}(x) over all entries reduces the batch axis too; give dim")
        axes = self.axes(other, x)
        keep = bool(kw.get("keepdim", False))
        vals = self.reduce("reduce_" + kind, x, axes, keep)
        return (vals, _Bad(f"the indices of {kind}(dim) are not a piecewise-linear function"))

    def op_max(self, kw: dict, **_: Any) -> Any:
        return self._maxmin("max", kw)

    def op_min(self, kw: dict, **_: Any) -> Any:
        return self._maxmin("min", kw)

    def axes(self, dim: Any, x: _Sym) -> tuple[int, ...]:
        R = x.rank + 1
        dims = [dim] if isinstance(dim, int) else list(self.const(dim, "dim"))
        if not dims:
            raise self.fail("a reduction over all axes includes the batch axis")
        ax = sorted({int(d) % R for d in dims})
        if ax[0] == 0:
            raise self.fail("it reduces over the batch axis (axis 0)")
        return tuple(a - 1 for a in ax)

    def reduce(self, kind: str, x: _Sym, axes: tuple[int, ...], keep: bool, **params: Any) -> _Sym:
        shape = tuple((1 if i in axes else d) for i, d in enumerate(x.shape) if keep or i not in axes)
        if kind in ("reduce_max", "reduce_min") and all(x.shape[a] == 1 for a in axes):
            return x if shape == x.shape else self.add("reshape", (x,), {"shape": shape}, shape)
        return self.add(kind, (x,), {"axes": axes, "keepdims": keep, **params}, shape)

    def op_amax(self, kw: dict, **_: Any) -> _Sym:
        x = self.sym(kw["input"])
        return self.reduce("reduce_max", x, self.axes(kw.get("dim", ()), x), bool(kw.get("keepdim", False)))

    def op_amin(self, kw: dict, **_: Any) -> _Sym:
        x = self.sym(kw["input"])
        return self.reduce("reduce_min", x, self.axes(kw.get("dim", ()), x), bool(kw.get("keepdim", False)))

    def op_sum(self, kw: dict, mean: bool = False, **_: Any) -> _Sym:
        x = self.sym(kw["input"])
        dim = kw.get("dim")
        if dim is None:
            raise self.fail("a sum over all entries includes the batch axis; give dim")
        return self.reduce("reduce_sum", x, self.axes(dim, x), bool(kw.get("keepdim", False)), mean=mean)

    def op_mean(self, kw: dict, **_: Any) -> _Sym:
        return self.op_sum(kw, mean=True)

    # ------------------------------------------------------------ arithmetic
    def op_add(self, kw: dict, sign: float = 1.0, **_: Any) -> _Sym:
        a, b = kw["input"], kw["other"]
        alpha = float(self.const(kw.get("alpha", 1.0) if kw.get("alpha") is not None else 1.0, "alpha"))
        shape = self.out_shape()
        r = len(shape)
        c = sign * alpha
        if isinstance(a, _Sym) and isinstance(b, _Sym):
            if c == 0.0:
                return self.affine(a, 1.0, None, shape)
            ins = (self.to_rank(a, r), self.to_rank(b, r))
            return self.add("add", ins, {"coefs": [1.0, c]}, shape)
        if isinstance(a, _Sym):
            return self.affine(a, 1.0, c * self.sample_const(b, r), shape)
        return self.affine(self.sym(b), c, self.sample_const(a, r), shape)

    def op_sub(self, kw: dict, **_: Any) -> _Sym:
        return self.op_add(kw, sign=-1.0)

    def op_rsub(self, kw: dict, **_: Any) -> _Sym:
        # other - alpha * input
        alpha = float(kw.get("alpha", 1.0) or 1.0)
        return self.op_add({"input": kw["other"], "other": kw["input"], "alpha": -alpha})

    def op_mul(self, kw: dict, **_: Any) -> _Sym:
        a, b = kw["input"], kw["other"]
        if isinstance(a, _Sym) and isinstance(b, _Sym):
            raise self.fail("a product of two input-dependent tensors is not piecewise linear")
        if not isinstance(a, _Sym):
            a, b = b, a
        r = len(self.out_shape())
        return self.affine(self.sym(a), self.sample_const(b, r), None)

    def op_div(self, kw: dict, **_: Any) -> _Sym:
        a, b = kw["input"], kw["other"]
        if kw.get("rounding_mode") is not None:
            raise self.fail("division with rounding is not continuous")
        if isinstance(b, _Sym):
            raise self.fail("division by an input-dependent tensor is not piecewise linear")
        r = len(self.out_shape())
        d = self.sample_const(b, r)
        if np.any(d == 0):
            raise self.fail("division by zero")
        return self.affine(self.sym(a), 1.0 / d, None)

    def op_neg(self, kw: dict, **_: Any) -> _Sym:
        return self.affine(self.sym(kw["input"]), -1.0, None)

    def op_pos(self, kw: dict, **_: Any) -> _Sym:
        return self.sym(kw["input"])

    def op_addcmul(self, kw: dict, **_: Any) -> _Sym:
        s, t1, t2 = kw["input"], kw["tensor1"], kw["tensor2"]
        value = float(self.const(kw.get("value", 1.0), "value"))
        shape = self.out_shape()
        r = len(shape)
        if isinstance(t1, _Sym) and isinstance(t2, _Sym):
            raise self.fail("a product of two input-dependent tensors is not piecewise linear")
        if not isinstance(s, _Sym):
            if isinstance(t2, _Sym):
                t1, t2 = t2, t1
            return self.affine(self.sym(t1), value * self.sample_const(t2, r),
                               self.sample_const(s, r), shape)
        if not isinstance(t1, _Sym) and not isinstance(t2, _Sym):
            return self.affine(s, 1.0, value * self.sample_const(t1, r) * self.sample_const(t2, r), shape)
        if isinstance(t2, _Sym):
            t1, t2 = t2, t1
        prod = self.affine(t1, value * self.sample_const(t2, r), None, shape, ".mul")
        return self.add("add", (self.to_rank(s, r), self.to_rank(prod, r)), {"coefs": [1.0, 1.0]}, shape)

    # ---------------------------------------------------------------- affine
    def op_linear(self, kw: dict, **_: Any) -> _Sym:
        x = self.sym(kw["input"])
        W = self.np(self.const(kw["weight"], "weight"))
        b = kw.get("bias")
        b = None if b is None else self.np(self.const(b, "bias")).reshape(-1)
        if W.ndim != 2:
            raise self.fail(f"a {W.ndim}-D linear weight is not supported")
        if x.rank == 0 or x.shape[-1] != W.shape[1]:
            raise self.fail(f"weight {W.shape} does not fit per-sample shape {x.shape}")
        self.n_linear += 1
        return self.add("dense", (x,), {"W": W, "b": b}, x.shape[:-1] + (W.shape[0],))

    def op_matmul(self, kw: dict, **_: Any) -> _Sym:
        a, b = kw["input"], kw["other"]
        if isinstance(a, _Sym) and isinstance(b, _Sym):
            raise self.fail("a product of two input-dependent tensors is not piecewise linear")
        self.n_linear += 1
        if isinstance(a, _Sym):
            W = self.np(b)
            if W.ndim == 2:
                return self.add("dense", (a,), {"W": W.T.copy(), "b": None}, a.shape[:-1] + (W.shape[1],))
            if W.ndim == 1:
                y = self.add("dense", (a,), {"W": W[None, :], "b": None}, a.shape[:-1] + (1,), ".dense")
                return self.add("reshape", (y,), {"shape": a.shape[:-1]}, a.shape[:-1])
            raise self.fail(f"matmul with a {W.ndim}-D constant is not supported")
        x = self.sym(b)
        A = self.np(a)
        if A.ndim != 2 or x.rank < 2:
            raise self.fail("a constant matrix times an input-dependent tensor needs a 2-D matrix "
                            "and a tensor of per-sample rank >= 2")
        perm = tuple(range(x.rank - 2)) + (x.rank - 1, x.rank - 2)
        sh = tuple(x.shape[p] for p in perm)
        t = self.add("transpose", (x,), {"perm": perm}, sh, ".T")
        sh2 = sh[:-1] + (A.shape[0],)
        d = self.add("dense", (t,), {"W": A, "b": None}, sh2, ".dense")
        return self.add("transpose", (d,), {"perm": perm}, tuple(sh2[p] for p in perm))

    op_mm = op_matmul

    def op_addmm(self, kw: dict, **_: Any) -> _Sym:
        x = self.sym(kw["mat1"], "mat1")
        W = self.np(self.const(kw["mat2"], "mat2"))
        beta, alpha = float(kw.get("beta", 1.0)), float(kw.get("alpha", 1.0))
        b = beta * self.np(self.const(kw["input"], "bias"))
        b = np.broadcast_to(b.reshape(-1) if b.ndim <= 1 else b[0], (W.shape[1],)).copy()
        self.n_linear += 1
        return self.add("dense", (x,), {"W": alpha * W.T, "b": b}, x.shape[:-1] + (W.shape[1],))

    def conv_geometry(self, x: _Sym, W: np.ndarray, kw: dict) -> tuple:
        nd = W.ndim - 2
        if nd not in (1, 2):
            raise self.fail(f"{nd}-D convolutions are not supported (relugeom has 1-D and 2-D)")
        if x.rank != nd + 1:
            raise self.fail(f"a {nd}-D convolution of a tensor of per-sample shape {x.shape} "
                            "(expected (C, spatial...))")
        stride = _tuple(kw.get("stride", 1), nd)
        dil = _tuple(kw.get("dilation", 1), nd)
        padding = kw.get("padding", 0)
        if isinstance(padding, str):
            if padding == "valid":
                begins = ends = (0,) * nd
            elif padding == "same":
                total = [d * (k - 1) for d, k in zip(dil, W.shape[2:])]
                begins = tuple(t // 2 for t in total)
                ends = tuple(t - t // 2 for t in total)
            else:
                raise self.fail(f"padding {padding!r}")
        else:
            begins = ends = _tuple(padding, nd)
        return nd, stride, dil, tuple(begins), tuple(ends)

    def op_conv(self, kw: dict, padding_mode: str = "zeros", **_: Any) -> _Sym:
        x = self.sym(kw["input"])
        W = self.np(self.const(kw["weight"], "weight"))
        b = kw.get("bias")
        b = None if b is None else self.np(self.const(b, "bias")).reshape(-1)
        nd, stride, dil, begins, ends = self.conv_geometry(x, W, kw)
        groups = int(kw.get("groups", 1) or 1)
        if padding_mode != "zeros" and any(begins + ends):
            tp: list[int] = []
            for i in reversed(range(nd)):
                tp += [begins[i], ends[i]]
            F = self.F
            x = self.gather(x, lambda t: F.pad(t, tp, mode=padding_mode), 0.0)
            begins = ends = (0,) * nd
        params = {"W": W, "b": b, "strides": stride, "pads": begins + ends, "dilations": dil,
                  "groups": groups}
        return self.add("conv", (x,), params, self.out_shape())

    op_conv1d = op_conv
    op_conv2d = op_conv

    def op_convolution(self, kw: dict, **kws: Any) -> _Sym:
        if kw.get("transposed"):
            return self.op_conv_transpose(kw)
        return self.op_conv(kw)

    def op_conv_transpose(self, kw: dict, **_: Any) -> _Sym:
        """Zero-stuff and pad the input (a ``take`` and a mask), then a flipped convolution."""
        x = self.sym(kw["input"])
        W = self.np(self.const(kw["weight"], "weight"))
        b = kw.get("bias")
        b = None if b is None else self.np(self.const(b, "bias")).reshape(-1)
        nd = W.ndim - 2
        if nd not in (1, 2) or x.rank != nd + 1:
            raise self.fail(f"a {nd}-D transposed convolution of per-sample shape {x.shape}")
        s = _tuple(kw.get("stride", 1), nd)
        p = _tuple(kw.get("padding", 0), nd)
        d = _tuple(kw.get("dilation", 1), nd)
        g = int(kw.get("groups", 1) or 1)
        k = W.shape[2:]
        out = self.out_shape()
        sp = x.shape[1:]
        op = [out[1 + i] - ((sp[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + 1) for i in range(nd)]
        F = self.F

        def stuff(t: Any) -> Any:
            C = t.shape[1]
            z = t.new_zeros((1, C) + tuple((sp[i] - 1) * s[i] + 1 for i in range(nd)))
            z[(slice(None), slice(None)) + tuple(slice(None, None, s[i]) for i in range(nd))] = t
            tp: list[int] = []
            for i in reversed(range(nd)):
                a = d[i] * (k[i] - 1) - p[i]
                tp += [a, a + op[i]]
            return F.pad(z, tp)

        y = self.gather(x, stuff, 0.0)
        Cin, og = W.shape[0], W.shape[1]
        Wt = W.reshape((g, Cin // g, og) + k).swapaxes(1, 2).reshape((g * og, Cin // g) + k)
        Wt = np.flip(Wt, axis=tuple(range(2, 2 + nd))).copy()
        params = {"W": Wt, "b": b, "strides": (1,) * nd, "pads": (0,) * (2 * nd), "dilations": d,
                  "groups": g}
        return self.add("conv", (y,), params, out)

    op_conv_transpose1d = op_conv_transpose
    op_conv_transpose2d = op_conv_transpose

    def op_batch_norm(self, kw: dict, **_: Any) -> _Sym:
        x = self.sym(kw["input"])
        if kw.get("training"):
            raise self.fail_training("batch normalisation then uses the statistics of the batch")
        mean, var = kw.get("running_mean"), kw.get("running_var")
        if mean is None or var is None:
            raise self.fail("it normalises by the statistics of the batch, which is not piecewise linear")
        mean, var = self.np(self.const(mean, "mean")), self.np(self.const(var, "variance"))
        C = mean.size
        w = kw.get("weight")
        bb = kw.get("bias")
        w = np.ones(C) if w is None else self.np(self.const(w, "weight"))
        bb = np.zeros(C) if bb is None else self.np(self.const(bb, "bias"))
        eps = float(kw.get("eps", 1e-5))
        scale = w / np.sqrt(var + eps)
        shift = bb - mean * scale
        if x.rank == 0 or x.shape[0] != C:
            raise self.fail(f"batch norm over {C} channels of per-sample shape {x.shape}")
        tail = (1,) * (x.rank - 1)
        return self.affine(x, scale.reshape((C,) + tail), shift.reshape((C,) + tail), x.shape)

    def op_batch_norm_nt(self, kw: dict, **_: Any) -> tuple:
        y = self.op_batch_norm(kw)
        bad = _Bad("batch statistics of batch norm are not supported")
        return (y, bad, bad)

    def op_batch_norm_t(self, kw: dict, **_: Any) -> Any:
        raise self.fail_training("batch normalisation then uses the statistics of the batch")

    def op_dropout(self, kw: dict, node: Any = None, raw: str = "", **_: Any) -> Any:
        x = self.sym(kw["input"])
        if raw == "native_dropout":
            return (x, _Bad("the dropout mask is not supported"))
        return x

    # ---------------------------------------------------------------- pooling
    def _pool_out(self, L: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
        eff = d * (k - 1) + 1
        num = L + 2 * p - eff
        if num < 0:
            raise self.fail(f"pooling window {k} larger than its padded input {L + 2 * p}")
        o = (-(-num // s) if ceil else num // s) + 1
        if ceil and (o - 1) * s >= L + p:
            o -= 1
        return o

    def pool_args(self, x: _Sym, kw: dict, nd: int) -> tuple:
        if x.rank != nd + 1:
            raise self.fail(f"{nd}-D pooling of a tensor of per-sample shape {x.shape} (expected "
                            "(C, spatial...))")
        k = _tuple(kw["kernel_size"], nd)
        st = kw.get("stride")
        s = k if st is None or (isinstance(st, (list, tuple)) and len(st) == 0) else _tuple(st, nd)
        p = _tuple(kw.get("padding", 0), nd)
        d = _tuple(kw.get("dilation", 1) or 1, nd)
        return k, s, p, d

    def op_max_pool(self, kw: dict, nd: int) -> _Sym:
        x = self.sym(kw["input"])
        if kw.get("return_indices"):
            raise self.fail("return_indices: the indices of a max are not a piecewise-linear function")
        k, s, p, d = self.pool_args(x, kw, nd)
        ceil = bool(kw.get("ceil_mode", False))
        ends = []
        for i in range(nd):
            L = x.shape[1 + i]
            o = self._pool_out(L, k[i], s[i], p[i], d[i], ceil)
            ends.append(p[i] + max(0, (o - 1) * s[i] + d[i] * (k[i] - 1) + 1 - (L + 2 * p[i])))
        params = {"kernel": k, "strides": s, "pads": tuple(p) + tuple(ends), "dilations": d}
        return self.add("maxpool", (x,), params, self.out_shape())

    def op_max_pool1d(self, kw: dict, **_: Any) -> _Sym:
        return self.op_max_pool(kw, 1)

    def op_max_pool2d(self, kw: dict, **_: Any) -> _Sym:
        return self.op_max_pool(kw, 2)

    def op_max_pool1d_with_indices(self, kw: dict, **_: Any) -> tuple:
        return self.with_indices(lambda: self.op_max_pool(dict(kw, return_indices=False), 1))

    def op_max_pool2d_with_indices(self, kw: dict, **_: Any) -> tuple:
        return self.with_indices(lambda: self.op_max_pool(dict(kw, return_indices=False), 2))

    def with_indices(self, values: Callable[[], _Sym]) -> tuple:
        """(values, indices) results: the indices are not representable."""
        out = self.out
        if isinstance(out, (list, tuple)):
            self.out = out[0]
        try:
            y = values()
        finally:
            self.out = out
        return (y, _Bad("return_indices: the indices of a max are not a piecewise-linear function"))

    def op_avg_pool(self, kw: dict, nd: int) -> _Sym:
        x = self.sym(kw["input"])
        k, s, p, _d = self.pool_args(x, dict(kw, dilation=1), nd)
        ceil = bool(kw.get("ceil_mode", False))
        for i in range(nd):
            L = x.shape[1 + i]
            o_ceil = self._pool_out(L, k[i], s[i], p[i], 1, True)
            if ceil and o_ceil != self._pool_out(L, k[i], s[i], p[i], 1, False):
                raise self.fail("ceil_mode=True adds a partial window at the border here, whose "
                                "divisor relugeom does not model; use ceil_mode=False or a size "
                                "that the windows tile")
        cip = kw.get("count_include_pad", True)
        cip = True if cip is None else bool(cip)
        div = kw.get("divisor_override")
        params = {"kernel": k, "strides": s, "pads": tuple(p) * 2, "count_include_pad": cip}
        out = self.out_shape()
        if div:
            y = self.add("avgpool", (x,), dict(params, count_include_pad=True), out, ".avg")
            return self.affine(y, float(math.prod(k)) / float(div), None, out)
        return self.add("avgpool", (x,), params, out)

    def op_avg_pool1d(self, kw: dict, **_: Any) -> _Sym:
        return self.op_avg_pool(kw, 1)

    def op_avg_pool2d(self, kw: dict, **_: Any) -> _Sym:
        return self.op_avg_pool(kw, 2)

    def adaptive_sizes(self, x: _Sym, out_size: Any, nd: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        if x.rank != nd + 1:
            raise self.fail(f"{nd}-D adaptive pooling of per-sample shape {x.shape}")
        sp = x.shape[1:]
        if isinstance(out_size, (list, tuple)):
            outs = tuple(sp[i] if o is None else int(o) for i, o in enumerate(_as_list(out_size, nd)))
        else:
            outs = (int(out_size),) * nd
        return sp, outs

    def op_adaptive_avg(self, kw: dict, nd: int) -> _Sym:
        x = self.sym(kw["input"])
        sp, outs = self.adaptive_sizes(x, kw["output_size"], nd)
        if sp == outs:
            return x
        C = x.shape[0]
        if all(L % o == 0 for L, o in zip(sp, outs)):
            k = tuple(L // o for L, o in zip(sp, outs))
            return self.add("avgpool", (x,), {"kernel": k, "strides": k, "pads": (0,) * (2 * nd),
                                              "count_include_pad": True}, (C,) + outs)
        A = np.ones((1, 1))
        for L, o in zip(sp, outs):
            M = np.zeros((o, L))
            for i in range(o):
                a, b = (i * L) // o, -((-(i + 1) * L) // o)
                M[i, a:b] = 1.0 / (b - a)
            A = np.kron(A, M)
        h = x if nd == 1 else self.add("reshape", (x,), {"shape": (C, int(math.prod(sp)))},
                                       (C, int(math.prod(sp))), ".flat")
        y = self.add("dense", (h,), {"W": A, "b": None}, (C, int(math.prod(outs))),
                     "" if nd == 1 else ".avg")
        return y if nd == 1 else self.add("reshape", (y,), {"shape": (C,) + outs}, (C,) + outs)

    def op_adaptive_avg_pool1d(self, kw: dict, **_: Any) -> _Sym:
        return self.op_adaptive_avg(kw, 1)

    def op_adaptive_avg_pool2d(self, kw: dict, **_: Any) -> _Sym:
        return self.op_adaptive_avg(kw, 2)

    def op_adaptive_max(self, kw: dict, nd: int, with_indices: bool = False) -> Any:
        x = self.sym(kw["input"])
        if kw.get("return_indices") and not with_indices:
            raise self.fail("return_indices: the indices of a max are not a piecewise-linear function")
        sp, outs = self.adaptive_sizes(x, kw["output_size"], nd)
        if not all(L % o == 0 for L, o in zip(sp, outs)):
            raise self.fail(f"adaptive max pooling from {sp} to {outs}: the input size must be a "
                            "multiple of the output size (even windows)")
        k = tuple(L // o for L, o in zip(sp, outs))
        if sp == outs:
            y = x
        else:
            y = self.add("maxpool", (x,), {"kernel": k, "strides": k, "pads": (0,) * (2 * nd),
                                           "dilations": (1,) * nd}, (x.shape[0],) + outs)
        return y

    def op_adaptive_max_pool1d(self, kw: dict, node: Any = None, **_: Any) -> Any:
        if isinstance(getattr(node, "target", None), self.torch._ops.OpOverload):
            return self.with_indices(lambda: self.op_adaptive_max(kw, 1, with_indices=True))
        return self.op_adaptive_max(kw, 1)

    def op_adaptive_max_pool2d(self, kw: dict, node: Any = None, **_: Any) -> Any:
        if isinstance(getattr(node, "target", None), self.torch._ops.OpOverload):
            return self.with_indices(lambda: self.op_adaptive_max(kw, 2, with_indices=True))
        return self.op_adaptive_max(kw, 2)

    def op_pad(self, kw: dict, node: Any = None, cargs: Any = None, ckw: Any = None, **_: Any) -> _Sym:
        x = self.sym(kw["input"])
        pad = [int(v) for v in self.const(kw["pad"], "pad")]
        mode = kw.get("mode", "constant") or "constant"
        value = kw.get("value")
        value = 0.0 if value is None else float(value)
        m = len(pad) // 2
        if len(pad) % 2 or m > x.rank + 1:
            raise self.fail(f"pad {pad} does not fit per-sample shape {x.shape}")
        if m == x.rank + 1:
            if pad[-2:] != [0, 0]:
                raise self.fail("it pads the batch axis")
            pad, m = pad[:-2], m - 1
        F = self.F
        if mode != "constant" or any(v < 0 for v in pad):
            if mode == "constant":
                return self.gather(x, lambda t: F.pad(t, pad, mode="constant", value=0.0), value)
            return self.gather(x, lambda t: F.pad(t, pad, mode=mode))
        r = x.rank
        begins, ends = [0] * r, [0] * r
        for j in range(m):
            ax = r - 1 - j
            begins[ax], ends[ax] = pad[2 * j], pad[2 * j + 1]
        if not any(begins + ends):
            return x
        return self.add("pad", (x,), {"pads": tuple(begins + ends), "value": value}, self.out_shape())

    def op_constant_pad(self, kw: dict, **_: Any) -> _Sym:
        return self.op_pad(dict(kw, mode="constant"))

    def op_interpolate(self, kw: dict, node: Any = None, cargs: Any = None, ckw: Any = None,
                       **_: Any) -> _Sym:
        x = self.sym(kw["input"])
        mode = kw.get("mode", "nearest") or "nearest"
        run = lambda t: self.rerun(node, cargs, ckw, t)  # noqa: E731
        if mode in ("nearest", "nearest-exact"):
            return self.gather(x, run)
        return self.probe(x, run)

    def op_interp_probe(self, kw: dict, node: Any = None, cargs: Any = None, ckw: Any = None,
                        **_: Any) -> _Sym:
        return self.probe(self.sym(kw["input"]), lambda t: self.rerun(node, cargs, ckw, t))

    def probe(self, x: _Sym, run: Callable[[Any], Any]) -> _Sym:
        """A linear operation (interpolation) as a dense map, found on basis vectors."""
        T = self.torch
        out = self.out_shape()
        n, m = x.size, int(math.prod(out))
        if (n + 1) * max(n, m) > PROBE_MAX_ENTRIES:
            raise self.fail(f"it is linear but too large to write as a dense map ({n} inputs, "
                            f"{m} outputs per sample)")
        basis = T.cat([T.zeros(1, n, dtype=T.float64), T.eye(n, dtype=T.float64)]).reshape((n + 1,) + x.shape)
        y = run(basis).reshape(n + 1, m)
        c, A = y[0], y[1:] - y[0]
        z = T.randn((1,) + x.shape, dtype=T.float64, generator=T.Generator().manual_seed(1))
        pred = z.reshape(1, n) @ A + c
        got = run(z).reshape(1, m)
        if not T.allclose(pred, got, rtol=1e-9, atol=1e-9):  # pragma: no cover
            raise self.fail("it is not an affine function of its input")
        h = x if x.rank == 1 else self.add("reshape", (x,), {"shape": (n,)}, (n,), ".flat")
        b = c.numpy().copy()
        y = self.add("dense", (h,), {"W": A.numpy().T.copy(), "b": b if np.any(b) else None}, (m,),
                     "" if out == (m,) else ".dense")
        return y if out == (m,) else self.add("reshape", (y,), {"shape": out}, out)

    # ---------------------------------------------------------------- joins
    def op_cat(self, kw: dict, **_: Any) -> _Sym:
        parts = list(kw["tensors"])
        out = self.out_shape()
        R = len(out) + 1
        d = int(kw.get("dim", 0) or 0) % R
        if d == 0:
            raise self.fail("it concatenates along the batch axis (axis 0)")
        ins = []
        for p in parts:
            if isinstance(p, _Sym):
                if p.rank != len(out):
                    raise self.fail("concatenated tensors of different ranks")
                ins.append(p)
            else:
                c = self.sample_const(p, len(out), full=True)
                if c.size:
                    ins.append(self.const_layer(c, len(out)))
        if len(ins) == 1:
            return ins[0]
        return self.add("concat", ins, {"axis": d - 1}, out)

    def op_stack(self, kw: dict, **_: Any) -> _Sym:
        parts = list(kw["tensors"])
        out = self.out_shape()
        R = len(out) + 1
        d = int(kw.get("dim", 0) or 0) % R
        if d == 0:
            raise self.fail("it stacks along the batch axis (axis 0)")
        ins = []
        for p in parts:
            if isinstance(p, _Sym):
                sh = p.shape[:d - 1] + (1,) + p.shape[d - 1:]
                ins.append(self.add("reshape", (p,), {"shape": sh}, sh, ".unsqueeze"))
            else:
                c = self.sample_const(p, len(out) - 1, full=True)
                ins.append(self.const_layer(np.expand_dims(c, d - 1), len(out)))
        return self.add("concat", ins, {"axis": d - 1}, out)

    # ---------------------------------------------------------------- to_torch helpers
    def op_rg_take(self, kw: dict, **_: Any) -> _Sym:
        x = self.sym(kw["input"])
        idx = self.const(kw["idx"], "index").detach().cpu().numpy().astype(np.int64)
        shape = tuple(int(s) for s in kw["shape"])
        return self.add("take", (x,), {"idx": idx, "shape": shape}, self.out_shape())

    def op_rg_lincomb(self, kw: dict, **_: Any) -> _Sym:
        out = self.out_shape()
        xs = [v if isinstance(v, _Sym) else self.const_layer(v, len(out)) for v in kw["xs"]]
        coefs = [float(c) if isinstance(c, (int, float)) else self.sample_const(c, len(out))
                 for c in kw["coefs"]]
        const = kw.get("const")
        params = {"coefs": coefs}
        if const is not None:
            params["const"] = self.sample_const(const, len(out))
        return self.add("add", xs, params, out)

    def op_rg_conv(self, kw: dict, **_: Any) -> _Sym:
        x = self.sym(kw["input"])
        b = kw.get("b")
        params = {"W": self.np(kw["W"]), "b": None if b is None else self.np(b).reshape(-1),
                  "strides": tuple(kw["strides"]), "pads": tuple(kw["pads"]),
                  "dilations": tuple(kw["dilations"]), "groups": int(kw["groups"])}
        return self.add("conv", (x,), params, self.out_shape())

    def op_rg_maxpool(self, kw: dict, **_: Any) -> _Sym:
        params = {"kernel": tuple(kw["kernel"]), "strides": tuple(kw["strides"]),
                  "pads": tuple(kw["pads"]), "dilations": tuple(kw["dilations"])}
        return self.add("maxpool", (self.sym(kw["input"]),), params, self.out_shape())

    def op_rg_avgpool(self, kw: dict, **_: Any) -> _Sym:
        params = {"kernel": tuple(kw["kernel"]), "strides": tuple(kw["strides"]),
                  "pads": tuple(kw["pads"]), "count_include_pad": bool(kw["count_include_pad"])}
        return self.add("avgpool", (self.sym(kw["input"]),), params, self.out_shape())

    def op_rg_leaky(self, kw: dict, **_: Any) -> _Sym:
        x = self.sym(kw["input"])
        return self.unit("leaky_relu", x, {"alpha": self.np(kw["alpha"])})

    def op_rg_max(self, kw: dict, kind: str = "max", **_: Any) -> _Sym:
        return self.minmax(kind, list(kw["xs"]))

    def op_rg_min(self, kw: dict, **_: Any) -> _Sym:
        return self.op_rg_max(kw, kind="min")


_CONST = object()  # a constant in the model's output structure


def _as_list(v: Any, n: int) -> list:
    v = list(v)
    if len(v) == 1 and n > 1:
        v = v * n
    return v


def _prune(layers: list[Layer], shapes: list, out: int) -> tuple[list[Layer], list, int]:
    """Keep the layers the output reads (and the input), renumbered."""
    keep = {0, out}
    stack = [out]
    while stack:
        i = stack.pop()
        for j in layers[i].inputs:
            if j not in keep:
                keep.add(j)
                stack.append(j)
    order = sorted(keep)
    new = {old: k for k, old in enumerate(order)}
    res = [Layer(layers[i].kind, tuple(new[j] for j in layers[i].inputs), layers[i].params,
                 layers[i].name) for i in order]
    return res, [shapes[i] for i in order], new[out]


# ====================================================================== to_torch
# Functions the module made by to_torch calls where one torch call does not express a
# layer exactly (asymmetric pads, general linear combinations, …). from_torch traces
# them as single operations (torch.fx autowrap), so that round trips keep the layers.
# They are internal (not in __all__); fx autowraps only names without a leading '_'.
def rg_take(input: Any, idx: Any, shape: Sequence[int]) -> Any:
    n = input.shape[0]
    return input.reshape(n, -1)[:, idx].reshape((n,) + tuple(shape))


def rg_lincomb(xs: Sequence[Any], coefs: Sequence[Any], const: Any) -> Any:
    y = None
    for x, c in zip(xs, coefs):
        t = x * c
        y = t if y is None else y + t
    return y if const is None else y + const


def _torch_pads(pads: Sequence[int], nd: int) -> list[int]:
    """ONNX-style pads (begins..., ends...) as F.pad's list (last axis first)."""
    tp: list[int] = []
    for i in reversed(range(nd)):
        tp += [int(pads[i]), int(pads[nd + i])]
    return tp


def rg_conv(input: Any, W: Any, b: Any, strides: Sequence[int], pads: Sequence[int],
             dilations: Sequence[int], groups: int) -> Any:
    import torch.nn.functional as F

    nd = W.dim() - 2
    x = F.pad(input, _torch_pads(pads, nd))
    conv = F.conv1d if nd == 1 else F.conv2d
    return conv(x, W, b, tuple(strides), 0, tuple(dilations), int(groups))


def rg_maxpool(input: Any, kernel: Sequence[int], strides: Sequence[int], pads: Sequence[int],
                dilations: Sequence[int]) -> Any:
    import torch.nn.functional as F

    nd = len(kernel)
    x = F.pad(input, _torch_pads(pads, nd), value=-math.inf)
    pool = F.max_pool1d if nd == 1 else F.max_pool2d
    return pool(x, tuple(kernel), tuple(strides), 0, tuple(dilations))


def rg_avgpool(input: Any, kernel: Sequence[int], strides: Sequence[int], pads: Sequence[int],
                count_include_pad: bool) -> Any:
    import torch
    import torch.nn.functional as F

    nd = len(kernel)
    tp = _torch_pads(pads, nd)
    pool = F.avg_pool1d if nd == 1 else F.avg_pool2d
    s = pool(F.pad(input, tp), tuple(kernel), tuple(strides), 0)
    if count_include_pad or not any(pads):
        return s
    k = float(math.prod(kernel))
    ones = torch.ones((1, 1) + tuple(input.shape[2:]), dtype=input.dtype, device=input.device)
    cnt = pool(F.pad(ones, tp), tuple(kernel), tuple(strides), 0) * k
    return s * (k / cnt)


def rg_leaky(input: Any, alpha: Any) -> Any:
    import torch

    return torch.where(input > 0, input, input * alpha)


def rg_max(*xs: Any) -> Any:
    import torch

    y = xs[0]
    for x in xs[1:]:
        y = torch.maximum(y, x)
    return y


def rg_min(*xs: Any) -> Any:
    import torch

    y = xs[0]
    for x in xs[1:]:
        y = torch.minimum(y, x)
    return y


_HELPERS = [rg_take, rg_lincomb, rg_conv, rg_maxpool, rg_avgpool, rg_leaky, rg_max, rg_min]
_HELPER_NAMES = {f: f.__name__ for f in _HELPERS}
_PARAMS.update({
    "rg_take": ("input", "idx", "shape"), "rg_lincomb": ("xs", "coefs", "const"),
    "rg_conv": ("input", "W", "b", "strides", "pads", "dilations", "groups"),
    "rg_maxpool": ("input", "kernel", "strides", "pads", "dilations"),
    "rg_avgpool": ("input", "kernel", "strides", "pads", "count_include_pad"),
    "rg_leaky": ("input", "alpha"),
})


def _dtype(torch: Any, dtype: Any) -> Any:
    if dtype is None:
        return torch.float64
    if isinstance(dtype, str):
        if dtype not in ("float64", "float32", "float16", "bfloat16"):
            raise ValueError(f"dtype must be a torch floating dtype name; got {dtype!r}")
        return getattr(torch, dtype)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"dtype must be a torch floating dtype; got {dtype!r}")
    return dtype


def to_torch(net: Network, dtype: Any = None) -> Any:
    """Build a PyTorch module computing ``net``.

    A :class:`ReLUNetwork` becomes an ``nn.Sequential`` (``Linear``, ``ReLU``, …,
    ``Linear``). Any other :class:`Network` becomes a module that runs its layers in order
    with torch operations (``F.linear``, ``F.conv1d``/``F.conv2d``, ``F.max_pool*``,
    ``F.avg_pool*``, ``torch.relu``, ``torch.clamp``, …; a few small helper functions where
    one torch call does not express a layer exactly, e.g. asymmetric padding). It takes
    inputs ``(n, *net.input_shape)`` (or flat ``(n, input_dim)``) and returns
    ``(n, *net.output_shape)``. :func:`from_torch` reads it back layer for layer:
    ``from_torch(to_torch(net), net.input_shape)`` has the same layers and units.

    Parameters
    ----------
    net : Network or ReLUNetwork
    dtype : torch.dtype or str, optional
        Parameter type; default ``torch.float64`` (exact copy of the weights). ``"float32"``
        or ``torch.float32`` rounds them.

    Returns
    -------
    torch.nn.Module

    Examples
    --------
    >>> import torch
    >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
    >>> m = to_torch(net)
    >>> m(torch.tensor([[-3.0]], dtype=torch.float64)).tolist()
    [[3.0]]
    >>> from_torch(m) == net
    True

    A general network:

    >>> from relugeom.network import NetworkBuilder
    >>> b = NetworkBuilder((1, 4))
    >>> h = b.relu(b.conv(b.input, np.array([[[1.0, -1.0]]])))
    >>> net = b.build(b.maxpool(h, kernel=(3,)))
    >>> m = to_torch(net)
    >>> m(torch.tensor([[[0.0, 2.0, 1.0, 3.0]]], dtype=torch.float64)).tolist()
    [[[1.0]]]
    >>> [l.kind for l in from_torch(m, net.input_shape).layers]
    ['input', 'conv', 'relu', 'maxpool']
    """
    torch = _import_torch()
    dtype = _dtype(torch, dtype)
    if isinstance(net, ReLUNetwork):
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
    if not isinstance(net, Network):
        from ._graph import as_network

        as_network(net)
    return _module_class(torch)(net, dtype)


_MODULE_CLASS: Any = None


def __getattr__(name: str) -> Any:
    # NetworkModule is defined once torch is imported; this lets pickle find it
    if name == "NetworkModule":
        return _module_class(_import_torch())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _module_class(torch: Any) -> Any:
    """The class of the modules made by :func:`to_torch` (defined once torch is imported)."""
    global _MODULE_CLASS
    if _MODULE_CLASS is not None:
        return _MODULE_CLASS
    nn = torch.nn
    F = nn.functional

    class NetworkModule(nn.Module):
        """A relugeom network as a PyTorch module (made by ``relugeom.network.to_torch``).

        Runs the network's layers in order; parameters are buffers named ``l<i>_<name>``.
        """

        def __init__(self, net: Network, dtype: Any):
            super().__init__()
            self.input_shape = tuple(net.input_shape)
            self.output_index = int(net.output_layer)
            self.layer_kinds = tuple(l.kind for l in net.layers)
            self._dtype = dtype
            shapes = [tuple(s) for s in net._low.shapes]
            self.steps: list[tuple[str, tuple[int, ...], dict]] = []
            for i, layer in enumerate(net.layers):
                if i == 0:
                    continue
                self.steps.append(self._compile(i, layer, shapes))

        def _buf(self, i: int, key: str, value: Any, dtype: Any = None) -> str:
            name = f"l{i}_{key}"
            t = torch.as_tensor(np.asarray(value), dtype=self._dtype if dtype is None else dtype)
            self.register_buffer(name, t.clone())
            return name

        def _compile(self, i: int, layer: Layer, shapes: list) -> tuple:
            k, p = layer.kind, layer.params
            ins = tuple(layer.inputs)
            s_in = shapes[ins[0]] if ins else ()
            q: dict[str, Any] = {}
            if k == "dense":
                q["W"] = self._buf(i, "W", p["W"])
                q["b"] = None if p.get("b") is None else self._buf(i, "b", p["b"])
            elif k == "conv":
                W = np.asarray(p["W"])
                nd = W.ndim - 2
                q.update(nd=nd, W=self._buf(i, "W", W),
                         b=None if p.get("b") is None else self._buf(i, "b", p["b"]),
                         strides=tuple(int(v) for v in (p.get("strides") or (1,) * nd)),
                         pads=tuple(int(v) for v in (p.get("pads") or (0,) * (2 * nd))),
                         dilations=tuple(int(v) for v in (p.get("dilations") or (1,) * nd)),
                         groups=int(p.get("groups", 1)))
                k = "conv" if q["pads"][:nd] == q["pads"][nd:] else "conv_pad"
            elif k in ("avgpool", "maxpool"):
                kern = tuple(int(v) for v in p["kernel"])
                nd = len(kern)
                q.update(nd=nd, kernel=kern,
                         strides=tuple(int(v) for v in (p.get("strides") or (1,) * nd)),
                         pads=tuple(int(v) for v in (p.get("pads") or (0,) * (2 * nd))))
                sym = q["pads"][:nd] == q["pads"][nd:]
                if k == "maxpool":
                    q["dilations"] = tuple(int(v) for v in (p.get("dilations") or (1,) * nd))
                    eff = [(kk - 1) * d + 1 for kk, d in zip(kern, q["dilations"])]
                    ok = sym and all(2 * pp <= e for pp, e in zip(q["pads"][:nd], eff))
                    k = "maxpool" if ok else "maxpool_pad"
                else:
                    q["cip"] = bool(p.get("count_include_pad", False))
                    ok = sym and all(2 * pp <= kk for pp, kk in zip(q["pads"][:nd], kern))
                    k = "avgpool" if ok else "avgpool_pad"
            elif k == "affine":
                scale = np.asarray(p.get("scale", 1.0), dtype=np.float64)
                shift = p.get("shift")
                one = scale.ndim == 0 and float(scale) == 1.0
                q["scale"] = None if one else self._buf(i, "scale", scale)
                q["shift"] = None if shift is None else self._buf(i, "shift", shift)
                r = len(shapes[i])
                q["pre"] = (1,) * (r - len(s_in)) + tuple(s_in) if len(s_in) < r else None
            elif k == "add":
                coefs = p.get("coefs") or [1.0] * len(ins)
                arr = [np.asarray(c, dtype=np.float64) for c in coefs]
                q["const"] = None if p.get("const") is None else self._buf(i, "const", p["const"])
                if (len(ins) == 2 and arr[0].ndim == 0 and float(arr[0]) == 1.0 and arr[1].ndim == 0
                        and q["const"] is None):
                    q["alpha"] = float(arr[1])
                    k = "add2"
                else:
                    q["coefs"] = [float(c) if c.ndim == 0 else self._buf(i, f"c{j}", c)
                                  for j, c in enumerate(arr)]
            elif k == "reshape":
                q["shape"] = tuple(shapes[i])
            elif k == "transpose":
                q["perm"] = (0,) + tuple(int(v) + 1 for v in p["perm"])
            elif k == "concat":
                q["dim"] = int(p["axis"]) + 1
            elif k == "take":
                q["idx"] = self._buf(i, "idx", np.asarray(p["idx"], dtype=np.int64), torch.int64)
                q["shape"] = tuple(int(v) for v in p["shape"])
            elif k == "pad":
                r = len(s_in)
                q["pad"] = _torch_pads(p["pads"], r)
                q["value"] = float(p.get("value", 0.0))
            elif k == "reduce_sum":
                q.update(dim=tuple(int(a) % len(s_in) + 1 for a in p["axes"]),
                         keepdim=bool(p.get("keepdims", True)), mean=bool(p.get("mean", False)))
            elif k == "const":
                q["value"] = self._buf(i, "value", p["value"])
            elif k == "leaky_relu":
                a = np.asarray(p["alpha"], dtype=np.float64)
                r = len(s_in)
                if a.size == 1 and a.ndim <= r:
                    q["alpha"] = float(a.reshape(-1)[0])
                    k = "leaky_scalar"
                elif r >= 1 and a.shape == (s_in[0],) + (1,) * (r - 1):
                    q["weight"] = self._buf(i, "alpha", a.reshape(-1))
                    k = "prelu"
                else:
                    q["alpha"] = self._buf(i, "alpha", a)
            elif k == "clip":
                lo, hi = float(p.get("lo", -np.inf)), float(p.get("hi", np.inf))
                q.update(lo=None if math.isinf(lo) else lo, hi=None if math.isinf(hi) else hi)
            elif k in ("reduce_max", "reduce_min"):
                q.update(dim=tuple(int(a) % len(s_in) + 1 for a in p["axes"]),
                         keepdim=bool(p.get("keepdims", True)))
            elif k in ("relu", "abs", "max", "min"):
                pass
            else:  # pragma: no cover - every layer kind is handled above
                raise NetworkError(f"to_torch: layer kind {k!r} is not supported")
            return (k, ins, q)

        def forward(self, x: Any) -> Any:
            vals = [x.reshape((x.shape[0],) + self.input_shape)]
            for k, ins, q in self.steps:
                args = [vals[j] for j in ins]
                vals.append(getattr(self, "_run_" + k)(q, vals[0], *args))
            return vals[self.output_index]

        def _b(self, name: Any) -> Any:
            return None if name is None else getattr(self, name)

        # one method per layer kind
        def _run_dense(self, q, x0, x):
            return F.linear(x, self._b(q["W"]), self._b(q["b"]))

        def _run_conv(self, q, x0, x):
            conv = F.conv1d if q["nd"] == 1 else F.conv2d
            return conv(x, self._b(q["W"]), self._b(q["b"]), q["strides"], q["pads"][:q["nd"]],
                        q["dilations"], q["groups"])

        def _run_conv_pad(self, q, x0, x):
            return rg_conv(x, self._b(q["W"]), self._b(q["b"]), q["strides"], q["pads"],
                            q["dilations"], q["groups"])

        def _run_avgpool(self, q, x0, x):
            pool = F.avg_pool1d if q["nd"] == 1 else F.avg_pool2d
            return pool(x, q["kernel"], q["strides"], q["pads"][:q["nd"]], False, q["cip"])

        def _run_avgpool_pad(self, q, x0, x):
            return rg_avgpool(x, q["kernel"], q["strides"], q["pads"], q["cip"])

        def _run_maxpool(self, q, x0, x):
            pool = F.max_pool1d if q["nd"] == 1 else F.max_pool2d
            return pool(x, q["kernel"], q["strides"], q["pads"][:q["nd"]], q["dilations"])

        def _run_maxpool_pad(self, q, x0, x):
            return rg_maxpool(x, q["kernel"], q["strides"], q["pads"], q["dilations"])

        def _run_affine(self, q, x0, x):
            if q["pre"] is not None:
                x = x.reshape((x.shape[0],) + q["pre"])
            if q["shift"] is None:
                return torch.mul(x, 1.0 if q["scale"] is None else self._b(q["scale"]))
            if q["scale"] is None:
                return torch.add(x, self._b(q["shift"]))
            return torch.addcmul(self._b(q["shift"]), x, self._b(q["scale"]))

        def _run_add2(self, q, x0, a, b):
            return torch.add(a, b, alpha=q["alpha"])

        def _run_add(self, q, x0, *xs):
            coefs = [c if isinstance(c, float) else self._b(c) for c in q["coefs"]]
            return rg_lincomb(list(xs), coefs, self._b(q["const"]))

        def _run_reshape(self, q, x0, x):
            return x.reshape((x.shape[0],) + q["shape"])

        def _run_transpose(self, q, x0, x):
            return x.permute(q["perm"])

        def _run_concat(self, q, x0, *xs):
            return torch.cat(list(xs), dim=q["dim"])

        def _run_take(self, q, x0, x):
            return rg_take(x, self._b(q["idx"]), q["shape"])

        def _run_pad(self, q, x0, x):
            return F.pad(x, q["pad"], mode="constant", value=q["value"])

        def _run_reduce_sum(self, q, x0, x):
            if q["mean"]:
                return torch.mean(x, dim=q["dim"], keepdim=q["keepdim"])
            return torch.sum(x, dim=q["dim"], keepdim=q["keepdim"])

        def _run_const(self, q, x0):
            c = self._b(q["value"])
            return c.expand((x0.shape[0],) + tuple(c.shape))

        def _run_relu(self, q, x0, x):
            return torch.relu(x)

        def _run_leaky_scalar(self, q, x0, x):
            return F.leaky_relu(x, q["alpha"])

        def _run_prelu(self, q, x0, x):
            return F.prelu(x, self._b(q["weight"]))

        def _run_leaky_relu(self, q, x0, x):
            return rg_leaky(x, self._b(q["alpha"]))

        def _run_abs(self, q, x0, x):
            return torch.abs(x)

        def _run_clip(self, q, x0, x):
            return torch.clamp(x, q["lo"], q["hi"])

        def _run_max(self, q, x0, *xs):
            if len(xs) == 1:
                return xs[0]
            if len(xs) == 2:
                return torch.maximum(xs[0], xs[1])
            return rg_max(*xs)

        def _run_min(self, q, x0, *xs):
            if len(xs) == 1:
                return xs[0]
            if len(xs) == 2:
                return torch.minimum(xs[0], xs[1])
            return rg_min(*xs)

        def _run_reduce_max(self, q, x0, x):
            return torch.amax(x, dim=q["dim"], keepdim=q["keepdim"])

        def _run_reduce_min(self, q, x0, x):
            return torch.amin(x, dim=q["dim"], keepdim=q["keepdim"])

        def extra_repr(self) -> str:
            return f"input_shape={self.input_shape}, layers={list(self.layer_kinds[1:])}"

    NetworkModule.__module__ = __name__
    NetworkModule.__qualname__ = "NetworkModule"
    _MODULE_CLASS = NetworkModule
    return NetworkModule
