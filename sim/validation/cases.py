"""Validation against queueing theory: ordinary scenario files, the normal model, theory.

Each validation case is a scenario file in ``scenarios/validation/`` that reduces the force
to something queueing theory answers exactly (Poisson demand, exponential times, no
misgrading, no downgrades; stationary demand and no shift changes, except in kinds
``arrivals`` and ``rota``). It is loaded with the normal
loader and run with the normal model; nothing here touches the model's internals, only
the scenario (for the analytic values) and the event log (for the simulated ones).

A case has a *kind*, the theory it reduces to, taken from its file name's prefix
(``mmc-rho085-c20.toml`` is kind ``mmc``) or given explicitly (``--kind``):

==============  ============================================================================
kind            what the scenario must reduce to, and what is compared
==============  ============================================================================
mmc             call handling as M/M/c, one channel, no abandonment: P(wait) (Erlang C),
                mean wait, P(wait <= t), mean queue length, handler utilisation
priority        call handling with 999 before 101 as a 2-class non-preemptive priority
                M/M/c (equal handling means): mean wait per channel (Cobham), P(wait)
erlang_a        call handling with exponential patience, M/M/c+M (Erlang A): P(wait),
                P(abandon), mean wait of all / of served callers, queue length, utilisation
dispatch        response units as servers of a non-preemptive priority M/M/c (on-scene time
                the service, zero travel), grades G1..G3 as classes: mean wait for a unit
                per grade (Cobham), P(wait), unit utilisation, mean pending-list length
arrivals        time-varying demand: calls per day and, per hour-of-week cell, the counts
                against the profile (Pearson X^2, whose mean is exactly the number of cells)
little          Little's law on the handler queue and on the pending list (a tandem: M/M/c
                handlers, grading at the end of handling, so by Burke's theorem incidents
                reach dispatch as a Poisson stream): time-average L, lambda*W, and L - lambda*W
deterministic   ample handlers and units, fixed handling and travel: every call-to-scene time
                equals answer + handling-to-grade + dispatch + travel, exactly
rota            call handling as M(t)/M/c(t): demand varying by hour, one channel, no
                abandonment, handlers on a rota of back-to-back crews with the hand-over rule
                (incoming crew free at once, each off-going handler finishes their own call):
                mean wait of the calls arriving in each 2-hour block of the day and in the
                first hour after each hand-over, against the exact transient solution
==============  ============================================================================

Statistics. Replication ``r`` is ``run_model(scenario, seed, r)`` with the file's own
``run.seed`` (so distinct case files draw independent random numbers; ``--seed`` overrides
it for every case); replications are the independent samples. Per replication, each quantity is measured over a window
``[warm-up, horizon - drain)``: per-call quantities are the mean over calls *arriving* in the
window (every one of them has finished waiting by the horizon: ``drain`` is set from the
theory so a window call is still waiting at the horizon with negligible probability), and
time-averages are taken over the same window. The simulated value is the mean over
replications with a two-sided Student-t interval (95% unless ``level`` says otherwise); a
quantity passes when the analytic value lies inside it. Deterministic quantities pass when
every call equals the analytic value to 1e-6 minutes. With many quantities, about 5% of them
would miss their 95% interval by chance alone; the report states how many are expected to.

This module holds the registry of cases and, per kind, what it is compared on; beside it:
``conditions`` (what a scenario must reduce to), ``estimators`` (measuring from the event log),
one module per family of kinds (``handling``, ``dispatch``, ``arrivals``, ``rota``,
``deterministic``), ``measure`` (running the replications: ``run_cases``), ``compare`` (the
verdict per quantity) and ``markdown`` (the report). The command ``triage-sim validate-model``
(``sim.cli.validate``) runs the registered cases (a fast subset, or all with ``--full``) or any
files given with ``--scenario`` and writes ``docs/validation.md``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.scenario import Scenario, ScenarioError
from sim.scenario.base import _NO_VALUE
from sim.scenario.shipped import shipped_scenarios
from sim.validation.arrivals import kind_arrivals
from sim.validation.conditions import Need
from sim.validation.deterministic import kind_deterministic
from sim.validation.dispatch import kind_dispatch, kind_little
from sim.validation.estimators import Quantity
from sim.validation.handling import kind_erlang_a, kind_mmc, kind_priority
from sim.validation.rota import kind_rota


# the folder holding the shipped scenarios: the checkout (its scenarios/) or, installed from a
# wheel, the package (its _scenarios/); the cases are read from there either way
ROOT = shipped_scenarios().parent
CASE_DIR = Path(shipped_scenarios().name) / "validation"
KINDS = ("mmc", "priority", "erlang_a", "dispatch", "arrivals", "little", "deterministic", "rota")
DEFAULT_REPS = 20

# The registered cases: file stem -> (replications, in the fast subset). Every file in
# scenarios/validation/ must be listed here (a test checks both ways).
REGISTRY: dict[str, tuple[int, bool]] = {
    "mmc-rho050-c5": (20, True),
    "mmc-rho085-c20": (20, False),
    "mmc-rho095-c100": (20, False),
    "priority-rho085-c10": (20, True),
    "priority-rho095-c40": (20, False),
    "erlang_a-rho085-c5": (20, True),
    "erlang_a-rho110-c30": (20, False),
    "dispatch-2grades-rho085-c8": (20, False),
    "dispatch-2grades-rho095-c30": (20, False),
    "dispatch-3grades-rho050-c5": (20, True),
    "dispatch-3grades-rho095-c100": (20, False),
    "arrivals-shaped": (10, True),
    "little-tandem-rho085": (20, True),
    "deterministic-ample": (3, True),
    "rota-3shifts-peak": (100, True),
    "rota-2shifts-weekly": (40, False),
}


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    reps: int
    fast: bool

    @property
    def kind(self) -> str:
        return kind_of(self.path)


def cases(root: Path = ROOT) -> list[Case]:
    return [Case(name, root / CASE_DIR / f"{name}.toml", reps, fast) for name, (reps, fast) in REGISTRY.items()]


def kind_of(path: str | Path) -> str:
    """The validation kind named by a file's prefix (``dispatch-3grades-...`` -> ``dispatch``)."""
    stem = Path(path).stem
    for k in sorted(KINDS, key=len, reverse=True):
        if stem == k or stem.startswith(k + "-"):
            return k
    raise ScenarioError(path, "", _NO_VALUE, "cannot tell the validation kind from the file name; name it "
                        f"'<kind>-....toml' or give --kind (one of {', '.join(KINDS)})")


