"""The plan as a team pattern (placeholder: filled in below)."""
from __future__ import annotations


def team_pattern(result, scenario_path, out):
    return None, "no team pattern written"
