"""``triage-sim app``: start the workshop app (Streamlit) on 127.0.0.1 and print its address.

Streamlit is an optional extra (``pip install '.[app]'``); without it the command says so in
one line. The app's session folder (debriefs for the facilitator page) and scenario are
passed to it through environment variables.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

MAIN = Path(__file__).resolve().parent / "main.py"
ENV_SCENARIO = "TRIAGE_SIM_SCENARIO"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def command(port: int, host: str = "127.0.0.1") -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(MAIN), "--server.address", host,
            "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--global.developmentMode", "false",
            "--client.toolbarMode", "minimal"]   # no "Deploy" button on the projector


def serve(port: int | None = None, session_dir: str | None = None, scenario: str | None = None) -> int:
    try:
        import streamlit  # noqa: F401
    except ImportError:
        print("triage-sim app: Streamlit is not installed; install the app extra: pip install -e '.[app]' "
              "(make run and make test do)", file=sys.stderr)
        return 2
    from sim.app.facilitator import ENV_FOLDER, session_folder

    if port is not None and not 1 <= port <= 65535:
        print(f"triage-sim app: --port: {port}; expected a port number from 1 to 65535", file=sys.stderr)
        return 2
    port = port or free_port()
    env = dict(os.environ)
    if session_dir:
        env[ENV_FOLDER] = str(Path(session_dir).resolve())
    if scenario:
        env[ENV_SCENARIO] = str(Path(scenario).resolve())
    folder = Path(env.get(ENV_FOLDER) or session_folder()).resolve()
    print(f"Workshop app: http://127.0.0.1:{port}   (debriefs saved in {folder}; Ctrl-C to stop)", flush=True)
    proc = subprocess.Popen(command(port), env=env, stdout=subprocess.DEVNULL)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(10)
        return 130
