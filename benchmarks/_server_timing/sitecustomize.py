"""``room_load.py`` puts this folder on the PYTHONPATH of the app server it starts, with
``ROOM_LOAD_SERVER_TIMES`` naming a file: the Streamlit server then writes, for each rerun
request it receives, the time from its arrival on the server's event loop to the end of the
script run that answered it (a line: session, what, seconds, when it ended on ``time.perf_counter``; what is ``click`` for a request that
carries a button's click, ``load`` otherwise), and each of Python's full garbage collections (what
``gc2``: its seconds, as the interpreter lock is held throughout). That is the server's own answer, without the
browser. Any other process (``python -m sim app``, the tests) is left alone."""
import os
import sys
import time

_PATH = os.environ.get("ROOM_LOAD_SERVER_TIMES")


def _install() -> None:
    from streamlit.runtime import app_session
    from streamlit.runtime.scriptrunner import ScriptRunnerEvent

    out = open(_PATH, "a", buffering=1)
    handle, on_event = app_session.AppSession.handle_backmsg, app_session.AppSession._handle_scriptrunner_event_on_event_loop

    def handle_backmsg(self, msg):
        if msg.WhichOneof("type") == "rerun_script":
            click = any(w.WhichOneof("value") == "trigger_value" and w.trigger_value
                        for w in msg.rerun_script.widget_states.widgets)
            self._room_load = (time.perf_counter(), "click" if click else "load")
        return handle(self, msg)

    done = (ScriptRunnerEvent.SCRIPT_STOPPED_WITH_SUCCESS, ScriptRunnerEvent.FRAGMENT_STOPPED_WITH_SUCCESS)

    def handle_event(self, sender, event, *args, **kwargs):
        pending = getattr(self, "_room_load", None)
        if pending is not None and event in done:   # the page's run, or a fragment's (Play's shift is one)
            now = time.perf_counter()   # CLOCK_MONOTONIC on Linux: the same clock in room_load.py
            out.write(f"{self.id} {pending[1]} {now - pending[0]:.4f} {now:.3f}\n")
            self._room_load = None
        return on_event(self, sender, event, *args, **kwargs)

    def on_gc(phase, info):
        if info.get("generation") != 2:
            return
        if phase == "start":
            on_gc.t = time.perf_counter()
        elif getattr(on_gc, "t", None) is not None:
            now = time.perf_counter()
            out.write(f"gc gc2 {now - on_gc.t:.4f} {now:.3f}\n")
            on_gc.t = None

    import gc

    gc.callbacks.append(on_gc)
    app_session.AppSession.handle_backmsg = handle_backmsg
    app_session.AppSession._handle_scriptrunner_event_on_event_loop = handle_event


if _PATH and any("streamlit" in a for a in getattr(sys, "orig_argv", sys.argv)):
    _install()
