"""Check ACAS Xu properties with relugeom.verify, VNN-COMP style.

Loads a network (ONNX) and a VNN-LIB property from ../shared/data/acasxu, runs
check_safety and prints the verdict, the reason and, for violated properties, the
counterexample (checked by evaluating the network). The same as

    relugeom verify ACASXU_run2a_1_7_batch_2000.onnx prop_3.vnnlib --counterexample ce.txt

Run:  python examples/verify_acasxu.py [NET PROP]   (default: 1_7 3 and 1_1 1)
"""

import sys
from pathlib import Path

from relugeom.network import load_onnx
from relugeom.verify import check_safety, read_vnnlib

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "acasxu"


def run(net_id: str, prop: int) -> None:
    net = load_onnx(DATA / f"ACASXU_run2a_{net_id}_batch_2000.onnx")
    p = read_vnnlib(DATA / f"prop_{prop}.vnnlib")
    print(f"network {net_id} {net.widths}, property {prop}: input set {p.input_set.parts}, "
          f"{p.unsafe.n_parts} unsafe polyhedra")
    res = check_safety(net, p.input_set, p.unsafe, time_limit=120, rng=0)
    print(f"  {res.verdict.vnncomp} ({res.verdict.value}) in {res.seconds:.2f} s: {res.reason}")
    if res.counterexample is not None:
        c = res.counterexample
        print(f"  x = {c.x.round(6).tolist()}\n  f(x) = {c.y.round(6).tolist()}, margin {c.margin:.3g}")
    print(f"  stats: {res.stats}")


if __name__ == "__main__":
    if len(sys.argv) == 3:
        run(sys.argv[1], int(sys.argv[2]))
    else:
        run("1_7", 3)
        run("1_1", 1)
