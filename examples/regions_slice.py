"""Regions of a 4-input network on a 2-D affine slice and on a line, on all of R^n too.

Run:  python examples/regions_slice.py
"""

import numpy as np

from relugeom.network._examples import random_network
from relugeom.polyhedra import Box
from relugeom.regions import Slice, enumerate_regions, line_regions

net = random_network((4, 10, 10, 1), rng=3)

# the plane through `origin` spanned by two directions, with a box in slice coordinates
origin = np.zeros(4)
U = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0]])
cx = enumerate_regions(net, Slice(origin, U, Box([-1, -1], [1, 1])), method="lp")
print("2-D slice:", cx.n_regions, "regions;", cx.check())
print("interior points in R^4 have the patterns:",
      bool(np.array_equal(net.activation_patterns(cx.to_ambient(cx.points)), cx.patterns)))

# a line, by the LP method and by the independent breakpoint walk
line = Slice(origin, U[:1], Box([-3], [3]))
c1 = enumerate_regions(net, line, method="lp")
walk = line_regions(net, -3.0, 3.0, origin=origin, direction=U[0])
print("line:", c1.n_regions, "regions (LP) =", walk.n_regions, "(walk);", walk.n_pieces, "linear pieces")

# all of R^4, unbounded regions included (LP traversal)
cu = enumerate_regions(random_network((4, 6, 1), rng=0), "unbounded", method="lp")
print("one hidden layer of 6 on R^4:", cu.n_regions, "regions; Zaslavsky:", cu.bounds()[0].value)
