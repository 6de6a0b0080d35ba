"""Split a domain into independent jobs on an Executor and merge the results.

Any concurrent.futures.Executor works: a process pool (below), a Dask
``distributed.Client().get_executor()``, or a Ray-backed executor.

Run:  python examples/regions_scaleout.py
"""

import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from relugeom.network._examples import random_network
from relugeom.polyhedra import Box
from relugeom.regions import enumerate_regions

if __name__ == "__main__":
    net = random_network((3, 8, 8, 1), rng=1)
    box = Box(-np.ones(3), np.ones(3))

    t = time.perf_counter()
    one = enumerate_regions(net, box, method="lp")
    print(f"one job:   {one.n_regions} regions in {time.perf_counter() - t:.2f} s")

    t = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as ex:
        many = enumerate_regions(net, box, method="lp", executor=ex, n_jobs=8)
    print(f"8 jobs:    {many.n_regions} regions in {time.perf_counter() - t:.2f} s")
    print("identical complexes:", bool(np.array_equal(one.patterns, many.patterns)
                                       and np.array_equal(one.facets, many.facets)))

    # Dask (if installed):
    #   from distributed import Client
    #   with Client() as client:
    #       cx = enumerate_regions(net, box, executor=client.get_executor(), n_jobs=32)
