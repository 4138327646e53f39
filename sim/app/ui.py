"""Small helpers the pages share: the base scenario (loaded once), the projector style (large
type, high contrast); number formats come from ``text`` (no Streamlit there)."""
from __future__ import annotations

import os

import streamlit as st

from sim.app.serve import ENV_SCENARIO
from sim.app.whatif import DEFAULT_SCENARIO, base_scenario
from sim.app.text import ci, diff, diff_ci, fmt, html_table, html_text, plain, plain_rows  # noqa: F401  (the pages import them from here)

PROJECTOR_CSS = """
<style>
html, body, [class*="css"] { font-size: 19px; }
.block-container { padding-top: 2.2rem; }
h1 { font-size: 2.1rem !important; padding-bottom: .3rem !important; }
div[data-testid="stMetricValue"] { font-size: 2.1rem; }
div[data-testid="stMetricLabel"] p { font-size: 1.0rem; }
.ticker { font-family: ui-monospace, monospace; font-size: 1.05rem; line-height: 1.45; }
.ticker .downgrade { color: #b2182b; font-weight: 700; }
.ticker .wait { color: #8a4b00; }
.ticker .reassess, .ticker .upgrade { color: #1a6e3a; }
.desk { border-left: 8px solid #b2182b; background: #fbeeee; padding: .6em 1em; font-size: 1.15rem; }
.desk.g2 { border-color: #e69f00; background: #fdf6e6; }
.clock { font-size: 2.4rem; font-weight: 700; }
.units { display: flex; gap: 1.2rem; margin: .8rem 0 .4rem; }
.units div { flex: 1; }
.units b { display: block; font-size: 2.1rem; font-weight: 400; line-height: 1.2; }
.units span { font-size: 1.0rem; }
table.pending { border-collapse: collapse; width: 100%; font-size: .95rem; }
table.pending th, table.pending td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e6e6ea; }
table.pending th { font-weight: 600; }
</style>
"""


def served() -> bool:
    """Whether this process is a Streamlit server (``streamlit run``, as ``triage-sim app`` starts it)."""
    import sys

    argv = getattr(sys, "orig_argv", sys.argv)
    return "run" in argv and any(a == "streamlit" or a.endswith("/streamlit") for a in argv)


@st.cache_resource(show_spinner=False)
def settle() -> bool:
    """Once per server, after its first run: what the server keeps for good (the modules the pages
    import, the base scenario) is taken out of Python's garbage collection (``gc.freeze``). A full
    collection scans every object the collector tracks, holding the interpreter lock, and these are
    most of them (some 150,000; a trainee's game adds ~2,400): in a room of 20 it ran a few times,
    0.4 s each with the browsers on the same cores, and every trainee's answer waited for it."""
    import gc

    if not served():   # (under AppTest the process is the test run's: its objects are not ours to keep)
        return False
    import pandas  # noqa: F401  (st.table and the debrief's frames)
    import pyarrow  # noqa: F401

    import sim.app.facilitator  # noqa: F401
    import sim.app.live  # noqa: F401
    import sim.app.play  # noqa: F401

    base()
    gc.collect()
    gc.freeze()
    return True


def page(title: str) -> None:
    st.html(PROJECTOR_CSS)   # style only: no element on the page, and no Markdown to parse
    st.title(title)


@st.cache_resource(show_spinner=False)
def _base(path: str):
    return base_scenario(path)


def base():
    """The scenario the app starts from (``triage-sim app --scenario``, else the default)."""
    return _base(os.environ.get(ENV_SCENARIO) or str(DEFAULT_SCENARIO))


@st.cache_resource(show_spinner=False)
def _references(path: str):
    from sim.app.play import ReferenceCache

    return ReferenceCache()


def references():
    """The two controllers' runs for the debrief, shared by every session of this server on the
    same base scenario (``sim.app.play.ReferenceCache``)."""
    return _references(os.environ.get(ENV_SCENARIO) or str(DEFAULT_SCENARIO))


@st.cache_resource(show_spinner=False)
def _starts(path: str):
    from sim.app.play import StartCache

    return StartCache()


def starts():
    """Shifts started once for every trainee of this server who starts the same one, each given a
    copy (``sim.app.play.StartCache``): ``starts()(base, shift, name)`` is a new ``Game``."""
    return _starts(os.environ.get(ENV_SCENARIO) or str(DEFAULT_SCENARIO))


def text_table(rows) -> None:
    """``st.table`` of rows that hold text from a scenario or a file: shown as text, not Markdown."""
    st.table(plain_rows(rows))
