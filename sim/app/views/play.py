"""Play the controller: decide at each unresourced G1/G2 past its review time, then a debrief
against the resource-led and risk-led controllers on the same callers."""
import streamlit as st

from sim.app import play as pl
from sim.app.facilitator import session_folder
from sim.app.ui import base, html_table, html_text, page, plain, references, starts, text_table
from sim.model.policies import CHOICE_TEXT, CHOICES
from sim.scenario import DAYS

page("Play the controller")
s = base()
folder = session_folder()
# the trainee id in the address (?trainee=...): a reload, or the same link later, resumes the shift
tid = pl.trainee_id(st.query_params.get("trainee"))
if st.query_params.get("trainee") != tid:
    st.query_params["trainee"] = tid
if st.session_state.get("pl_tid") != tid:   # a new browser session (a reload), or another trainee's link
    st.session_state["pl_tid"] = tid
    st.session_state.pop("game", None)
    resumed = pl.resume(folder, tid, s, starts())
    if resumed is not None:
        st.session_state["game"], saved_path = resumed
        if saved_path:
            st.session_state["pl_saved"] = {id(resumed[0]): {"saved": saved_path}}
game = st.session_state.get("game")

def _start() -> None:
    """The shift, started before the page is drawn (a callback, as a decision is): one run of the
    page draws the first decision. A second click on the form, once the shift has started, is ignored."""
    ss = st.session_state
    if ss.get("game") is not None:
        return
    try:
        # every trainee starting the same shift starts from the same state: made once, copied (StartCache)
        game = starts()(s, pl.Shift(ss["pl_day"], int(ss["pl_start"]), float(ss["pl_hours"]), None, int(ss["pl_rep"])),
                        str(ss.get("pl_name") or "").strip() or "trainee")
    except ValueError as exc:
        ss["pl_start_error"] = str(exc)
        return
    ss["game"] = game
    ss.pop("pl_start_error", None)
    try:
        pl.save_progress(folder, ss["pl_tid"], game)
    except OSError as exc:
        ss["pl_progress_error"] = str(exc)


if game is None:
    st.write("You are the control-room supervisor for a short peak. Each time a G1 or G2 incident has waited past "
             "its review time with no unit free, you decide what happens to it. Afterwards you see what a "
             "resource-led and a risk-led controller did with the same callers.")
    with st.form("start"):
        st.text_input("Your name (for the debrief file)", key="pl_name")
        a, b, c, d = st.columns(4)
        a.selectbox("Day", DAYS, DAYS.index("Fri"), key="pl_day")
        b.number_input("From hour", 0, 23, 18, key="pl_start")
        c.number_input("Hours", 1, 8, 4, key="pl_hours")
        d.number_input("Callers (replication)", 0, 999, 0, key="pl_rep",
                       help="the same number gives every trainee the same callers")
        st.form_submit_button("Start the shift", type="primary", on_click=_start)
    if st.session_state.get("pl_start_error"):
        st.error(f"Cannot start: {plain(st.session_state['pl_start_error'])}")


def _decide(number: int) -> None:
    """The decision, taken before the shift is drawn again (a callback): one run of the shift's
    fragment per step, not a run that draws the old decision and a second for the new one."""
    g = st.session_state.get("game")
    if g is None or g.over or len(g.decisions) + 1 != number:   # a double click, or a stale form
        return
    g.decide(st.session_state.get(f"pl_choice{number}", "keep"))
    try:
        pl.save_progress(folder, st.session_state["pl_tid"], g)
    except OSError as exc:
        st.session_state["pl_progress_error"] = str(exc)


