"""The summary a run, compare or sweep prints when it ends: the headline KPIs with their
intervals and the verdicts on HMIC's recommendations. Here, not in a subcommand, because
``run --resume`` prints whichever kind of experiment the folder holds.
"""
from __future__ import annotations

from sim.measures.catalogue import words
from sim.report.labels import unsigned_zero
from sim.report.verdicts import FIRST, compare_lines, run_lines

# the KPIs the summary prints, in order; how each value is written is the catalogue's
HEADLINES = ("resource_downgrades_per_week", "high_risk_resource_downgrades_per_week", "g1_in_target", "g2_in_target",
             "g1_response_p90", "g2_response_p90", "pending_at_0700_mean", "open_at_0700_mean",
             "neighbourhood_hours_lost_per_week", "sl_999_10s", "abandon_rate_101", "unit_utilisation")

_WIDTH = max(len(name) for name in HEADLINES)


def fmt(name: str, v: float, signed: bool = False) -> str:
    if v != v:
        return "n/a"
    text = (words(name).printed or "{:.3g}").format(v)
    return unsigned_zero(f"+{text}" if signed and v > 0 else text)


def verdict(met: float, reps: int) -> str:
    if met != met:
        return "cannot be judged against"
    if reps == 1 or met in (0.0, 1.0):
        return "MEETS" if met == 1 else "does NOT meet"
    return f"meets (in {met:.0%} of replications)"


def print_run(result) -> None:
    arm = result.result
    s = arm.scenario
    n = len(arm.replications)
    print(f"{s.meta.name}: {s.run.days:g} days after {s.run.warmup_days:g} warm-up days, seed {result.plan.seed}, "
          f"{n} replication{'s' if n != 1 else ''}, policy {s.policy.kind}; {arm.calls:,} calls simulated "
          f"in {result.wall_s:.1f} s ({result.executor}, {result.workers} worker{'s' if result.workers != 1 else ''})")
    if result.stopped_by:
        cap = f"the cap of {result.plan.max_reps} replications (--max-reps)"
        print(f"  stopped by {'the precision target' if result.stopped_by == 'precision' else cap} "
              f"after {n} replications")
    table = arm.summary.set_index("kpi")
    for name in HEADLINES:
        row = table.loc[name]
        ci = "" if n < 2 or row["ci_low"] != row["ci_low"] else \
            f"  (95% CI {fmt(name, row['ci_low'])} to {fmt(name, row['ci_high'])})"
        print(f"  {name:{_WIDTH}s} {fmt(name, row['mean'])}{ci}")
    said = verdict(table.loc["meets_recommendation", "mean"], n)
    print(f"  -> {said} HMIC's recommendation (response set by initial risk, not officer availability)"
          + (" : no G1/G2 incident to measure" if said.startswith("cannot") else ""))
    for line in run_lines(table["mean"].to_dict(), _rec(arm.scenario)):   # the first recommendation on its own (issue 15)
        if line.startswith(FIRST):
            print(f"  -> {line}")
    print(f"results: {result.folder}")


def _rec(scenario) -> dict:
    """The scenario's tolerance and aims, as the verdict lines take them."""
    r = scenario.recommendation
    return {"tolerance": r.downgrades_per_week_tolerance, "g1_aim": r.g1_aim, "g2_aim": r.g2_aim}


def print_compare(result) -> None:
    a, b = result.arms["a"], result.arms["b"]
    table = result.comparison().set_index("kpi")
    print(f"B - A, paired over {len(a.replications)} replications (A = {a.scenario.meta.name}, "
          f"B = {b.scenario.meta.name}), {a.scenario.run.days:g} days each, seed {result.plan.seed}")
    print(f"  {'kpi':{_WIDTH}s} {'A':>10s} {'B':>10s} {'B - A':>10s}  {'95% CI of B - A (paired)':>26s}  unpaired ±")
    for name in HEADLINES:
        r = table.loc[name]
        ci = f"[{fmt(name, r['ci_low'], True)}, {fmt(name, r['ci_high'], True)}]"
        print(f"  {name:{_WIDTH}s} {fmt(name, r['mean_a']):>10s} {fmt(name, r['mean_b']):>10s} "
              f"{fmt(name, r['diff'], True):>10s}  {ci:>26s}  {fmt(name, r['unpaired_half_width'])}")
    for label, arm in (("A", a), ("B", b)):
        met = arm.summary.set_index("kpi").loc["meets_recommendation", "mean"]
        print(f"  {label} {arm.scenario.meta.name}: {verdict(met, len(arm.replications))} HMIC's recommendation")
    for line in compare_lines(result.comparison(), _rec(a.scenario)):   # each recommendation on its own (issue 15)
        print(f"  -> {line}")
    print(f"results: {result.folder}")


def print_sweep(result) -> None:
    table = result.sweep_table()
    keys = [k for k in result.plan.arms[0]["values"]]
    wide = table[table["kpi"].isin(list(HEADLINES[:4]) + ["meets_recommendation"])]
    wide = wide.pivot_table(index=["point", *keys], columns="kpi", values="mean").reset_index()
    print(f"sweep of {', '.join(keys)}: {len(result.arms)} points x {result.plan.reps} replications, "
          f"seed {result.plan.seed}")
    print(wide.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print(f"results: {result.folder}")

