"""Invariants of ReLU activation regions, end to end.

1. The worked example of the talks: widths (2, 2, 2), patterns (1, 0) and (1, 1):
   J^A = <det M_1, det(M_2 - M_1)>, checked against the Alexandr–Montúfar theorem.
2. A concrete network on concrete data: its activation patterns, a certified parameter in
   the activation region, the output-variety invariants I_X^A for that data, and a target
   that the invariants prove unreachable for every network in the region.

Run:  python examples/invariants_relu.py   (writes invariants_relu.png)
"""

from fractions import Fraction

import numpy as np

from relugeom.algebra import implicitize
from relugeom.network import ReLUNetwork
from relugeom.patterns import (ActivationRegion, OutputMap, PatternAssignment, PatternMap, check_known,
                               output_invariants, parse_blocks, reachability)


def worked_example():
    A = parse_blocks("10;11", (2, 2, 2))
    phi = PatternMap(A)
    res = implicitize(phi, 4, rng=0, symmetry=phi.symmetry())
    print(res.summary())
    for g in res.generators:
        print("  ", g, "  [certificate:", g.certificate.method + "]")
    chk = check_known(A, res, max_degree=4)
    print("theorem minors vanish:", chk.all_vanish, "| span I_d for d <= 4:", chk.spans)
    print(res.to_singular())
    return res


def network_on_data():
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
    return net, X, A


def draw(res, net, X, A, path: str = "invariants_relu.png") -> None:
    """Left: the data coloured by block, with the first-layer neuron lines. Right: the
    Hilbert function of the pattern variety next to that of its ambient polynomial ring."""
    from math import comb

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2))
    blocks = A.point_blocks
    for b in np.unique(blocks):
        pts = X[blocks == b]
        ax1.scatter(pts[:, 0], pts[:, 1], s=60, label=f"block {b + 1}: pattern {A.to_text().split(';')[b]}")
    t = np.linspace(-4, 4, 2)
    W1 = net.weights[0]
    for i, (w1, w2) in enumerate(W1):
        if abs(w2) > abs(w1):
            ax1.plot(t, -w1 * t / w2, "k--", lw=1)
        else:
            ax1.plot(-w2 * t / w1, t, "k--", lw=1)
    ax1.set(xlim=(-0.5, 3.5), ylim=(-2.5, 3.5), xlabel="$x_1$", ylabel="$x_2$",
            title="data blocks and first-layer neurons")
    ax1.legend(fontsize=8)
    degrees = sorted(res.hilbert_function)
    n = len(res.variables)
    ring = [comb(n + d - 1, d) for d in degrees]
    ax2.plot(degrees, ring, "o-", label=f"polynomial ring in {n} variables")
    ax2.plot(degrees, [res.hilbert_function[d] for d in degrees], "s-",
             label="coordinate ring of the pattern variety $U^A$")
    ax2.set(xlabel="degree d", ylabel="H(d)", title="widths (2,2,2), blocks 10;11: Hilbert function")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print("wrote", path)


if __name__ == "__main__":
    res = worked_example()
    draw(res, *network_on_data())
