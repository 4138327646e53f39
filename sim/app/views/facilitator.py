"""Facilitator page: every trainee's debrief in the session folder, side by side."""
import streamlit as st

from sim.app.facilitator import UNITS, load_debriefs, session_folder, side_by_side
from sim.app.ui import fmt, page, plain, text_table

page("Facilitator: the room's debriefs")
folder = session_folder()
st.caption(f"Session folder: {plain(folder.resolve())} (files are written by the Play page; nothing leaves this machine)")
st.button("Refresh", key="fa_refresh")
debriefs, problems = load_debriefs(folder)
for p in problems:
    st.warning(plain(p))
if not debriefs:
    st.info("No debriefs yet: trainees finish a shift on the Play the controller page.")
else:
    table = side_by_side(debriefs)
    shown = table.copy().astype(object)
    for row in shown.index:
        shown.loc[row] = [fmt(UNITS.get(row, ""), v) for v in table.loc[row]]
    st.dataframe(shown, width="stretch")
    for d in debriefs:
        wrong = d.get("wrong") or []
        with st.expander(f"{plain(d.get('name'))} — {plain(d.get('shift'))} — "
                         f"{len(wrong) if isinstance(wrong, list) else '?'} decisions a true-risk view calls wrong"):
            text_table(wrong or [{"": "none"}])
