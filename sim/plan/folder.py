"""The plan folder: ``rota.toml`` (a runnable delta of the input scenario), ``requirement.csv``,
``iterations.csv``, ``comparison.csv`` and ``report.html``. Every file is written under a
temporary name and renamed (``atomic_write``); an existing folder is never overwritten."""
from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim import __version__
from sim.experiment.replications import FolderError, atomic_write
from sim.scenario import DAYS
from sim.plan.refine import PlanResult, template_hours
from sim.plan.shifts import coverage_of

KPI_ROWS = (("meets_recommendation", "{:.0%}"), ("resource_downgrades_per_week", "{:.2f}"),
            ("high_risk_resource_downgrades", "{:.1f}"), ("g1_in_target", "{:.1%}"), ("g2_in_target", "{:.1%}"),
            ("g1_response_p90", "{:.1f}"), ("g2_response_p90", "{:.1f}"), ("pending_at_0700_mean", "{:.2f}"),
            ("unit_utilisation", "{:.1%}"), ("officer_hours_rostered", "{:,.0f}"), ("overtime_hours", "{:,.0f}"),
            ("sl_999_10s", "{:.1%}"), ("sl_101_180s", "{:.1%}"))


# the input scenario, resolved (its base chain and --days applied), kept in the plan folder: the
# plan's rota.toml and pattern.toml are deltas of it, so the folder runs wherever it is moved and
# their ``base`` stays within the folder (a base outside a scenario's own folder is refused)
INPUT = "scenario.toml"


def start_folder(out: Path, saved: dict, s) -> None:
    """Make the plan folder with what ``--resume`` needs: ``planner.json`` (the scenario file,
    its --days, the options, the command) and the resolved scenario for the record."""
    import tomli_w

    if out.exists():
        raise FolderError(f"{out}: already exists; plans are never overwritten (choose another --out, "
                          "or finish a stopped plan with --resume)")
    try:
        out.mkdir(parents=True)
    except OSError as exc:
        raise FolderError(f"{out}: cannot create the plan folder there ({exc.strerror or exc})") from None
    atomic_write(out / INPUT, f"# {saved['scenario']} as the planner read it (base chain and --days applied)\n"
                 + tomli_w.dumps(s.to_dict()))
    atomic_write(out / "planner.json", json.dumps(saved, indent=2, default=str) + "\n")


def read_saved(out: Path) -> dict:
    """``planner.json`` of a plan folder to resume; a complete, foreign or damaged folder is refused."""
    path = out / "planner.json"
    if not path.exists():
        raise FolderError(f"{out}: not a plan folder to resume (no planner.json)")
    if (out / "manifest.json").exists():
        raise FolderError(f"{out}: the plan is already complete, nothing to resume (its files are left as they are)")
    try:
        saved = json.loads(path.read_text())
        missing = {"scenario", "days", "options", "pattern", "command", "scenario_digest"} - set(saved)
        if missing:
            raise ValueError(f"missing {', '.join(sorted(missing))}")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise FolderError(f"{out}: damaged plan folder (planner.json: {exc}); start a new plan with another --out") \
            from None
    return saved


def rota_toml(result: PlanResult, scenario_path: Path, out: Path) -> str:
    """``base`` = the input scenario (``INPUT``); ``[response.shifts]`` gives the proposed shifts and sets
    today's shifts that are not kept to zero units (tables merge key by key)."""
    s = result.scenario
    lines = [f"# Planned response rota for {s.meta.name}, by triage-sim plan {__version__}.",
             f"# {template_hours(result.proposed):,.0f} officer-hours a week rostered "
             f"(today {template_hours(result.current):,.0f}); "
             f"{'meets' if result.meets else 'does NOT meet'} the recommendation in the final check.",
             f"# Run it: triage-sim run {out / 'rota.toml'} --reps 10",
             f'base = "{INPUT}"', "", "[meta]", f'name = "{s.meta.name}-planned"', "",
             "[response.shifts]"]
    for name, v in result.proposed.items():
        units = v["units"][0] if len(set(v["units"])) == 1 else "[" + ", ".join(map(str, v["units"])) + "]"
        days = ", days = [" + ", ".join(f'"{d}"' for d in v["days"]) + "]"
        lines.append(f'{name} = {{ start = "{v["start"]}", hours = {v["hours"]:g}, units = {units}{days} }}')
    # a base with a weekly template: its shifts not kept are set to 0 units (tables merge);
    # a base with a team pattern needs nothing (giving shifts drops the pattern)
    for name in (result.current if s.response.pattern is None else ()):
        if name not in result.proposed:
            lines.append(f"{name} = {{ units = 0 }}   # today's shift, not used by the plan")
    return "\n".join(lines + handler_lines(result)) + "\n"


