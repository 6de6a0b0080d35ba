"""Smoke test: every script in examples/ runs to completion (subprocess, Agg backend, in a
temporary working directory) and writes every figure it names."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
SHARED_DATA = ROOT.parent / "shared" / "data"
# scripts that need data outside the repository: skipped, with the reason shown, when it is absent
NEEDS = {"verify_acasxu.py": SHARED_DATA / "acasxu"}
# measured at 5 s or more on the 2-core CI machine
SLOW = {"regions_scaleout.py", "tropical_curves.py", "voronoi_relu.py", "voronoi_half_circle.py"}
TIMEOUT = 300

_FIGURE = re.compile(r"""["']([\w.-]+\.(?:png|pdf|svg))["']""")


def figures_named(script: Path) -> list[str]:
    """File names of figures the script writes (string literals such as "out.png")."""
    return sorted(set(_FIGURE.findall(script.read_text())))


def test_examples_exist_and_are_documented():
    assert EXAMPLES, "no example scripts found"
    readme = (ROOT / "examples" / "README.md").read_text()
    undocumented = [p.name for p in EXAMPLES if p.name not in readme]
    assert not undocumented, f"examples/README.md does not describe: {undocumented}"


@pytest.mark.parametrize(
    "script",
    [pytest.param(p, id=p.name, marks=[pytest.mark.slow] if p.name in SLOW else []) for p in EXAMPLES])
def test_example_runs(script: Path, tmp_path: Path):
    need = NEEDS.get(script.name)
    if need is not None and not need.exists():
        pytest.skip(f"{script.name} needs {need}, which is not present")
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, (f"{script.name} exited with {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}"
                                  f"\n--- stderr\n{proc.stderr[-6000:]}")
    assert proc.stdout.strip(), f"{script.name} printed nothing"
    for fig in figures_named(script):
        out = tmp_path / fig
        assert out.exists() and out.stat().st_size > 1000, f"{script.name} did not write its figure {fig}"
