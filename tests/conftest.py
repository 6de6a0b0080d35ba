"""Shared fixtures and hypothesis profiles for the test suite.

Hypothesis profiles
-------------------
``ci`` (the default, and what ``.ci/run`` uses): derandomized — every run draws the same
examples, so the suite cannot fail by chance; 30 examples per test.
``seeds``: the ``ci`` settings with the seed left free, for repeating the whole suite under
many seeds (``HYPOTHESIS_PROFILE=seeds pytest --hypothesis-seed=N``; ``.ci/seeds``).
``random``: a fresh random seed each run and more examples (``HYPOTHESIS_PROFILE=random``,
for local bug hunting). Failing examples are stored in ``.hypothesis/`` and replayed first on
the next run under either profile.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("seeds", max_examples=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("random", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SHARED = Path(os.environ.get("RELUGEOM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
#: small data sets shipped with the tests (ACAS Xu, the regions suite), so that a fresh clone
#: runs every test that needs them; the big VNN-COMP 2021 sets stay in ../shared
BUNDLED = {("data", "acasxu"): Path(__file__).resolve().parent / "data" / "acasxu",
           ("benchmarks", "regions-suite"): Path(__file__).resolve().parent / "data" / "regions-suite"}


def shared_path(*parts: str) -> Path:
    """A data path: bundled in ``tests/data`` when small, else in ../shared.

    Skips the test, saying which file is missing and why, when it is in neither.
    """
    for prefix, where in BUNDLED.items():
        if parts[: len(prefix)] == prefix:
            p = where.joinpath(*parts[len(prefix):])
            if p.exists():
                return p
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"needs {p} (the shared VNN-COMP data next to the repository, too big to ship "
                    "with the tests); not present in this checkout")
    return p


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
