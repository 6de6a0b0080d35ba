#!/usr/bin/env python
"""Run the peer tool SplineCam on a 2-D slice of an ONNX ReLU classifier.

SplineCam (Humayun et al., CVPR 2023; github.com/AhmedImtiazPrio/splinecam) computes the exact
linear regions of a ``torch.nn.Sequential`` network on a 2-D polygon of its input space.
This script asks it for the regions on the parallelogram

    x(s, t) = P0 + s (P1 - P0) + t (P2 - P0),   (s, t) in [lo, hi]^2  (``--box lo hi``, default 0 1)

where P0, P1, P2 are the centres of the input boxes of three VNN-LIB properties, and prints one
JSON line::

    {"tool": "splinecam", "n_regions": ..., "seconds": ..., "peak_mb": ..., "error": null, ...}

``seconds`` is the wall time of the whole process, from its start (read from /proc) to the end,
so it includes the imports of torch / graph-tool and the ONNX conversion ("cold");
``compute_seconds`` is the SplineCam call alone and ``partition_seconds`` its region part.
``peak_mb`` is ``ru_maxrss`` of this process (plus its children, if any). The script runs
single-threaded: it sets OMP/MKL/OPENBLAS_NUM_THREADS=1 before torch loads, calls
``torch.set_num_threads(1)`` and passes ``n_workers=0`` so SplineCam's DataLoaders fork no workers.

Run it with the SplineCam virtualenv's python (see README.md beside this file); it does not
import relugeom. SplineCam itself is imported from ``--splinecam`` (default /work/peers/splinecam),
a checkout with the small CPU / torch-2 edits listed in the README.

What SplineCam is asked: ``splinecam.compute.get_partitions_with_db(domain, T, NN)`` with ``NN``
= ``splinecam.wrappers.model_wrapper`` of the network converted to ``torch.nn.Sequential``,
``T`` = [u1 u2 c] an orthonormal basis of the slice's plane plus an origin, and ``domain`` =
the four corners of the parallelogram in input space (closed polygon). The region count is
the number of polygons it returns. By default the decision-boundary step that follows the
partition inside that function is skipped (the count does not depend on it); ``--with-db``
runs it too.

Measured here (2024-02 SplineCam, torch 2.13 CPU, one thread): mnist-net_256x6 on its slice
through props 0/1/2 (0.03), [0,1]^2: 124,122 regions in ~300 s, 2.9 GB. oval21 cifar_base_kw on
its slice: does not finish; 1095 of the first conv layer's 2048 hyperplanes cross the slice
(~260,000 regions from that layer alone) and SplineCam finds each region of a layer's graph by
a breadth-first search over the whole graph, so it never leaves layer 1 (smaller boxes run).

Limits (these produce ``"error"`` and exit status 0):
  * networks with residual connections (ONNX ``Add`` of two computed tensors, e.g.
    cifar10_resnet/resnet_2b.onnx): SplineCam's ``model_wrapper`` wraps only a sequential chain
    of Linear / Conv2d / BatchNorm / AvgPool2d / Flatten / (Leaky)ReLU modules; skip
    connections are listed under "To do" in its README;
  * convolutions whose output size is not input/stride (its conv wrapper assumes that);
  * any other ONNX operator than Conv, Gemm, MatMul(+Add), Relu, Flatten, Reshape-to-flat.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_v] = "1"
os.environ.setdefault("TQDM_DISABLE", "1")  # SplineCam wraps its loops in tqdm

import argparse
import contextlib
import json
import re
import resource
import signal
import sys
import time
import types


def _process_start_wall() -> float:
    """Wall-clock time (time.time()) at which this process started, from /proc."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 of stat, counted after "pid (comm)"
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return time.time() - uptime + start_ticks / os.sysconf("SC_CLK_TCK")
    except Exception:  # pragma: no cover - not Linux
        return time.time()


_T_PROCESS = _process_start_wall()


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0  # ru_maxrss is in KiB on Linux