def handler_lines(result: PlanResult) -> list[str]:
    """The planned call handlers' shifts as TOML lines (none when today's are kept)."""
    if result.handlers_proposed is None:
        return []
    lines = ["", "[call_handling.shifts]"]
    for name, v in result.handlers_proposed.items():
        staff = v["units"][0] if len(set(v["units"])) == 1 else "[" + ", ".join(map(str, v["units"])) + "]"
        days = ", days = [" + ", ".join(f'"{d}"' for d in v["days"]) + "]"
        lines.append(f'{name} = {{ start = "{v["start"]}", hours = {v["hours"]:g}, staff = {staff}{days} }}')
    for name in (result.handlers_current if result.scenario.call_handling.pattern is None else ()):
        if name not in result.handlers_proposed:
            lines.append(f"{name} = {{ staff = 0 }}   # today's shift, not used by the plan")
    return lines


def requirement_frame(result: PlanResult) -> pd.DataFrame:
    r = result.requirement
    df = pd.DataFrame(r.as_rows())
    df["day"] = [DAYS[d] for d in df["day"]]
    df["units_current"] = coverage_of(result.current)
    df["units_proposed"] = coverage_of(result.proposed)
    df["handlers_current"] = coverage_of(result.handlers_current)
    # --units-only and --officers keep today's control room
    df["handlers_proposed"] = coverage_of(result.handlers_proposed if result.handlers_proposed is not None
                                          else result.handlers_current)
    # stage 1's lagged load against the simulation: units busy on incidents, by hour of week
    if result.final is not None:
        for arm, label in (("a", "current"), ("b", "proposed")):
            p = result.final.arms[arm].profiles
            busy = p[p["profile"] == "units_busy"].groupby("x")["value"].mean()
            df[f"units_busy_simulated_{label}"] = busy.reindex(range(168)).to_numpy()
    df["units_busy_analytic"] = df[["load_g1", "load_g2", "load_g3"]].sum(axis=1)
    return df


