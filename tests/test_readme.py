"""The README's examples run as written, and its set-up commands are the ones CI uses."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def console_examples() -> list[tuple[str, str]]:
    """(command, expected output) for every `$ triage-sim ...` line in console blocks."""
    out = []
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.S):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("$ triage-sim"):
                expected = []
                for nxt in lines[i + 1:]:
                    if nxt.startswith("$"):
                        break
                    expected.append(nxt)
                out.append((line[2:], "\n".join(expected).strip()))
    return out


EXAMPLES = console_examples()


@pytest.mark.slow
def test_readme_python_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for code in blocks:
        proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == 0, proc.stderr
        assert "resource_downgrades_per_week" in proc.stdout


def test_readme_has_examples_and_two_setup_commands():
    assert len(EXAMPLES) >= 4
    assert "make run" in README and "make test" in README
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def _params():
    """Every example; the full validation (minutes) runs with the slow set."""
    return [pytest.param(c, e, id=c, marks=[pytest.mark.slow] if "--full" in c else []) for c, e in EXAMPLES]


@pytest.mark.slow
@pytest.mark.parametrize("command,expected", _params())
def test_readme_example_runs(command, expected, tmp_path):
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    (tmp_path / "my-mmc.toml").write_bytes((ROOT / "scenarios" / "validation" / "mmc-rho050-c5.toml").read_bytes())
    (tmp_path / "bad.toml").write_text(
        'base = "scenarios/nottinghamshire-2016.toml"\n[response.shifts.late]\nunitz = 5\n')
    args = shlex.split(command, comments=True)[1:]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "sim", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    if expected.startswith("triage-sim: error:"):
        assert proc.returncode == 2
        assert proc.stderr.strip() == expected
        assert "Traceback" not in proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    if args[0] == "run":
        out = args[args.index("--out") + 1] if "--out" in args else None
        folders = [tmp_path / out] if out else list((tmp_path / "results").iterdir())
        assert len(folders) == 1
        files = {p.name for p in folders[0].iterdir()}
        assert {"summary.csv", "scenario.toml", "manifest.json"} <= files
        if "--events" in args:
            assert {"calls.parquet", "grade_changes.parquet", "unit_shifts.parquet", "rosters.parquet"} <= files
        assert "results:" in proc.stdout
