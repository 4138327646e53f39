"""Facilitator page: every trainee's debrief in the session folder, side by side."""
import streamlit as st

from sim.app.facilitator import load_debriefs, session_folder, side_by_side
from sim.app.ui import page

page("Facilitator: the room's debriefs")
folder = session_folder()
st.caption(f"Session folder: {folder.resolve()} (files are written by the Play page; nothing leaves this machine)")
st.button("Refresh", key="fa_refresh")
debriefs, problems = load_debriefs(folder)
for p in problems:
    st.warning(p)
if not debriefs:
    st.info("No debriefs yet: trainees finish a shift on the Play the controller page.")
else:
    table = side_by_side(debriefs)
    st.dataframe(table.map(lambda v: "–" if v is None or v != v else (f"{v:.0%}" if isinstance(v, float) and v <= 1
                           and v >= 0 and not float(v).is_integer() else (f"{v:.1f}" if isinstance(v, float) else v))),
                 width="stretch")
    for d in debriefs:
        with st.expander(f"{d.get('name')} — {d.get('shift')} — {len(d.get('wrong', []))} decisions a true-risk view "
                         "calls wrong"):
            st.table(d.get("wrong") or [{"": "none"}])