def _desk(game) -> None:
    """The open decision: the caller, the units, the pending list, and the trainee's choice."""
    if st.session_state.get("pl_progress_error"):
        st.warning(plain(f"Your progress could not be kept (a reload would start afresh): "
                         f"{st.session_state['pl_progress_error']}"))
    desk = game.desk()
    st.markdown(f"### Decision {desk['number']} — {desk['clock']} — {desk['left']:.0f} min of your shift left")
    cls = "desk g2" if desk["grade"] == "G2" else "desk"
    u = desk["units"]
    figures = (("Units free", u["free"]), ("Units busy", u["busy"]), ("On a break / briefing", u["break"]),
               ("Neighbourhood free", u["neighbourhood_free"]),
               ("Divertible units (on their way to a lower-grade job)", desk["divertible"]))
    # one HTML element each for the desk and the pending list, redrawn at every step: the browser's
    # cost of a step was mostly Streamlit's Markdown (five metrics, a table of Markdown cells)
    st.html(f"<div class='{cls}'><b>{html_text(desk['grade'])} {html_text(desk['category'])}</b> "
            f"({html_text(desk['area'])}), unresourced for <b>{desk['waited']:.0f} min</b>, no response unit "
            f"free.<br>Caller: {html_text(desk['says'])}</div>"
            "<div class='units'>" + "".join(f"<div><b>{int(v)}</b><span>{html_text(k)}</span></div>" for k, v in figures)
            + "</div>")
    left, right = st.columns([3, 2])
    with left:
        st.html("<p><b>Pending list</b></p>" + html_table(desk["pending"], "pending"))
    with right:
        with st.form(f"decide{desk['number']}"):
            st.radio("Your decision", CHOICES, format_func=CHOICE_TEXT.get, key=f"pl_choice{desk['number']}")
            # the number on the button: a click on the form of a decision already taken (still on the
            # screen while the page redraws) is ignored by _decide, and a trainee can tell the forms apart
            st.form_submit_button(f"Decide #{desk['number']}", type="primary", on_click=_decide,
                                  args=(desk["number"],))


def _debrief(game) -> None:
    """The debrief: the trainee's shift beside the two controllers' on the same callers."""
    d = game.debrief(references())
    if "saved" not in st.session_state.get("pl_saved", {}).get(id(game), {}):
        try:
            path = pl.save_debrief(folder, d)
            st.session_state["pl_saved"] = {id(game): {"saved": str(path)}}
            pl.save_progress(folder, tid, game, saved=str(path))
        except OSError as exc:
            st.session_state["pl_saved"] = {id(game): {"saved": None, "error": str(exc)}}
    saved = st.session_state["pl_saved"][id(game)]
    st.markdown(f"### Debrief: {plain(d['name'])}, {d['shift']}, {len(game.decisions)} decisions")
    st.write(f"Same callers for all three columns (seed {d['seed']}, replication {d['replication']}): the force ran "
             "as usual up to your shift; only the controller in the shift differs. Outcomes of callers who rang "
             "during the shift, followed for two hours after it.")
    rows = pl.debrief_table(d)
    st.table(rows)
    st.markdown(f"#### Every decision you made: {len(game.decisions)}, of which a true-risk view calls "
                f"{len(d['wrong'])} wrong")
    st.caption("Beside each: what then happened to that caller in your shift, and what the resource-led and the "
               "risk-led controllers did with the same caller (the same callers in all three runs).")
    if d.get("every_decision"):
        text_table(pl.decision_rows(d))
    else:
        st.write("No decision came to you in this shift: no G1 or G2 waited past its review time with no unit free.")
    a, b, _ = st.columns([1, 1, 2])
    stem = f"{pl.safe_name(d['name'])}-{d['shift'][4:9].replace(':', '')}"
    a.download_button("Keep your session (JSON)", pl.session_export(d), f"{stem}-session.json", "application/json",
                      key="pl_export_json", on_click="ignore")
    b.download_button("Your decisions (CSV)", pl.session_csv(d), f"{stem}-decisions.csv", "text/csv",
                      key="pl_export_csv", on_click="ignore")
    if saved.get("saved"):
        st.caption(f"Saved for the facilitator: {plain(saved['saved'])}")
    else:
        st.warning(f"Could not save the debrief: {plain(saved.get('error'))}")
    if st.button("Play again", key="pl_again"):
        del st.session_state["game"]
        pl.forget_progress(folder, tid)
        st.rerun()


@st.fragment
def shift() -> None:
    """The shift under way, as a fragment: a click on *Decide* reruns this part of the page only
    (the title, the style and the navigation are not sent again), so the browser redraws only
    what changed. The last decision draws the debrief here too; *Play again* reruns the page."""
    game = st.session_state.get("game")
    if game is None:
        st.rerun()   # another run of the page has ended this shift: draw the page afresh
    elif not game.over:
        _desk(game)
    else:
        _debrief(game)


if game is not None:
    shift()
