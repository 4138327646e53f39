"""Live peak page: one run stepped in accelerated time, as the control-room wall would show it."""
import time

import streamlit as st

from sim.app import live as lv
from sim.app.ui import base, html_text, page, plain, text_table
from sim.scenario import DAYS

page("Live peak")
s = base()
with st.sidebar:
    st.markdown("**Window**")
    day = st.selectbox("Day", DAYS, DAYS.index("Fri"), key="lv_day")
    start = st.number_input("From hour", 0, 23, 16, key="lv_start")
    hours = st.number_input("Hours", 1, 24, 12, key="lv_hours")
    speed = st.slider("Speed: simulated minutes per second", 2, 120, 20, key="lv_speed")
    seed = st.number_input("Seed", 0, 2**31 - 1, int(s.run.seed), key="lv_seed",
                           help="the same seed and callers replay the same peak, chart and all")
    rep = st.number_input("Callers (replication)", 0, 999, 0, key="lv_rep")
    if st.button("Start / replay", type="primary", key="lv_reset") or "live" not in st.session_state:
        try:
            st.session_state["live"] = lv.LivePeak(s, day, int(start), int(hours), int(seed), int(rep))
            st.session_state["lv_playing"] = False
        except ValueError as exc:
            st.error(plain(exc))

peak = st.session_state.get("live")
if peak is not None:
    a, b, c = st.columns([2, 1, 1])
    playing = st.session_state.get("lv_playing", False)
    if b.button("Pause" if playing else "Play", key="lv_play", disabled=peak.done):
        playing = st.session_state["lv_playing"] = not playing
    if c.button("Step 15 min", key="lv_step", disabled=peak.done or playing):
        peak.step(15)
    a.markdown(f"<div class='clock'>{lv.clock(peak.now)}</div>"
               f"{lv.clock(peak.start)} to {lv.clock(peak.end)}, seed {peak.seed}, callers {peak.replication}"
               + (" — <b>finished</b>" if peak.done else ""), unsafe_allow_html=True)
    st.progress(min(1.0, (peak.now - peak.start) / (peak.end - peak.start)))
    st_ = peak.status()
    m = st.columns(4)
    m[0].metric("Units free", st_["free"])
    m[1].metric("Units busy", st_["busy"])
    m[2].metric("On a break / briefing", st_["break"])
    m[3].metric("Neighbourhood free", st_["neighbourhood_free"])
    m = st.columns(4)
    m[0].metric("G1 / G2 pending", f"{st_['pending_g1']} / {st_['pending_g2']}")
    m[1].metric("True G1/G2 waiting", st_["true_high_waiting"], help="callers whose true risk is G1 or G2 with no unit")
    m[2].metric("Downgrades so far", st_["downgrades"])
    m[3].metric("All pending", st_["pending"])
    for chart in peak.charts():
        st.altair_chart(chart, width="stretch", height=lv.CHART_HEIGHT)
    left, right = st.columns([1, 1])
    with left:
        st.subheader("Pending list (most urgent first)")
        rows = peak.pending_rows()
        if rows:
            text_table(rows)
        else:
            st.write("Nothing waiting.")
    with right:
        st.subheader("Ticker")
        lines = [f"<div class='{t.kind}'>{lv.clock(t.time)[4:]} {html_text(t.text)}</div>"
                 for t in reversed(peak.ticker[-18:])]
        st.markdown("<div class='ticker'>" + ("".join(lines) or "Press Play or Step.") + "</div>",
                    unsafe_allow_html=True)
    if playing and not peak.done:
        time.sleep(1.0)
        peak.step(speed)
        st.rerun()