# ----------------------------------------------------------------------------- VNN-LIB
_BOUND = re.compile(r"\(\s*assert\s*\(\s*(<=|>=)\s+X_(\d+)\s+([-+0-9.eE]+)\s*\)\s*\)")


def box_centre(path: str):
    """Midpoint of the input box ``(assert (<= X_i v))`` / ``(assert (>= X_i v))``."""
    import numpy as np

    upper: dict[int, float] = {}
    lower: dict[int, float] = {}
    with open(path) as f:
        for m in _BOUND.finditer(f.read()):
            (upper if m.group(1) == "<=" else lower)[int(m.group(2))] = float(m.group(3))
    n = max(upper) + 1 if upper else 0
    if n == 0 or set(upper) != set(range(n)) or set(lower) != set(range(n)):
        raise ValueError(f"{path}: expected one <= and one >= bound for each of X_0 .. X_{n - 1}")
    lo = np.array([lower[i] for i in range(n)])
    hi = np.array([upper[i] for i in range(n)])
    return (lo + hi) / 2.0


# ----------------------------------------------------------------------------- ONNX -> torch
class Unsupported(Exception):
    pass


def onnx_to_sequential(path: str):
    """Convert a chain-shaped ONNX ReLU network to ``torch.nn.Sequential``.

    Returns ``(model, input_shape)`` with input_shape ``(C, H, W)`` for a network whose first
    compute layer is a Conv, else ``(n,)``.
    """
    import numpy as np
    import onnx
    import torch
    from onnx import numpy_helper

    graph = onnx.load(path).graph
    consts = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for node in graph.node:  # Constant nodes count as initializers
        if node.op_type == "Constant":
            consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    inputs = [i for i in graph.input if i.name not in consts]
    if len(inputs) != 1:
        raise Unsupported(f"expected one graph input, found {len(inputs)}")
    dims = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim]
    flat_dim = int(np.prod([d for d in dims[1:] if d > 0]))

    def attrs(node):
        return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}

    def t(a):
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))

    layers: list = []
    current = inputs[0].name
    nodes = [n for n in graph.node if n.op_type != "Constant"]
    joins = [n for n in nodes if n.op_type in ("Add", "Sum", "Concat")
             and len([x for x in n.input if x and x not in consts]) >= 2]
    if joins:
        raise Unsupported(
            f"network has {len(joins)} residual/branch join(s) (ONNX {joins[0].op_type} of two "
            "computed tensors); SplineCam's model_wrapper only wraps a sequential chain of "
            "Linear/Conv2d/BatchNorm/AvgPool2d/Flatten/ReLU modules, and skip connections are "
            "on its README's 'To do' list")
    i = 0
    while i < len(nodes):
        node = nodes[i]
        op = node.op_type
        data_in = [x for x in node.input if x and x not in consts]
        if data_in != [current]:
            raise Unsupported(f"node {node.name or op} does not continue a sequential chain")
        a = attrs(node)
        if op == "Conv":
            w = consts[node.input[1]]
            b = consts[node.input[2]] if len(node.input) > 2 and node.input[2] else None
            pads = list(a.get("pads", [0, 0, 0, 0]))
            strides = list(a.get("strides", [1, 1]))
            if a.get("group", 1) != 1 or any(d != 1 for d in a.get("dilations", [1, 1])):
                raise Unsupported("grouped or dilated Conv")
            if len(set(pads)) != 1 or len(set(strides)) != 1:
                raise Unsupported(f"asymmetric Conv pads {pads} / strides {strides}")
            conv = torch.nn.Conv2d(w.shape[1], w.shape[0], tuple(w.shape[2:]),
                                   stride=strides[0], padding=pads[0], bias=b is not None)
            conv.weight.data = t(w)
            if b is not None:
                conv.bias.data = t(b)
            layers.append(conv)
        elif op == "Gemm":
            w = consts[node.input[1]]
            b = consts[node.input[2]] if len(node.input) > 2 else np.zeros(1)
            if a.get("transA", 0):
                raise Unsupported("Gemm with transA")
            w = w if a.get("transB", 0) else w.T
            w = w * a.get("alpha", 1.0)
            b = np.broadcast_to(np.asarray(b) * a.get("beta", 1.0), (w.shape[0],))
            lin = torch.nn.Linear(w.shape[1], w.shape[0])
            lin.weight.data, lin.bias.data = t(w), t(b)
            layers.append(lin)
        elif op == "MatMul":
            w = consts[node.input[1]].T  # x @ W  ->  Linear weight W^T
            b = np.zeros(w.shape[0])
            nxt = nodes[i + 1] if i + 1 < len(nodes) else None
            if nxt is not None and nxt.op_type == "Add" and node.output[0] in nxt.input:
                other = [x for x in nxt.input if x != node.output[0]]
                if len(other) == 1 and other[0] in consts:
                    b = np.broadcast_to(consts[other[0]].reshape(-1), (w.shape[0],))
                    node = nxt
                    i += 1
            lin = torch.nn.Linear(w.shape[1], w.shape[0])
            lin.weight.data, lin.bias.data = t(w), t(b)
            layers.append(lin)
        elif op == "Relu":
            layers.append(torch.nn.ReLU())
        elif op in ("Flatten", "Reshape"):
            if op == "Reshape":
                shape = [int(v) for v in consts[node.input[1]].reshape(-1)]
                if not (len(shape) == 2 and (shape[1] == -1 or shape[0] in (1, -1))):
                    raise Unsupported(f"Reshape to {shape} is not a flatten")
            layers.append(torch.nn.Flatten())
        else:
            raise Unsupported(f"ONNX operator {op} is not handled")
        current = node.output[0]
        i += 1
    if graph.output[0].name != current:
        raise Unsupported("graph output is not the end of the chain")

    # Leading Flatten layers are no-ops for SplineCam (it feeds flat vectors).
    while layers and isinstance(layers[0], torch.nn.Flatten):
        layers.pop(0)
    if layers and isinstance(layers[0], torch.nn.Conv2d):
        spatial = [d for d in dims[1:]]
        if len(spatial) != 3:
            raise Unsupported(f"Conv network with input dims {dims}")
        input_shape = tuple(int(d) for d in spatial)
    else:
        input_shape = (flat_dim,)
    model = torch.nn.Sequential(*layers).double().eval()
    return model, input_shape


