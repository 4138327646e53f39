"""triage-sim: a discrete-event simulator of a police control room and its response.

The notebook-friendly API::

    from sim import load_scenario, run_experiment, compare, sweep
"""

__version__ = "0.2.0"
# how to cite this version (the same as CITATION.cff); printed in every report
CITATION = (f"the triage-sim authors (2026). triage-sim: a discrete-event simulator of police control-room "
            f"risk triage and response, version {__version__}. MIT licence.")

from .scenario import Scenario, ScenarioError, load_scenario  # noqa: E402
from .runner import single_run  # noqa: E402
from .experiment import compare, resume, run_experiment, sweep, with_overrides  # noqa: E402

__all__ = ["Scenario", "ScenarioError", "load_scenario", "single_run", "run_experiment", "compare", "sweep",
           "resume", "with_overrides", "__version__", "CITATION"]
