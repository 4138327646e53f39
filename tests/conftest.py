"""Shared helpers: small scenarios built in code, so each test states what it depends on."""
from __future__ import annotations

import contextlib
import copy
import io
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sim.scenario import deep_merge, validate

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "nottinghamshire-2016.toml"


def _dist(mean):
    return {"family": "exponential", "mean": mean}


BASE = {
    "meta": {"name": "small"},
    "run": {"days": 3, "warmup_days": 0, "seed": 7},
    "demand": {
        "channels": {
            "999": {"calls_per_day": 200, "handling": _dist(4.0), "patience": _dist(3.0),
                    "risk": {"none": 0.1, "G1": 0.3, "G2": 0.3, "G3": 0.15, "G4": 0.15},
                    "retry": {"probability": 0.3, "delay": _dist(10.0)}},
            "101": {"calls_per_day": 200, "handling": _dist(6.0), "patience": _dist(4.0),
                    "risk": {"none": 0.3, "G2": 0.2, "G3": 0.2, "G4": 0.3},
                    "retry": {"probability": 0.5, "to_999": 0.3, "delay": _dist(20.0)}},
        }
    },
    "call_handling": {"shifts": {"all": {"start": "00:00", "hours": 24, "staff": 3}}},
    "thrive": {"misgrading": {"G1": {"G1": 0.9, "G2": 0.1}, "G2": {"G1": 0.1, "G2": 0.8, "G3": 0.1}}},
    "response": {
        "shifts": {"day": {"start": "06:00", "hours": 12, "units": 4},
                   "night": {"start": "18:00", "hours": 12, "units": 3}},
        "areas": {"urban": {"share": 0.7, "blue_light": _dist(6.0), "normal": _dist(10.0)},
                  "rural": {"share": 0.3, "blue_light": _dist(10.0), "normal": _dist(16.0)}},
        "units_needed": {"G1": {"1": 0.7, "2": 0.3}},
        "on_scene": {g: _dist(40.0) for g in ("G1", "G2", "G3", "G4")},
        "arrest_probability": {"G1": 0.3, "G2": 0.1},
        "custody": _dist(60.0),
        "admin": _dist(10.0),
        "non_incident": {"briefing": {"after_hours": 0, "minutes": 20},
                         "break": {"after_hours": 4, "spread_hours": 2, "minutes": 30}},
        "divert_to_g1_from": ["G2", "G3"],
    },
    "appointments": {"slots_per_hour": [2] * 24, "min_lead_hours": 1},
    "neighbourhood": {"shifts": {"day": {"start": "08:00", "hours": 10, "units": 2}}},
    "policy": {"kind": "resource_led",
               "resource_led": {"rules": {"G1": {"after": 5, "to": "G2", "probability": 0.5},
                                          "G2": {"after": 30, "to": "G3", "probability": 0.5, "recheck_every": 30}}}},
}


def run_triage(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    """``triage-sim ARGS`` run from ``cwd`` through ``sim.cli.main.main`` in this process, as a
    CompletedProcess (returncode, stdout, stderr) like ``subprocess.run`` gives: the same code
    without an interpreter start-up. What ``main()`` changes for the whole process (cwd, argv,
    the SIGTERM handler, sys.stdout after a broken pipe) is put back after it;
    an exception ``main()`` lets through fails the test (a real process would print a traceback).
    A plain function, not only a fixture, so module-scoped fixtures can use it too."""
    from sim.cli.main import main

    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    saved = (sys.argv, sys.stdout, signal.getsignal(signal.SIGTERM))
    try:
        with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            sys.argv = ["triage-sim", *argv]
            try:
                code = main(argv)
            except SystemExit as exc:   # argparse: --help, --version, a bad option
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv, sys.stdout = saved[0], saved[1]
        signal.signal(signal.SIGTERM, saved[2])
    return subprocess.CompletedProcess(["triage-sim", *argv], code, out.getvalue(), err.getvalue())


def run_triage_process(*args, cwd=ROOT, timeout=180) -> subprocess.CompletedProcess:
    """``triage-sim ARGS`` as a fresh process (``python -m sim``), for what only a real process
    shows: exit without a traceback, start-up imports, signals."""
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


@pytest.fixture
def triage():
    """``triage(*args, cwd=ROOT)``: ``run_triage`` (in-process) for a test's body."""
    return run_triage


def small(**changes):
    """The small scenario with nested changes merged in (dicts merge, other values replace)."""
    return validate(deep_merge(copy.deepcopy(BASE), changes))


@pytest.fixture
def small_scenario():
    return small()
