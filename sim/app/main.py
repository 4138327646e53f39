"""The workshop app's entry point (``triage-sim app`` runs it with Streamlit): four pages."""
import streamlit as st

from sim.app.ui import settle

st.set_page_config(page_title="triage-sim workshop", page_icon="🚓", layout="wide")
pages = [
    st.Page("views/whatif.py", title="What-if", url_path="whatif", default=True),
    st.Page("views/live.py", title="Live peak", url_path="live"),
    st.Page("views/play.py", title="Play the controller", url_path="play"),
    st.Page("views/facilitator.py", title="Facilitator", url_path="facilitator"),
]
st.navigation(pages).run()
settle()   # once per server: what it keeps for good out of the garbage collector's scans
