"""Reading and writing ONNX models of fully connected ReLU networks.

The reader traces the graph symbolically from its single real input. Every tensor that
depends on the input is kept as an affine function of the (flattened) input of the current
affine segment; a ``Relu`` closes the segment and becomes a hidden layer. So consecutive
affine operators (``Gemm``, ``MatMul`` + ``Add``, input normalisation ``Sub``/``Div``/``Mul``,
``Flatten``, ``Reshape``, ``Transpose``, ``Identity``) compose into one layer, and anything
the input does not depend on (``Constant`` nodes, initializers) is folded as a constant.

``onnx`` is imported only when these functions are called.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import NetworkError, UnsupportedLayerError
from ._network import ReLUNetwork

__all__ = ["load_onnx", "save_onnx"]

log = logging.getLogger(__name__)

_SUPPORTED = ("Gemm, MatMul+Add, Relu, Flatten, Identity, Reshape, Transpose, Constant, "
              "Sub/Div/Add/Mul/Neg normalisation")
ONNX_OPSET = 13


def _import_onnx() -> Any:
    try:
        import onnx
        from onnx import numpy_helper  # noqa: F401
    except ImportError:  # pragma: no cover - exercised only without onnx
        raise ImportError(
            "reading and writing ONNX files needs the onnx package: pip install onnx"
        ) from None
    return onnx


class _Sym:
    """An input-dependent tensor: ``value[idx] = M[idx] @ z + v[idx]``.

    ``z`` is the flat input of affine segment ``seg`` (the network input for segment 0,
    the output of the ``seg``-th ReLU layer otherwise). ``M`` has shape ``shape + (n_z,)``;
    it is stored as ``None`` while it is the identity (materialised on first use).
    """

    __slots__ = ("Mraw", "v", "seg")

    def __init__(self, M: np.ndarray | None, v: np.ndarray, seg: int):
        self.Mraw, self.v, self.seg = M, np.asarray(v, dtype=np.float64), seg

    @property
    def shape(self) -> tuple[int, ...]:
        return self.v.shape

    @property
    def M(self) -> np.ndarray:
        if self.Mraw is None:
            n = self.v.size
            self.Mraw = np.eye(n).reshape(self.shape + (n,))
        return self.Mraw


class _Tracer:
    def __init__(self, onnx: Any, graph: Any):
        self.onnx = onnx
        self.graph = graph
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        self.seg = 0

    # -------------------------------------------------------------- helpers
    def fail(self, node: Any, why: str | None = None) -> UnsupportedLayerError:
        name = node.name or (node.output[0] if node.output else "?")
        if why is None:
            why = f"relugeom reads {_SUPPORTED}"
        return UnsupportedLayerError(f"ONNX node '{name}' ({node.op_type}) is not supported: {why}")

    def same_seg(self, node: Any, *syms: _Sym) -> None:
        for s in syms:
            if s.seg != self.seg:
                raise self.fail(
                    node, "the graph is not a chain of layers (a tensor from before a Relu is used "
                          "after a later Relu: skip connections are not supported)")

    @staticmethod
    def bcast(s: _Sym, shape: tuple[int, ...]) -> _Sym:
        shape = np.broadcast_shapes(s.shape, shape)
        if shape == s.shape:
            return s
        n = s.M.shape[-1]
        v = np.broadcast_to(s.v, shape).copy()
        M = np.broadcast_to(s.M, shape + (n,)).copy()
        return _Sym(M, v, s.seg)

    def relu_layer(self, s: _Sym) -> _Sym:
        n = s.M.shape[-1]
        W = s.M.reshape(-1, n)
        b = s.v.reshape(-1)
        self.weights.append(W)
        self.biases.append(b)
        self.seg += 1
        N = b.size
        return _Sym(None, np.zeros(s.shape), self.seg)

    @staticmethod
    def matmul_sym_const(s: _Sym, W: np.ndarray) -> _Sym:
        """``s @ W`` with numpy matmul semantics (W 1-D or 2-D)."""
        lead = s.shape[:-1]
        if s.Mraw is None and int(np.prod(lead, dtype=np.int64)) == 1:  # identity: M is W^T
            k = s.shape[-1]
            M = W.reshape(lead + (k,)) if W.ndim == 1 else W.T.reshape(lead + (W.shape[1], k))
            return _Sym(M.copy(), s.v @ W, s.seg)
        Mt = np.swapaxes(s.M, -1, -2)  # (..., n, k)
        M = Mt @ W if W.ndim == 1 else np.swapaxes(Mt @ W, -1, -2)
        return _Sym(M, s.v @ W, s.seg)

    @staticmethod
    def matmul_const_sym(W: np.ndarray, s: _Sym) -> _Sym:
        """``W @ s`` with numpy matmul semantics (W 2-D)."""
        if len(s.shape) == 1:
            return _Sym(W.copy() if s.Mraw is None else W @ s.M, W @ s.v, s.seg)
        M = s.M  # (..., k, j, n)
        k, j, n = M.shape[-3:]
        lead = M.shape[:-3]
        out = (W @ M.reshape(lead + (k, j * n))).reshape(lead + (W.shape[0], j, n))
        return _Sym(out, W @ s.v, s.seg)

    # ----------------------------------------------------------------- ops
    def run(self, node: Any, args: list[Any]) -> Any:  # noqa: C901 - one dispatch table
        op = node.op_type
        attrs = {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}
        syms = [a for a in args if isinstance(a, _Sym)]
        if op in ("Identity",):
            return args[0]
        if op == "Constant":
            return self.constant(node, attrs)
        if not syms:  # constant folding
            return self.fold(node, op, attrs, args)
        self.same_seg(node, *syms)
        if op == "Relu":
            return self.relu_layer(args[0])
        if op in ("Add", "Sub"):
            a, b = args
            sign = 1.0 if op == "Add" else -1.0
            if isinstance(a, _Sym) and isinstance(b, _Sym):
                shape = np.broadcast_shapes(a.shape, b.shape)
                a, b = self.bcast(a, shape), self.bcast(b, shape)
                return _Sym(a.M + sign * b.M, a.v + sign * b.v, a.seg)
            if isinstance(a, _Sym):
                a = self.bcast(a, np.shape(b))
                return _Sym(a.Mraw, a.v + sign * np.broadcast_to(b, a.shape), a.seg)
            b = self.bcast(b, np.shape(a))
            return _Sym(sign * b.M, np.broadcast_to(a, b.shape) + sign * b.v, b.seg)
        if op in ("Mul", "Div"):
            a, b = args
            if isinstance(b, _Sym) and (op == "Div" or isinstance(a, _Sym)):
                raise self.fail(node, "the operation is not affine in the input "
                                      f"(relugeom reads {_SUPPORTED})")
            if isinstance(b, _Sym):
                a, b = b, a
            c = np.asarray(b, dtype=np.float64)
            if op == "Div":
                c = 1.0 / c
            a = self.bcast(a, c.shape)
            c = np.broadcast_to(c, a.shape)
            return _Sym(a.M * c[..., None], a.v * c, a.seg)
        if op == "Neg":
            s = args[0]
            return _Sym(-s.M, -s.v, s.seg)
        if op == "MatMul":
            a, b = args
            if isinstance(a, _Sym) and isinstance(b, _Sym):
                raise self.fail(node, "a product of two input-dependent tensors is not affine")
            if isinstance(a, _Sym):
                b = np.asarray(b, dtype=np.float64)
                if b.ndim > 2:
                    raise self.fail(node, f"MatMul with a {b.ndim}-D weight is not supported")
                return self.matmul_sym_const(a, b)
            a = np.asarray(a, dtype=np.float64)
            if a.ndim != 2:
                raise self.fail(node, f"MatMul with a {a.ndim}-D left weight is not supported")
            return self.matmul_const_sym(a, b)
        if op == "Gemm":
            return self.gemm(node, attrs, args)
        if op == "Flatten":
            s = args[0]
            axis = int(attrs.get("axis", 1))
            shape = s.shape
            axis = axis + len(shape) if axis < 0 else axis
            new = (int(np.prod(shape[:axis], dtype=np.int64)), int(np.prod(shape[axis:], dtype=np.int64)))
            return self.reshape(s, new)
        if op == "Reshape":
            s = args[0]
            target = args[1] if len(args) > 1 else attrs.get("shape")  # attribute before opset 5
            if target is None:
                raise self.fail(node, "Reshape without a target shape")
            if isinstance(target, _Sym):
                raise self.fail(node, "the target shape depends on the input")
            new = self.reshape_target(node, s.shape, np.asarray(target).astype(np.int64),
                                      bool(attrs.get("allowzero", 0)))
            return self.reshape(s, new)
        if op == "Transpose":
            s = args[0]
            perm = attrs.get("perm")
            perm = list(range(len(s.shape)))[::-1] if perm is None else [int(p) for p in perm]
            return _Sym(np.transpose(s.M, perm + [len(s.shape)]), np.transpose(s.v, perm), s.seg)
        raise self.fail(node)

    @staticmethod
    def reshape(s: _Sym, shape: tuple[int, ...]) -> _Sym:
        if s.Mraw is None:
            return _Sym(None, s.v.reshape(shape), s.seg)
        n = s.M.shape[-1]
        return _Sym(s.M.reshape(tuple(shape) + (n,)), s.v.reshape(shape), s.seg)

    def reshape_target(self, node: Any, shape: tuple[int, ...], t: np.ndarray,
                       allowzero: bool) -> tuple[int, ...]:
        t = [int(d) for d in t.reshape(-1)]
        if not allowzero:
            t = [shape[i] if d == 0 and i < len(shape) else d for i, d in enumerate(t)]
        size = int(np.prod(shape, dtype=np.int64))
        if t.count(-1) > 1:
            raise self.fail(node, f"reshape target {t} has more than one -1")
        if -1 in t:
            rest = int(np.prod([d for d in t if d != -1], dtype=np.int64))
            if rest == 0 or size % rest:
                raise self.fail(node, f"cannot reshape a tensor of shape {shape} to {t}")
            t[t.index(-1)] = size // rest
        if int(np.prod(t, dtype=np.int64)) != size:
            raise self.fail(node, f"cannot reshape a tensor of shape {shape} to {t}")
        return tuple(t)

    def gemm(self, node: Any, attrs: dict[str, Any], args: list[Any]) -> Any:
        a, b = args[0], args[1]
        c = args[2] if len(args) > 2 and args[2] is not None else None
        alpha = float(attrs.get("alpha", 1.0))
        beta = float(attrs.get("beta", 1.0))
        if isinstance(c, _Sym) or (isinstance(a, _Sym) and isinstance(b, _Sym)):
            raise self.fail(node, "only one Gemm operand may depend on the input")
        if isinstance(a, _Sym):
            if attrs.get("transA", 0):
                a = _Sym(np.swapaxes(a.M, 0, 1), a.v.T, a.seg)
            B = np.asarray(b, dtype=np.float64)
            B = B.T if attrs.get("transB", 0) else B
            out = self.matmul_sym_const(a, alpha * B)
        else:
            A = np.asarray(a, dtype=np.float64)
            A = A.T if attrs.get("transA", 0) else A
            if attrs.get("transB", 0):
                b = _Sym(np.swapaxes(b.M, 0, 1), b.v.T, b.seg)
            out = self.matmul_const_sym(alpha * A, b)
        if c is not None:
            cc = beta * np.asarray(c, dtype=np.float64)
            out = self.bcast(out, cc.shape)
            out = _Sym(out.Mraw, out.v + np.broadcast_to(cc, out.shape), out.seg)
        return out

    def constant(self, node: Any, attrs: dict[str, Any]) -> np.ndarray:
        nh = self.onnx.numpy_helper
        if "value" in attrs:
            return nh.to_array(attrs["value"])
        for key in ("value_float", "value_floats", "value_int", "value_ints"):
            if key in attrs:
                return np.asarray(attrs[key])
        raise self.fail(node, f"Constant with attributes {sorted(attrs)} (sparse or string "
                              "constants are not supported)")

    def fold(self, node: Any, op: str, attrs: dict[str, Any], args: list[Any]) -> np.ndarray:
        """Evaluate an operator on constants (weights computed inside the graph)."""
        x = [None if a is None else np.asarray(a) for a in args]
        if op == "Relu":
            return np.maximum(x[0], 0)
        if op in ("Add", "Sub", "Mul", "Div", "MatMul"):
            f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide,
                 "MatMul": np.matmul}[op]
            return f(x[0], x[1])
        if op == "Neg":
            return -x[0]
        if op == "Transpose":
            perm = attrs.get("perm")
            return np.transpose(x[0], None if perm is None else [int(p) for p in perm])
        if op == "Flatten":
            axis = int(attrs.get("axis", 1))
            axis = axis + x[0].ndim if axis < 0 else axis
            return x[0].reshape(int(np.prod(x[0].shape[:axis], dtype=np.int64)), -1)
        if op == "Reshape":
            target = x[1] if len(x) > 1 else np.asarray(attrs.get("shape", []))
            shape = self.reshape_target(node, x[0].shape, target.astype(np.int64),
                                        bool(attrs.get("allowzero", 0)))
            return x[0].reshape(shape)
        if op == "Gemm":
            A = x[0].T if attrs.get("transA", 0) else x[0]
            B = x[1].T if attrs.get("transB", 0) else x[1]
            y = float(attrs.get("alpha", 1.0)) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                y = y + float(attrs.get("beta", 1.0)) * x[2]
            return y
        raise self.fail(node)


def _shape_of(value_info: Any) -> tuple[int, ...]:
    """Static shape of a graph input; unknown or symbolic (batch) dimensions become 1."""
    t = value_info.type.tensor_type
    if not t.HasField("shape"):
        raise NetworkError(f"ONNX input '{value_info.name}' has no shape; relugeom needs the "
                           "input size to build the first layer")
    dims = []
    for d in t.shape.dim:
        dims.append(d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1)
    return tuple(dims)


def load_onnx(source: str | os.PathLike | Any) -> ReLUNetwork:
    """Read a fully connected ReLU network from an ONNX file or ``onnx.ModelProto``.

    The graph is traced from its single real input: the graph input that is not an
    initializer (exported files such as the ACAS Xu networks list every weight as a graph
    input too). Supported operators: ``Gemm`` (``transA``, ``transB``, ``alpha``, ``beta``),
    ``MatMul`` followed by ``Add`` (either operand order; weights and biases as initializers
    or ``Constant`` nodes), ``Relu``, ``Flatten``, ``Identity``, ``Reshape``, ``Transpose``,
    ``Constant``, and elementwise ``Sub``/``Div``/``Add``/``Mul``/``Neg`` with constants (input
    normalisation ``(x - mean) / std``). Consecutive affine operators are composed into one
    affine layer, so normalisation is folded into the first layer; the result is computed in
    float64 from the stored (possibly float32) weights.

    Batch dimensions: symbolic or unknown input dimensions are taken as 1, so inputs shaped
    ``(n,)``, ``(1, n)``, ``(batch, n)`` or ``(1, 1, 1, n)`` give a network on
    ``R^n``; the network's input is the real input flattened in C order, its output the graph
    output flattened. Fixed dimensions are kept as declared: an input fixed at ``(32, 784)``
    gives a network on ``R^25088`` (export with a dynamic or unit batch dimension instead).

    Parameters
    ----------
    source : str, path or onnx.ModelProto

    Returns
    -------
    ReLUNetwork

    Raises
    ------
    UnsupportedLayerError
        For any other operator (the message names the node and its op type), for skip
        connections, or for a product of two input-dependent tensors.
    NetworkError
        If the graph has no or several real inputs, or several outputs, or its output does
        not depend on the input.

    Examples
    --------
    >>> import onnx
    >>> from onnx import helper, TensorProto, numpy_helper
    >>> W = numpy_helper.from_array(np.array([[1.0, -1.0]], dtype=np.float32), "W")
    >>> g = helper.make_graph(
    ...     [helper.make_node("MatMul", ["x", "Wt"], ["h"]), helper.make_node("Relu", ["h"], ["y"])],
    ...     "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
    ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])],
    ...     [numpy_helper.from_array(np.array([[1.0], [-1.0]], dtype=np.float32), "Wt")])
    >>> net = load_onnx(helper.make_model(g))
    >>> net.widths, net([[3.0, 1.0]]).tolist()
    ((2, 1, 1), [[2.0]])
    >>> bad = helper.make_graph([helper.make_node("Sigmoid", ["x"], ["y"], name="s1")], "g",
    ...     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
    ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])])
    >>> load_onnx(helper.make_model(bad))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    relugeom.errors.UnsupportedLayerError: ONNX node 's1' (Sigmoid) is not supported: relugeom reads Gemm, ...
    """
    onnx = _import_onnx()
    if isinstance(source, (str, os.PathLike)):
        where = str(source)
        try:
            model = onnx.load(str(source))
        except FileNotFoundError:
            raise
        except Exception as exc:  # onnx raises DecodeError and friends
            raise NetworkError(f"cannot read ONNX file '{where}': {exc}") from None
    elif isinstance(source, onnx.ModelProto):
        model, where = source, "ONNX model"
    else:
        raise TypeError(f"load_onnx expects a path or an onnx.ModelProto; got {type(source).__name__}")
    graph = model.graph
    nh = onnx.numpy_helper
    env: dict[str, Any] = {t.name: nh.to_array(t) for t in graph.initializer}
    real = [i for i in graph.input if i.name not in env]
    if len(real) != 1:
        raise NetworkError(f"{where}: expected exactly one graph input that is not an initializer; "
                           f"got {[i.name for i in real]}")
    if len(graph.output) != 1:
        raise NetworkError(f"{where}: expected one graph output; got {[o.name for o in graph.output]}")
    inp = real[0]
    shape = _shape_of(inp)
    env[inp.name] = _Sym(None, np.zeros(shape), 0)
    env[""] = None  # optional inputs left empty

    # only the nodes the output depends on
    producer = {o: k for k, node in enumerate(graph.node) for o in node.output}
    needed: set[int] = set()
    stack = [graph.output[0].name]
    while stack:
        name = stack.pop()
        k = producer.get(name)
        if k is None or k in needed:
            continue
        needed.add(k)
        stack.extend(graph.node[k].input)

    tracer = _Tracer(onnx, graph)
    for k, node in enumerate(graph.node):
        if k not in needed:
            continue
        try:
            args = [env[name] for name in node.input]
        except KeyError as exc:
            raise NetworkError(f"{where}: node '{node.name}' ({node.op_type}) reads {exc.args[0]!r}, "
                               "which is not produced earlier (graph not topologically sorted?)") from None
        out = tracer.run(node, args)
        if len(node.output) > 1 and any(node.output[1:]):
            raise tracer.fail(node, "nodes with several outputs are not supported")
        env[node.output[0]] = out
    res = env.get(graph.output[0].name)
    if not isinstance(res, _Sym):
        raise NetworkError(f"{where}: the output '{graph.output[0].name}' does not depend on the "
                           f"input '{inp.name}'")
    if res.seg != tracer.seg:
        raise NetworkError(f"{where}: the output is not computed from the last Relu layer")
    n = res.M.shape[-1]
    weights = tracer.weights + [res.M.reshape(-1, n)]
    biases = tracer.biases + [res.v.reshape(-1)]
    net = ReLUNetwork(weights, biases)
    log.debug("loaded %s: input %r %s, widths %s", where, inp.name, shape, net.widths)
    return net


def save_onnx(net: ReLUNetwork, path: str | os.PathLike, *, dtype: str = "float64",
              input_name: str = "input", output_name: str = "output") -> None:
    """Write a network as an ONNX model: ``Gemm`` (``transB=1``) and ``Relu`` nodes, opset 13.

    The model has one input shaped ``(batch, n_0)`` and one output ``(batch, n_L)``; the weights
    are initializers only (not graph inputs). onnxruntime runs it; :func:`load_onnx` reads it
    back exactly when ``dtype="float64"``.

    Parameters
    ----------
    net : ReLUNetwork
    path : str or path
    dtype : {"float64", "float32"}
        Element type of the weights and of the input and output.
    input_name, output_name : str

    Examples
    --------
    >>> import tempfile, os
    >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
    >>> p = os.path.join(tempfile.mkdtemp(), "abs.onnx")
    >>> save_onnx(net, p)
    >>> load_onnx(p) == net
    True
    """
    onnx = _import_onnx()
    helper, nh = onnx.helper, onnx.numpy_helper
    np_dtype = {"float64": np.float64, "float32": np.float32}.get(str(dtype))
    if np_dtype is None:
        raise ValueError(f"dtype must be 'float64' or 'float32'; got {dtype!r}")
    elem = onnx.TensorProto.DOUBLE if np_dtype is np.float64 else onnx.TensorProto.FLOAT
    nodes, inits = [], []
    h = input_name
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        inits += [nh.from_array(np.asarray(W, dtype=np_dtype), f"W{l}"),
                  nh.from_array(np.asarray(b, dtype=np_dtype), f"b{l}")]
        last = l == net.n_layers - 1
        z = output_name if last else f"z{l}"
        nodes.append(helper.make_node("Gemm", [h, f"W{l}", f"b{l}"], [z], name=f"gemm{l}", transB=1))
        if not last:
            h = f"h{l}"
            nodes.append(helper.make_node("Relu", [z], [h], name=f"relu{l}"))
    graph = helper.make_graph(
        nodes, "relugeom_network",
        [helper.make_tensor_value_info(input_name, elem, ["batch", net.input_dim])],
        [helper.make_tensor_value_info(output_name, elem, ["batch", net.output_dim])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)],
                              producer_name="relugeom")
    model.ir_version = 7  # the IR version of opset 13; widely readable
    onnx.checker.check_model(model)
    onnx.save(model, str(Path(path)))
