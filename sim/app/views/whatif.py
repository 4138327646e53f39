"""What-if page: change the force, run it against the unchanged force on the same callers."""
import streamlit as st

from sim.app import whatif as w
from sim.app.ui import base, ci, diff, diff_ci, fmt, page, plain
from sim.measures.catalogue import words
from sim.scenario import DAYS, ScenarioError



def _heads(n) -> int:
    """A shift's head-count as one number (the most, when it varies by day)."""
    return n if isinstance(n, int) else max(n)


page("What-if: change the force, same callers")
s = base()
names = ["Custom", *w.PRESETS]
choice = st.selectbox("Preset", names, index=1, key="wi_preset")
c = w.preset(choice) if choice in w.PRESETS else w.Controls()
if choice in w.PRESETS:
    st.caption(w.PRESETS[choice][0])
k = f"wi_{choice}_"   # widgets start from the chosen preset's values
out = st.container()   # the results, above the controls: what the room looks at

with st.expander("Change the force", expanded=st.session_state.get("wi_result") is None), st.form("whatif"):
    left, mid, right = st.columns(3)
    with left:
        st.markdown("**Response units per shift**")
        units = {n: st.number_input(plain(f"{n} ({sh.start}, {sh.hours:g} h)"), 0, 300, int(c.units.get(n, _heads(sh.units))),
                                    key=k + "u_" + n) for n, sh in s.response.shifts.items()}
        rota = st.selectbox("Response rota", ["weekly template (above)", *w.patterns()], key=k + "rota",
                            help="a team pattern from scenarios/patterns/ replaces the shifts above")
        late = st.text_input("Late shift starts at (HH:MM)", c.late_start or
                             (s.response.shifts["late"].start if "late" in s.response.shifts else ""), key=k + "late")
    with mid:
        st.markdown("**Call handlers per shift**")
        handlers = {n: st.number_input(plain(f"{n} ({sh.start}, {sh.hours:g} h)"), 0, 100,
                                       int(c.handlers.get(n, _heads(sh.staff))), key=k + "h_" + n)
                    for n, sh in s.call_handling.shifts.items()}
        policy = st.selectbox("Controller (downgrade policy)", list(w.POLICIES), list(w.POLICIES).index(c.policy),
                              format_func=w.POLICIES.get, key=k + "policy")
        borrow = st.checkbox("Risk-led borrows officers", c.borrow, key=k + "borrow",
                             help="a risk-led controller borrows neighbourhood officers for G1s waiting 10 min "
                                  "and G2s waiting an hour")
    with right:
        demand = st.number_input("Demand multiplier", 0.2, 3.0, float(c.demand), 0.05, key=k + "demand")
        surge_on = st.checkbox("Surge window", c.surge is not None, key=k + "surge")
        sg = c.surge or w.Surge()
        a, b = st.columns(2)
        day = a.selectbox("Starts on", DAYS, DAYS.index(sg.day), key=k + "sday")
        hour = b.number_input("at hour", 0, 23, sg.start_hour, key=k + "shour")
        hours = a.number_input("for hours", 1, 24, sg.hours, key=k + "shours")
        pct = b.number_input("demand +%", -90, 300, int(sg.percent), 5, key=k + "spct")
        days = a.number_input("Days", 1, 28, c.days, key=k + "days")
        reps = b.number_input("Replications", 2, 20, c.reps, key=k + "reps")
    go = st.form_submit_button("Run", type="primary")

if go:
    default_late = s.response.shifts["late"].start if "late" in s.response.shifts else ""
    pattern = None if rota.startswith("weekly") else rota
    controls = w.Controls(
        pattern=pattern,
        units={} if pattern else {n: v for n, v in units.items() if v != _heads(s.response.shifts[n].units)
                                  or n in c.units},
        handlers={n: v for n, v in handlers.items() if v != _heads(s.call_handling.shifts[n].staff)},
        late_start=late.strip() if late.strip() and late.strip() != default_late and not pattern else None,
        policy=policy, borrow=borrow, demand=demand,
        surge=w.Surge(day, int(hour), int(hours), float(pct)) if surge_on else None, days=int(days), reps=int(reps))
    bar = out.progress(0.0, text="running the baseline and the what-if on the same callers…")
    try:
        result = w.run(controls, s, progress=lambda i, n: bar.progress(i / n, text=f"replication runs {i}/{n}"),
                       label=choice if choice in w.PRESETS else "what-if")
    except (w.ControlError, ScenarioError) as exc:
        bar.empty()
        out.error(f"Cannot run this: {plain(exc)}")
        st.session_state.pop("wi_result", None)
    else:
        bar.empty()
        st.session_state["wi_result"] = result

result = st.session_state.get("wi_result")
if result is not None and result.label != (choice if choice in w.PRESETS else "what-if"):
    result = None   # another preset picked: its results are not these
if result is not None:
    with out:
        cls, sentence = result.verdict()
        {"pass": st.success, "fail": st.error}.get(cls, st.warning)(sentence)
        st.info("**What changed:** " + result.what_changed())
        rows = result.headline()
        cols = st.columns(4)
        for col, h in zip(cols, rows[:4]):
            col.metric(words(h["kpi"]).short, fmt(h["unit"], h["mean"]), delta=f"{diff(h['unit'], h['diff'])} vs baseline",
                       delta_color="off", help=f"95% CI {ci(h['unit'], h['ci_low'], h['ci_high'])}")
        st.table(
            [{"KPI": h["label"], "what-if": fmt(h["unit"], h["mean"]), "95% CI": ci(h["unit"], h["ci_low"], h["ci_high"]),
              "baseline": fmt(h["unit"], h["baseline"]), "paired difference": diff(h["unit"], h["diff"]),
              "paired 95% CI": diff_ci(h["unit"], h["diff_low"], h["diff_high"])} for h in rows])
        st.caption(f"{result.controls.reps} replications of {result.controls.days} days after a "
                   f"{result.variant.scenario.run.warmup_days:g}-day warm-up, seed {result.variant.scenario.run.seed}; "
                   f"both arms meet the same callers (common random numbers); ran in {result.wall_s:.1f} s.")
        for fig in result.figures():
            if fig.png:
                st.image(fig.png, width="stretch")
            if fig.caption:
                st.caption(plain(fig.caption))
            if fig.note:
                st.caption(plain(f"{fig.title}: {fig.note}"))