KIND_DOCS = {
    "mmc": "call handling as M/M/c (one channel, FCFS, no abandonment): P(wait > 0) and mean wait (Erlang C), "
           "P(wait <= t) with t = 1/(c mu - lam), time-average queue length (lam Wq), handler utilisation (rho).",
    "priority": "999 answered before 101 as a 2-class non-preemptive priority M/M/c (equal handling means): mean wait "
                "and time-average queue length per channel (Cobham 1954), P(wait > 0) and mean wait of all calls "
                "(Erlang C; with equal means the priority order does not change the number in system), utilisation.",
    "erlang_a": "call handling with exponential patience as M/M/c+M (Erlang A, Garnett et al. 2002): P(wait > 0), "
                "P(abandon), mean wait of all callers (abandoners count their patience) and of answered callers, "
                "time-average queue length, utilisation lam (1 - P(abandon)) / (c mu).",
    "dispatch": "response units as a non-preemptive priority M/M/c (units the servers, on-scene time the service, "
                "zero travel; grades G1 > G2 > G3 the classes, FCFS within a grade): mean wait for a unit per grade "
                "(Cobham), P(wait > 0) (Erlang C), time-average pending-list length from the pending log "
                "(sum of lam_k W_k), unit utilisation.",
    "arrivals": "time-varying Poisson demand: calls per day; Pearson X^2 of the hour-of-week counts against the "
                "expected counts from the profile (hour-of-day or hour-of-week shape, adjust windows, day-of-week, "
                "month, multiplier, surges), whose mean over replications is exactly the number of cells when the "
                "counts are Poisson with those means; counts in the busiest and quietest cells.",
    "little": "Little's law on the handler queue (call records) and on the pending list (its own log of unresourced "
              "intervals) in an M/M/c -> M/M/c tandem (Burke): time-average L and lam x W from each call's wait, "
              "both against the theory, and their difference L - lam W, whose mean is 0 in steady state.",
    "deterministic": "ample handlers and units, fixed handling and travel: call by call, call-to-scene time = answer "
                     "(0) + handling up to grading + dispatch (0) + travel (blue light or normal, by area); the "
                     "largest deviation over all calls and replications must be below 1e-6 min.",
    "rota": "time-varying demand answered by a rota of back-to-back crews, as an M(t)/M/c(t) queue (one channel, "
            "FCFS, exponential handling, no abandonment) with the hand-over rule: the incoming crew is free at once "
            "and takes the queue, each off-going handler finishes their own call and leaves. Mean wait to answer "
            "of the calls arriving in each 2-hour block of the day and in the first hour after each hand-over (all "
            "days of the window pooled), against the exact transient solution from an empty start "
            "(rota_mean_waits: the on-duty birth-death chain solved forward by matrix exponentials, E[wait | time, "
            "number found] from Poisson probabilities over the coming hand-overs, Simpson quadrature in 0.5-min "
            "steps). Blocks whose analytic mean wait is below 0.01 min are left out (almost no call in them "
            "waits, so their intervals are degenerate). The old rule (the next handlers to finish any call "
            "leave) made the waits after the hand-overs 40-67% longer and failed here (numbers in the case files).",
}


_BUILDERS = {
    "mmc": kind_mmc, "priority": kind_priority, "erlang_a": kind_erlang_a, "dispatch": kind_dispatch,
    "arrivals": kind_arrivals, "little": kind_little, "deterministic": kind_deterministic, "rota": kind_rota,
}


def quantities(s: Scenario, kind: str, source=None) -> tuple[list[Quantity], dict]:
    """The quantities a scenario of ``kind`` is checked on (analytic values from the scenario's
    own parameters) and facts about the case (servers, rho, window)."""
    if kind not in _BUILDERS:
        raise ScenarioError(source, "", kind, f"unknown validation kind; expected one of {', '.join(KINDS)}")
    return _BUILDERS[kind](s, Need(s, source, kind))
