"""Enumerate the linear regions of a small network on [-1, 1]^2, inspect and draw them.

Run:  python examples/regions_quickstart.py  (writes regions_quickstart.png)
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np

from relugeom.network import example_network
from relugeom.polyhedra import Box
from relugeom.regions import enumerate_regions

net = example_network("demo")                       # 2 -> [8, 8] -> 1, fixed seed
cx = enumerate_regions(net, Box([-1, -1], [1, 1]))  # method="auto": fast skeleton, LP fallback

print(cx)                                           # RegionComplex(156 regions, ...)
print("linear pieces:", cx.n_linear_pieces())
print("self-check:", cx.check())
for b in cx.bounds():
    print(f"  {b.name:<14} {b.value}  ({b.kind})")

# one region: pattern, irredundant H-representation, affine map, labelled facets
r = cx.region(cx.locate([0.3, -0.2]))
A, c = r.affine_map
print(f"region {r.index}: {r.n_facets} facets, f(x) = {A.ravel().round(3)} x + {c.round(3)}")
for f in r.facets:
    print("   facet:", f.label, "-> neighbour", f.neighbor)

# the dual graph (networkx): regions as nodes, facets as edges labelled by the neuron
G = cx.dual_graph()
print("dual graph:", G.number_of_nodes(), "nodes,", G.number_of_edges(), "edges")

# batched lookup
X = np.random.default_rng(0).uniform(-1, 1, size=(5, 2))
print("regions of 5 random points:", cx.locate(X).tolist())

ax = cx.plot(color_by="value")
ax.figure.savefig("regions_quickstart.png", dpi=120)
cx.to_json("regions_quickstart.json")
