"""triage-sim: a discrete-event simulator of a police control room and its response.

The notebook-friendly API::

    from sim import load_scenario, run_experiment, compare, sweep
"""

__version__ = "0.2.0"
# how to cite this version (the same as CITATION.cff); printed in every report
CITATION = (f"the triage-sim authors (2026). triage-sim: a discrete-event simulator of police control-room "
            f"risk triage and response, version {__version__}. MIT licence.")

# The public names are imported on first use (PEP 562), so `import sim` (and with it the command
# line's --help and check) does not load pandas, scipy or matplotlib.
_PUBLIC = {"Scenario": "scenario", "ScenarioError": "scenario", "load_scenario": "scenario",
           "single_run": "experiment.runner", "run_experiment": "experiment.replications",
           "compare": "experiment.replications", "sweep": "experiment.replications",
           "resume": "experiment.replications", "with_overrides": "experiment.replications"}


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_PUBLIC))


__all__ = ["Scenario", "ScenarioError", "load_scenario", "single_run", "run_experiment", "compare", "sweep",
           "resume", "with_overrides", "__version__", "CITATION"]
