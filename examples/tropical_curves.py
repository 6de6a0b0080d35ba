"""Tropical form of small ReLU networks: F ⊘ G, pieces, curves, Newton polygons, boundaries.

Run:  python examples/tropical_curves.py   (writes tropical_*.png in the current directory)
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np

from relugeom.network import example_network
from relugeom.network._examples import random_network
from relugeom.polyhedra import Box
from relugeom.tropical import decision_boundary, one_layer_zonotopes, plot_tropical, tropical_form


def main() -> None:
    # relu(x) − 2 relu(1 − x) = max(3x, 2x) − max(2, 2x)
    form = tropical_form(example_network("three_pieces"))
    print("three_pieces:  F =", form.F, " G =", form.G, " pieces:", form.n_pieces())

    # relu(x) + relu(y) + relu(1 − x − y): F has 7 terms (a hexagonal zonotope), G = x + y
    net = example_network("three_units")
    form = tropical_form(net)
    print("three_units:   F has", form.F.n_terms, "terms; G =", form.G)
    Z = one_layer_zonotopes(net)
    print("  zonotope generators of F:", Z.generators_F.tolist())
    plot_tropical(net, Box([-2, -2], [2, 2]), "tropical_three_units.png")

    # the sawtooth h(h(x)): breakpoints 0, 1/4, 1/2, 3/4, 1, exactly
    form = tropical_form(example_network("sawtooth"), exact=True)
    print("sawtooth:      breakpoints", form[0].breakpoints().tolist())
    plot_tropical(form, Box([-0.5], [1.5]), "tropical_sawtooth.png")

    # a random 2→[8,8]→1 network: curves of F and G, Newton polygons, pieces vs regions
    net = random_network((2, 8, 8, 1), rng=7)
    form = tropical_form(net)
    print(f"2→[8,8]→1:     F {form.F.n_terms} terms, G {form.G.n_terms} terms, "
          f"{form.n_pieces()} pieces, {form.seconds:.2f} s")
    plot_tropical(net, Box([-2, -2], [2, 2]), "tropical_random.png")

    # decision boundary of a two-class network: where F1 ⊙ G2 and F2 ⊙ G1 tie
    net = random_network((2, 6, 2), rng=5)
    form = tropical_form(net)
    B, H = decision_boundary(form[0], form[1], Box([-3, -3], [3, 3]))
    segs = B.segments()
    print(f"two classes:   {B.n_cells} boundary segments of {H.n_cells} hypersurface cells; "
          f"max |f1 − f2| on them: {max(abs(np.diff(net(s.mean(axis=0)))[0]) for s in segs):.1e}")


if __name__ == "__main__":
    main()
