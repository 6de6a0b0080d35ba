"""Invariants of ReLU activation regions, end to end.

1. The worked example of the talks: widths (2, 2, 2), patterns (1, 0) and (1, 1):
   J^A = <det M_1, det(M_2 - M_1)>, checked against the Alexandr–Montúfar theorem.
2. A concrete network on concrete data: its activation patterns, a certified parameter in
   the activation region, the output-variety invariants I_X^A for that data, and a target
   that the invariants prove unreachable for every network in the region.

Run:  python examples/invariants_relu.py
"""

from fractions import Fraction

import numpy as np

from relugeom.algebra import implicitize
from relugeom.network import ReLUNetwork
from relugeom.patterns import (ActivationRegion, OutputMap, PatternAssignment, PatternMap, check_known,
                               output_invariants, parse_blocks, reachability)


def worked_example() -> None:
    A = parse_blocks("10;11", (2, 2, 2))
    phi = PatternMap(A)
    res = implicitize(phi, 4, rng=0, symmetry=phi.symmetry())
    print(res.summary())
    for g in res.generators:
        print("  ", g, "  [certificate:", g.certificate.method + "]")
    chk = check_known(A, res, max_degree=4)
    print("theorem minors vanish:", chk.all_vanish, "| span I_d for d <= 4:", chk.spans)
    print(res.to_singular())


def network_on_data() -> None:
    net = ReLUNetwork([[[1.0, 0.0], [0.0, 1.0]], [[1.0, -1.0], [2.0, 1.0]]])
    X = np.array([[1, -1], [2, -1], [3, -2], [1, 1], [2, 1], [1, 3]], dtype=float)
    A = PatternAssignment.from_network(net, X)
    print("\npatterns of the network on X:", A.to_text(), "point blocks", A.point_blocks.tolist())
    region = ActivationRegion(A, X)
    found = region.find_point(rng=0)
    print("parameter in the activation region:", found.status.value, "(checked exactly:", found.exact, ")")
    inv = output_invariants(A, X, 3)
    print(f"I_X^A through degree 3 ({inv.method}): degrees {inv.degrees}")
    for s in inv.to_strings():
        print("  ", s)
    Y_net = net(X)
    print("network's own outputs:", reachability(A, X, Y_net, invariants=inv, rng=0).status.value)
    Y_bad = [[Fraction(v) for v in row] for row in Y_net.astype(int) + np.eye(6, 2, dtype=int)]
    r = reachability(A, X, Y_bad, invariants=inv)
    print("perturbed outputs:", r.status.value, "-", r.reason)
    psi = OutputMap(A, X)
    print("outputs per block are M_b X_b:", psi.output_names[:4], "...")


if __name__ == "__main__":
    worked_example()
    network_on_data()
