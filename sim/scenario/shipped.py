"""Where the scenarios shipped with the tool are (the default, the team patterns the workshop app
offers, the validation cases, the fitted example's map), found the same way in a checkout and in
an installed wheel. The files stay in the top-level ``scenarios/`` folder users and tests name;
``sim/_scenarios`` is a link to it, which ``pyproject.toml`` ships as package data, so an
installed tool finds real files there through ``importlib.resources``.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

DEFAULT_NAME = "nottinghamshire-2016.toml"   # the scenario a command uses when given none


def shipped_scenarios() -> Path:
    """The folder of shipped scenarios (symlinks resolved)."""
    folder = Path(str(resources.files("sim") / "_scenarios"))
    if not folder.is_dir():   # a checkout whose link is a plain file (git without symlinks): the folder itself
        folder = Path(__file__).resolve().parents[2] / "scenarios"
    return folder.resolve()


SHIPPED_SCENARIOS = shipped_scenarios()


def default_scenario() -> Path:
    """The shipped default scenario file."""
    return SHIPPED_SCENARIOS / DEFAULT_NAME
