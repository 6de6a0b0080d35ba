"""Limits keep everything found so far, whatever the method.

A run stopped by ``time_limit`` or ``max_regions`` returns genuine regions of the network
(a subset of the complete enumeration, each with its true pattern), marked incomplete with
the reason; a run that finishes within the limit equals the unlimited run.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from relugeom.network import random_network
from relugeom.polyhedra import Box
from relugeom.regions import count_regions, enumerate_regions


def _keys(P):
    return {r.tobytes() for r in np.packbits(P, axis=1)}


@pytest.fixture(scope="module")
def case():
    net = random_network((2, 30, 30, 30, 1), rng=3)
    box = Box([-1, -1], [1, 1])
    return net, box, enumerate_regions(net, box)


@pytest.mark.parametrize("method", ["skeleton", "lp", "auto"])
def test_max_regions_gives_that_many_genuine_regions(case, method):
    net, box, full = case
    cx = enumerate_regions(net, box, method=method, max_regions=300)
    assert cx.n_regions == 300 and not cx.complete and cx.reason == "max_regions"
    assert _keys(cx.patterns) <= _keys(full.patterns)
    np.testing.assert_array_equal(net.activation_patterns(cx.points), cx.patterns)


@pytest.mark.parametrize("method", ["skeleton", "lp"])
def test_time_limit_keeps_what_was_found(case, method):
    net, box, full = case
    limit = 0.3
    t0 = time.perf_counter()
    cx = enumerate_regions(net, box, method=method, time_limit=limit)
    elapsed = time.perf_counter() - t0
    assert elapsed <= 1.1 * limit + 1.0                     # the limit is honoured
    assert _keys(cx.patterns) <= _keys(full.patterns)       # every region is genuine
    np.testing.assert_array_equal(net.activation_patterns(cx.points), cx.patterns)
    if cx.complete:
        np.testing.assert_array_equal(cx.patterns, full.patterns)
    else:
        assert cx.reason == "time_limit" and cx.n_regions < full.n_regions


def test_generous_limit_equals_the_unlimited_run(case):
    net, box, full = case
    cx = enumerate_regions(net, box, time_limit=120.0)
    assert cx.complete
    np.testing.assert_array_equal(cx.patterns, full.patterns)
    np.testing.assert_array_equal(cx.facets, full.facets)


def test_count_regions_under_a_limit(case):
    net, box, full = case
    c = count_regions(net, box, max_regions=100)
    assert c.n_regions == 100 and not c.complete and c.reason == "max_regions"
    assert count_regions(net, box).n_regions == full.n_regions


@pytest.mark.slow
def test_interrupt_stops_the_worker_processes(tmp_path):
    """SIGINT to the main process only (not its group) stops the job pool too (exit 130)."""
    import signal
    import subprocess
    import sys

    psutil = pytest.importorskip("psutil")
    net = random_network((4, 40, 40, 1), rng=0)
    path = tmp_path / "n.npz"
    net.to_npz(path)
    # as from a terminal: SIGINT at its default (a run started in the background, as a CI
    # script may start the suite, inherits SIGINT ignored, and Python then never raises
    # KeyboardInterrupt)
    p = subprocess.Popen([sys.executable, "-m", "relugeom.cli.main", "regions", str(path), "--jobs", "2",
                          "--method", "lp", "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    kids = []
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len(kids) < 2:
            time.sleep(0.5)
            kids = psutil.Process(p.pid).children(recursive=True)
        assert len(kids) >= 2, "the job pool did not start"
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        assert p.returncode == 130 and b"interrupted" in err
        time.sleep(1)
        assert not [k for k in kids if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
    finally:  # never leave the run behind, even when this test fails or is killed
        if p.poll() is None:
            p.kill()
        for kid in kids:
            try:
                kid.kill()
            except psutil.NoSuchProcess:
                pass
