"""Shared fixtures and hypothesis profiles for the test suite.

Hypothesis profiles
-------------------
``ci`` (the default, and what ``.ci/run`` uses): derandomized — every run draws the same
examples, so the suite cannot fail by chance; 30 examples per test.
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
settings.register_profile("random", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path in ../shared; skips the test (saying which file is missing) when it is absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"needs {p} (the shared VNN-COMP / benchmark data next to the repository); "
                    "not present in this checkout")
    return p


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