# ----------------------------------------------------------------------------- SplineCam
def import_splinecam(path: str):
    sys.path.insert(0, path)
    try:  # splinecam/models.py does `from torchvision import models` at import time;
        import torchvision  # noqa: F401  (only its VGG helpers use it)
    except Exception:  # absent, or a CUDA build that cannot load its ops on CPU torch
        stub = types.ModuleType("torchvision")
        stub.models = types.ModuleType("torchvision.models")
        sys.modules["torchvision"] = stub
        sys.modules["torchvision.models"] = stub.models
    import splinecam

    return splinecam


def run(args) -> dict:
    import numpy as np
    import torch

    torch.set_num_threads(1)
    sc = import_splinecam(args.splinecam)

    model, input_shape = onnx_to_sequential(args.net)
    p0, p1, p2 = (box_centre(p) for p in args.points)
    n_in = int(np.prod(input_shape))
    if not (p0.size == p1.size == p2.size == n_in):
        raise ValueError(f"points have {p0.size}, {p1.size}, {p2.size} coordinates; net input has {n_in}")

    lo, hi = args.box
    d1, d2 = p1 - p0, p2 - p0
    corners = [p0 + s * d1 + t_ * d2 for s, t_ in ((lo, lo), (hi, lo), (hi, hi), (lo, hi))]
    domain = torch.from_numpy(np.stack(corners + corners[:1]))  # closed polygon, input space
    # Orthonormal basis of the plane (SplineCam maps input -> 2-D with T[:, :2]^T (x - T[:, 2])).
    u1 = d1 / np.linalg.norm(d1)
    v = d2 - (u1 @ d2) * u1
    if np.linalg.norm(v) <= 1e-12 * np.linalg.norm(d2):
        raise ValueError("the three points are collinear")
    u2 = v / np.linalg.norm(v)
    T = torch.from_numpy(np.stack([u1, u2, corners[0]], axis=1))  # n_in x 3

    with contextlib.redirect_stdout(sys.stderr):  # SplineCam prints progress
        NN = sc.wrappers.model_wrapper(model, input_shape=input_shape, T=T,
                                       dtype=torch.float64, device="cpu")
        if not NN.verify():
            raise RuntimeError("SplineCam's wrapper disagrees with the network's forward pass")

        marks: dict = {}
        db_step = sc.compute.to_next_layer_partition_batched

        def db_hook(*a, **k):  # called once, for the decision boundary, after the partition
            marks["db_start"] = time.perf_counter()
            if not args.with_db:
                raise RuntimeError("decision-boundary step skipped")  # the caller catches it
            res = db_step(*a, **k)
            marks["db_done"] = True
            return res

        sc.compute.to_next_layer_partition_batched = db_hook
        t0 = time.perf_counter()
        regions, _endpoints, _Abw = sc.compute.get_partitions_with_db(domain, T, NN, n_workers=0)
        t1 = time.perf_counter()
        sc.compute.to_next_layer_partition_batched = db_step

    return {"n_regions": len(regions), "compute_seconds": t1 - t0,
            "partition_seconds": marks.get("db_start", t1) - t0,
            "with_db": bool(args.with_db),
            "db_completed": bool(marks.get("db_done")) if args.with_db else None,
            "input_shape": list(input_shape)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--net", required=True, help="ONNX network")
    ap.add_argument("--points", nargs=3, required=True, metavar="VNNLIB",
                    help="three VNN-LIB files; the centres of their input boxes span the plane")
    ap.add_argument("--box", nargs=2, type=float, default=[0.0, 1.0], metavar=("LO", "HI"),
                    help="(s, t) range of the slice (default 0 1)")
    ap.add_argument("--splinecam", default="/work/peers/splinecam",
                    help="directory holding the splinecam package (default /work/peers/splinecam)")
    ap.add_argument("--with-db", action="store_true",
                    help="also run SplineCam's decision-boundary step (not needed for the count)")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="give up after this many seconds (reported as an error)")
    args = ap.parse_args()

    out = {"tool": "splinecam", "n_regions": None, "seconds": None, "peak_mb": None,
           "error": None, "net": args.net, "box": args.box}
    if args.time_limit:
        def _timeout(signum, frame):
            # Report and leave from the handler: an exception raised here could be swallowed
            # by one of SplineCam's bare ``except:`` clauses (e.g. in graph._find_cycles).
            out["error"] = f"TimeoutError: time limit of {args.time_limit:g} s reached"
            out["seconds"] = time.time() - _T_PROCESS
            out["peak_mb"] = _peak_mb()
            sys.stdout = sys.__stdout__
            print(json.dumps(out), flush=True)
            os._exit(0)

        signal.signal(signal.SIGALRM, _timeout)
        signal.setitimer(signal.ITIMER_REAL, args.time_limit)
    try:
        out.update(run(args))
    except Unsupported as e:
        out["error"] = f"unsupported network: {e}"
    except BaseException as e:  # report, never crash: the caller reads one JSON line
        if isinstance(e, KeyboardInterrupt):
            raise
        out["error"] = f"{type(e).__name__}: {e}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    out["seconds"] = time.time() - _T_PROCESS
    out["peak_mb"] = _peak_mb()
    print(json.dumps(out), flush=True)
    sys.stderr.flush()
    return 0


if __name__ == "__main__":
    main()
    # Skip the interpreter teardown (unloading torch / graph-tool takes ~0.4 s) so that the
    # process ends right after "seconds" was measured.
    os._exit(0)
