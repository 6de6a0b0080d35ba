"""Exact reachable set of a small network and a safety check against an unsafe half-plane.

The image of the box [-1, 1]^2 under a random 2 -> 8 -> 8 -> 2 network is a union of
polytopes, one affine image per region; the picture shows them with the unsafe line.
check_safety then answers whether the image meets the unsafe set, with a counterexample
when it does, and (exact=True) with rational Farkas certificates when it does not.

Run:  python examples/verify_reach_2d.py   (writes verify_reach_2d.png)
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from relugeom.network._examples import random_network  # noqa: E402
from relugeom.polyhedra import Box, HPolytope  # noqa: E402
from relugeom.verify import UnsafeSet, check_safety, reachable_set  # noqa: E402


def main() -> None:
    net = random_network((2, 8, 8, 2), rng=7, bias_scale=0.3)
    box = Box([-1, -1], [1, 1])
    R = reachable_set(net, box)
    lo, hi = R.bounding_box()
    print(f"{R.n_pieces} pieces; image inside [{lo.round(3)}, {hi.round(3)}]")
    for gap in (0.05, -0.05):
        # unsafe: y_0 + y_1 >= (max over the image) + gap
        top = max(float(np.max(p.image_vertices().sum(axis=1))) for p in R.pieces)
        uns = UnsafeSet(HPolytope([[-1.0, -1.0]], [-(top + gap)]))
        res = check_safety(net, box, uns, exact=True, rng=0)
        print(f"threshold max+{gap:+.2f}: {res.verdict.value} - {res.reason}")
        if res.counterexample is not None:
            print("   counterexample", res.counterexample.x, "->", res.counterexample.y,
                  "exact margin", float(res.counterexample.exact_margin))
    ax = R.plot(unsafe=uns)
    ax.set_title("f([-1,1]^2): one affine image per region; dashed: unsafe boundary")
    plt.savefig("verify_reach_2d.png", dpi=120)
    print("wrote verify_reach_2d.png")


if __name__ == "__main__":
    main()
