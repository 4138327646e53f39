"""Layer 1: the scenario file, validated and frozen, and the rota arithmetic its checks need.

This is the package's public face: callers import from ``sim.scenario`` (modules inside the
package import the sibling that defines a name, never this file). Where things live:

- ``base``: grades, days, channels, ``ScenarioError``, the strict model every table builds on;
- the schema by topic: ``demand``, ``pools`` (shift types, weekly templates, team patterns,
  call handling), ``assessment`` (THRIVE and issue 15), ``response`` (with appointments and
  neighbourhood), ``policies``, and ``document`` (``Scenario`` itself, meta, run, standards);
- loading: ``loading`` (files and base chains to a ``Scenario``), ``bases`` (the folders a base
  may come from), ``shipped`` (the scenarios that come with the tool), ``overrides`` (layers
  and ``--set``), ``errors`` (schema errors in words), ``consistency`` (checks across fields);
- rotas: ``rota`` (who is on duty when) and ``rota_text`` (a rota in words).
"""
from sim.scenario.assessment import Assessment, Supervision, Thrive, Vulnerability, Workload
from sim.scenario.base import CHANNELS, DAYS, GRADES, ScenarioError
from sim.scenario.bases import base_roots
from sim.scenario.demand import ChannelDemand, Demand, Surge
from sim.scenario.document import Meta, Recommendation, Run, Scenario, Standards, horizon_minutes
from sim.scenario.loading import layer_files, load_scenario, load_written, read_layers, read_toml, validate
from sim.scenario.overrides import apply_overrides, deep_merge, parse_override
from sim.scenario.policies import Policy
from sim.scenario.pools import REST, CallHandling, HandlerShift, Overlay, Pattern, ShiftType, Team, UnitShift
from sim.scenario.response import Appointments, Area, Neighbourhood, Response
from sim.scenario.shipped import SHIPPED_SCENARIOS, default_scenario, shipped_scenarios

__all__ = [
    "GRADES", "DAYS", "CHANNELS", "REST", "ScenarioError",
    "Scenario", "Meta", "Run", "Standards", "Recommendation", "horizon_minutes",
    "Demand", "ChannelDemand", "Surge",
    "ShiftType", "HandlerShift", "UnitShift", "Team", "Overlay", "Pattern", "CallHandling",
    "Thrive", "Assessment", "Workload", "Vulnerability", "Supervision",
    "Response", "Area", "Appointments", "Neighbourhood", "Policy",
    "load_scenario", "load_written", "validate", "read_layers", "read_toml", "layer_files",
    "apply_overrides", "deep_merge", "parse_override", "base_roots",
    "SHIPPED_SCENARIOS", "shipped_scenarios", "default_scenario",
]
