"""Facilitator page: the room on a 1280 x 720 projector. A row per trainee ranked on the scores
the two controllers are compared on, the risk-led and resource-led controllers on the same
callers below; it refreshes itself as trainees finish; the room's results as CSV and a figure
(downloads, and written to the session folder)."""
import datetime as dt

import streamlit as st

from sim.app import facilitator as fa
from sim.app.play import playing
from sim.app.ui import diff, fmt, page, plain, text_table

COMPACT_CSS = """
<style>
.block-container { padding-left: 1.2rem !important; padding-right: 1.2rem !important; max-width: none !important; }
div[data-testid="stTable"] table { font-size: 0.78rem; }
div[data-testid="stTable"] th, div[data-testid="stTable"] td { padding: .25rem .35rem !important; }
div[data-testid="stTable"] th { white-space: normal !important; line-height: 1.15; }
</style>
"""
REFRESH_SECONDS = 5

page("Facilitator: the room")
st.markdown(COMPACT_CSS, unsafe_allow_html=True)
folder = fa.session_folder()
names = {key: label for key, label, *_ in fa.SCORES}
left, right = st.columns([1, 2])
rank_by = left.selectbox("Rank by", list(names), format_func=names.get, key="fa_rank",
                         help="each trainee against the risk-led and resource-led controllers on the same callers; "
                              "ranked on the difference from the risk-led controller, ties broken by the other scores")
right.caption(plain(f"'vs risk-led', 'vs resource-led': the trainee minus that controller on the same callers, "
                    f"on the score ranked by. Session folder: {folder.resolve()} (written by the Play page; "
                    "nothing leaves this machine)."))


@st.fragment(run_every=REFRESH_SECONDS)
def the_room():
    debriefs, problems = fa.load_debriefs(folder)
    under_way = playing(folder)
    if under_way:
        st.caption(f"{under_way} trainee(s) still playing a shift.")
    for p in problems:
        st.warning(plain(p))
    if not debriefs:
        st.info("No debriefs yet: trainees finish a shift on the Play the controller page. This page looks again "
                f"every {REFRESH_SECONDS} s.")
        return
    signature = (rank_by, tuple(d["file"] for d in debriefs))
    cached = st.session_state.get("fa_room")
    if cached is None or cached[0] != signature:   # redrawn only when a trainee finishes (or the ranking changes)
        table = fa.room(debriefs, rank_by)
        cached = st.session_state["fa_room"] = (signature, table, fa.room_csv(table), fa.room_figure(table, rank_by))
    _, table, csv, png = cached
    text_table(fa.shown(table, rank_by, fmt, diff))
    if st.session_state.get("fa_saved_for") != signature:
        try:
            fa.save_room(folder, table, png)
            st.session_state["fa_saved_for"] = signature
        except OSError as exc:
            st.warning(plain(f"Could not write the room's results to the session folder: {exc}"))
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    a, b, c = st.columns([1, 1, 3])
    a.download_button("Room results (CSV)", csv, "room-results.csv", "text/csv", key="fa_csv", on_click="ignore")
    b.download_button("Figure (PNG)", png, "room-results.png", "image/png", key="fa_png", on_click="ignore")
    c.caption(plain(f"{len(debriefs)} debriefs at {stamp}; also written to {folder.resolve()} "
                    "(room-results.csv, room-results.png)"))
    st.image(png, width="stretch")
    for d in debriefs:
        rows = d.get("every_decision")
        wrong = d.get("wrong") or []
        with st.expander(f"{plain(d.get('name'))} — {plain(d.get('shift'))} — "
                         f"{len(wrong) if isinstance(wrong, list) else '?'} decisions a true-risk view calls wrong"):
            if isinstance(rows, list):
                from sim.app.play import decision_rows

                text_table(decision_rows(d) or [{"": "no decisions"}])
            else:
                text_table(wrong or [{"": "none"}])


the_room()