def write_plan(result: PlanResult, scenario_path: Path, out: Path, command: str, wall_s: float,
               pattern_text: str | None = None, pattern_note: str = "") -> None:
    """The plan's files; ``manifest.json`` last, so its presence means the plan is complete."""
    if pattern_text is not None:
        atomic_write(out / "pattern.toml", pattern_text)
    atomic_write(out / "rota.toml", rota_toml(result, scenario_path, out))
    atomic_write(out / "requirement.csv", requirement_frame(result).to_csv(index=False))
    atomic_write(out / "iterations.csv", result.iterations().to_csv(index=False))
    if result.final is not None:
        atomic_write(out / "comparison.csv", result.final.comparison().to_csv(index=False))
    manifest = {"version": __version__, "scenario": str(scenario_path), "command": command,
                "meets": result.meets, "officer_hours_current": template_hours(result.current),
                "officer_hours_proposed": template_hours(result.proposed),
                "scale_up": None if result.scale_up is None else
                {k: result.scale_up.get(k) for k in ("factor", "officer_hours", "confirmed")},
                "handler_hours_current": template_hours(result.handlers_current),
                "handler_hours_proposed": None if result.handlers_proposed is None
                else template_hours(result.handlers_proposed),
                "pattern": pattern_note or None, "solver": result.solver,
                "officers": result.officers, "simulations": result.simulations, "wall_time_s": round(wall_s, 1)}
    atomic_write(out / "report.html", report_html(result, command, wall_s, pattern_note))
    atomic_write(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")


# ---------------------------------------------------------------------------- report
def _figure(result: PlanResult) -> str:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = requirement_frame(result)
    fig, ax = plt.subplots(figsize=(11, 3.6), dpi=100)
    x = np.arange(168)
    ax.step(x, df["units_required"], where="post", color="black", lw=1.6, label="required (stage 1, rostered)")
    ax.step(x, df["units_current"], where="post", color="tab:red", lw=1.2, label="today's rota")
    ax.step(x, df["units_proposed"], where="post", color="tab:blue", lw=1.2, label="proposed rota")
    ax.set_xticks(range(0, 169, 24), [*DAYS, ""])
    ax.set_xlim(0, 168)
    ax.set_ylabel("response officers rostered")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, ncol=3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _load_sentence(result: PlanResult) -> str:
    """Stage 1's lagged load against the units the simulation had busy under the proposal."""
    df = requirement_frame(result)
    if "units_busy_simulated_proposed" not in df:
        return ""
    a, b = df["units_busy_analytic"].to_numpy(), df["units_busy_simulated_proposed"].to_numpy()
    peak_a, peak_b = int(np.argmax(a)), int(np.argmax(b))
    return (f"<p>Offered load by hour of week, stage 1 (lagged, infinite-server) against units busy in the "
            f"simulation of the proposal: mean {a.mean():.1f} vs {b.mean():.1f}, mean absolute difference "
            f"{np.abs(a - b).mean():.1f} units; peaks {a.max():.1f} ({DAYS[peak_a // 24]} {peak_a % 24:02d}:00) vs "
            f"{b.max():.1f} ({DAYS[peak_b // 24]} {peak_b % 24:02d}:00). Both columns are in requirement.csv.</p>")


def _after_peak_sentence(result: PlanResult) -> str:
    """Is stage 1 short after the peaks? In the four hours after each day's arrival peak,
    the simulated units busy against the lagged load and SIPP's unlagged one."""
    df = requirement_frame(result)
    if "units_busy_simulated_proposed" not in df:
        return ""
    arrivals = result.requirement.arrivals.sum(axis=1)
    after = sorted({(d * 24 + int(np.argmax(arrivals[d * 24:(d + 1) * 24])) + k) % 168
                    for d in range(7) for k in range(1, 5)})
    sim_ = df["units_busy_simulated_proposed"].to_numpy()[after].mean()
    lag, sipp = df["units_busy_analytic"].to_numpy()[after].mean(), df["load_sipp"].to_numpy()[after].mean()
    r = result.requirement
    return (f"<p>After the peaks (the four hours after each day's busiest hour of arrivals) the simulation "
            f"had {sim_:.1f} units busy on average; the lagged load said {lag:.1f} ({lag - sim_:+.1f}), SIPP's "
            f"unlagged load (each hour's arrivals x their mean work) {sipp:.1f} ({sipp - sim_:+.1f}). "
            f"The lagged approximation is {'' if lag < sim_ - 0.5 else 'not '}short after the peaks (by more than half "
            f"a unit); SIPP is{'' if sipp < sim_ - 0.5 else ' not'}. Staffed on SIPP's load, stage 1 would ask "
            f"for {r.rostered_sipp.sum():,} rostered unit-hours a week against {r.rostered.sum():,} on the lagged "
            f"load, fewer in {int((r.rostered_sipp < r.rostered).sum())} hours of the week "
            f"(units_required_sipp in requirement.csv).</p>")


def o_reps(result: PlanResult) -> int:
    return int(result.final.comparison()["reps"].iloc[0]) if result.final is not None else 0


def _e(x) -> str:
    return html.escape(str(x))


def _table(headers: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _units(v: dict | None) -> str:
    if v is None:
        return "—"
    u = v["units"]
    return str(u[0]) if len(set(u)) == 1 else " / ".join(map(str, u)) + " (Mon..Sun)"


def _shift_rows(current: dict, proposed: dict) -> list[list]:
    rows = []
    for name in list(current) + [n for n in proposed if n not in current]:
        c, p = current.get(name), proposed.get(name)
        v = p or c
        rows.append([name, v["start"], f"{v['hours']:g}", _units(c), _units(p),
                     f"{(template_hours({name: p}) if p else 0) - (template_hours({name: c}) if c else 0):+,.0f}"])
    return rows


def report_html(result: PlanResult, command: str, wall_s: float, pattern_note: str = "") -> str:
    s = result.scenario
    contracted = s.response.contracted_hours_per_week
    cur_h, new_h = template_hours(result.current), template_hours(result.proposed)
    verdict = ("meets" if result.meets else "does NOT meet")
    parts = [f"<h1>Staffing plan: {_e(s.meta.name)}</h1>"]
    if result.officers is None:
        parts.append(f"<p><b>The proposed rota {verdict} HMIC's recommendation</b> (no resource-led downgrades, G1 and G2 "
                     f"in target at {s.recommendation.g1_aim:.0%} / {s.recommendation.g2_aim:.0%}) in the final check, "
                     f"with {new_h:,.0f} rostered officer-hours a week (an establishment of {new_h / contracted:,.0f} "
                     f"at {contracted:g} h) against {cur_h:,.0f} ({cur_h / contracted:,.0f}) today.</p>")
    else:
        parts.append(f"<p><b>The best spread of {result.officers} officers {verdict} HMIC's recommendation</b> in the "
                     f"final check ({new_h:,.0f} officer-hours a week used of {result.officers * contracted:,.0f}).</p>")
    if result.scale_up is not None:
        su = result.scale_up
        cheaper = "fewer" if new_h < su["officer_hours"] else "more"
        how = (f"meets it over {s.run.days:g} days x {o_reps(result)} replications (found by bisection on short runs, "
               "then confirmed at full length)" if su.get("confirmed") else "meets it in the short search runs "
               "(not confirmed at full length)")
        with_h = "" if result.handlers_proposed is None else \
            "; with the plan's call handlers, so that the response rotas alone are compared"
        parts.append(f"<p>The cheapest uniform scale-up of today's shifts (every shift's units x k, rounded up{with_h}) that "
                     f"{how} is x{su['factor']:g}: {su['officer_hours']:,.0f} officer-hours a week. The plan needs "
                     f"{abs(su['officer_hours'] - new_h):,.0f} {cheaper} ({new_h / su['officer_hours'] - 1:+.1%}).</p>")
    parts.append(f"<h2>Requirement and rotas by hour of week</h2><img src=\"data:image/png;base64,{_figure(result)}\">"
                 "<p>Black: the units each hour needs by stage 1 (lagged load, priority M/M/c per hour, then "
                 "abstraction and non-incident time). Red: today's rota. Blue: the proposal, rostered officers on "
                 "duty for the whole hour (spikes are hand-over overlaps, where the incoming shift is briefed). "
                 "Where blue dips under black, the simulation showed the analytic requirement was more than "
                 "needed and the shift was trimmed.</p>")
    parts.append("<h2>Changes per shift</h2><h3>Response officers</h3>" + _table(
        ["shift", "start", "hours", "units today", "units proposed", "officer-hours a week, change"],
        _shift_rows(result.current, result.proposed)))
    if result.handlers_proposed is not None:
        parts.append("<h3>Call handlers</h3>" + _table(
            ["shift", "start", "hours", "staff today", "staff proposed", "handler-hours a week, change"],
            _shift_rows(result.handlers_current, result.handlers_proposed)))
    else:
        parts.append("<p>Call handlers: today's rota kept (--units-only or --officers).</p>")
    if pattern_note:
        parts.append(f"<h3>As a team pattern</h3><p>{_e(pattern_note)}</p>")
    parts.append(_table(["", "today", "proposed"], [
        ["officer-hours a week", f"{cur_h:,.0f}", f"{new_h:,.0f}"],
        [f"establishment at {contracted:g} h", f"{cur_h / contracted:,.0f}", f"{new_h / contracted:,.0f}"]]))
    if result.final is not None:
        cmp_ = result.final.comparison().set_index("kpi")
        n = int(cmp_["reps"].iloc[0])
        rows = []
        for k, fmt in KPI_ROWS:
            r = cmp_.loc[k]
            f = lambda x: "n/a" if x != x else fmt.format(x)  # noqa: E731
            rows.append([k, f(r["mean_a"]), f(r["mean_b"]), f(r["diff"]), f"[{f(r['ci_low'])}, {f(r['ci_high'])}]"])
        parts.append(f"<h2>Headline KPIs: today vs proposed</h2><p>{s.run.days:g} days after {s.run.warmup_days:g} "
                     f"warm-up days, {n} replications each, paired (common random numbers, seed "
                     f"{result.final.plan.seed}); 95% CI of the paired difference.</p>"
                     + _table(["kpi", "today", "proposed", "proposed − today", "95% CI"], rows))
    it = result.iterations()
    if not it.empty:
        first = it.iloc[0]
        parts.append("<h2>Stage 1 against the simulation</h2>"
                     f"<p>The analytic answer (stage 1's requirement, covered by stage 2's shifts) has "
                     f"{first['officer_hours']:,.0f} officer-hours a week; simulated, it had "
                     f"{first['resource_downgrades_per_week']:.2f} resource downgrades a week, G1 "
                     f"{first['g1_in_target']:.1%} and G2 {first['g2_in_target']:.1%} in target "
                     f"({'meets' if first['meets'] else 'does not meet'}). The recommended rota has "
                     f"{new_h:,.0f}.</p>" + _load_sentence(result) + _after_peak_sentence(result))
        cols = ["stage", "officer_hours", "meets", "resource_downgrades_per_week", "g1_in_target", "g2_in_target",
                "note"]
        parts.append("<h2>Search (short runs)</h2>" + _table(cols, it[cols].round(4).values.tolist()))
    if result.solver:
        parts.append("<h2>Integer programs (stage 2)</h2><p>HiGHS through scipy.optimize.milp, stopped at a 1% "
                     "gap or 3,000 nodes (so the same answer every time); a time limit is only a safety net and "
                     "would show below.</p>" + _table(["pool", "stage", "hours a week", "solver status"],
                                                      [[r["pool"], r["stage"], f"{r['hours']:,.0f}", r["status"]]
                                                       for r in result.solver]))
    parts.append(f"<h2>Reproduce</h2><pre>{_e(command)}</pre><p>triage-sim {__version__}; {result.simulations} "
                 f"simulations in {wall_s:.0f} s.</p>")
    style = "body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}" \
            "td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}img{max-width:100%}"
    return f"<!doctype html><html><head><meta charset=\"utf-8\"><title>plan {_e(s.meta.name)}</title>" \
           f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n"
