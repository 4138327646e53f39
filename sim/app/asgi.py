"""What ``triage-sim app`` hands to ``streamlit run``: the workshop app (``main.py``) as an
``st.App`` behind a Host check, so the page answers only to the names the server was started
for (localhost, 127.0.0.1 and the address it binds, passed in ``TRIAGE_SIM_ALLOWED_HOSTS``).

Why: a server on 127.0.0.1 is still reachable from any web page the trainer's browser opens,
through DNS rebinding (an attacker's name that first points at their server, then at
127.0.0.1). The browser then sends the attacker's name as ``Host``; refusing any other name
(400 "Invalid host header") closes that door. Streamlit's own ``server.allowedHosts`` checks
only the WebSocket, not the page and its files; Starlette's ``TrustedHostMiddleware`` checks
every request. ``streamlit run`` finds ``app`` below by reading this file (a top-level
``st.App`` instance) and serves it with its own server and the usual ``--server.*`` options.
"""
import os
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

ENV_HOSTS = "TRIAGE_SIM_ALLOWED_HOSTS"
DEFAULT_HOSTS = "localhost,127.0.0.1"


def allowed_hosts() -> list[str]:
    """The Host names the page answers to (comma-separated in the environment)."""
    names = [h.strip().lower() for h in os.environ.get(ENV_HOSTS, DEFAULT_HOSTS).split(",")]
    return [h for h in names if h and h != "*"] or DEFAULT_HOSTS.split(",")


app = st.App(str(Path(__file__).resolve().parent / "main.py"),
             middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(), www_redirect=False)])
