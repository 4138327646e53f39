"""``triage-sim app``: start the workshop app (Streamlit) on 127.0.0.1 and print its address.

Streamlit is an optional extra (``pip install '.[app]'``); without it the command says so in
one line. The app's session folder (debriefs for the facilitator page) and scenario are
passed to it through environment variables.

The server is a child process tied to this one (``spawn_tied``): it is gone within a moment of
the command ending, however it ends (Ctrl-C, SIGTERM, SIGKILL). The port is checked before
anything starts, and the address is printed only once the server answers there, so the line
a trainer copies into the browser is never a promise the server then breaks. The page answers
only to the names localhost and 127.0.0.1 (``sim/app/asgi.py``: DNS rebinding).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sim.util.executors import spawn_tied

HERE = Path(__file__).resolve().parent
MAIN = HERE / "main.py"
ASGI = HERE / "asgi.py"   # main.py as an st.App behind a Host check
ENV_SCENARIO = "TRIAGE_SIM_SCENARIO"
ENV_HOSTS = "TRIAGE_SIM_ALLOWED_HOSTS"   # read by asgi.py
HOST = "127.0.0.1"
START_SECONDS = 60.0


def free_port(host: str = HOST) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_problem(port: int, host: str = HOST) -> str | None:
    """Why the server could not listen on ``host:port`` now, or None: a bind test with the
    options a server uses (SO_REUSEADDR: a port left in TIME_WAIT by a stopped server is free)."""
    import errno

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is in use (another app or server?)"
            if exc.errno == errno.EACCES:
                return f"port {port} on {host} needs administrator rights (ports below 1024 usually do)"
            return f"cannot listen on {host}:{port} ({exc.strerror or exc})"
    return None


def script() -> Path:
    """What Streamlit runs: the app behind the Host check where this Streamlit has ``st.App``
    (1.5x and later); on an older one main.py itself, whose page then answers any Host."""
    import streamlit

    return ASGI if hasattr(streamlit, "App") else MAIN


def command(port: int, host: str = HOST, main: Path | None = None) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(main or MAIN), "--server.address", host,
            "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--global.developmentMode", "false",
            # Streamlit's default runs a full garbage collection after every script run: with the
            # server's imports (some 150,000 objects) that was 30-75 ms of CPU per click, the
            # largest part of a Play step; Python's own collector still runs as usual
            "--runner.postScriptGC", "false",
            "--client.toolbarMode", "minimal"]   # no "Deploy" button on the projector


def answering(url: str) -> bool:
    """Whether Streamlit's health check at ``url`` says ok (asked as 127.0.0.1, an allowed Host)."""
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def wait_until_answering(proc: subprocess.Popen, url: str, seconds: float = START_SECONDS) -> bool:
    """Until the server answers at ``url`` (True), or it has ended or not answered in time."""
    deadline = time.monotonic() + seconds
    while proc.poll() is None and time.monotonic() < deadline:
        if answering(url):
            return True
        time.sleep(0.2)
    return False


def stop(proc: subprocess.Popen) -> None:
    """End the server: SIGTERM (its own clean shutdown), SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _fail(message: str) -> int:
    print(f"triage-sim app: {message}", file=sys.stderr)
    return 2


def serve(port: int | None = None, session_dir: str | None = None, scenario: str | None = None) -> int:
    if port is not None and not 1 <= port <= 65535:
        return _fail(f"--port: {port}; expected a port number from 1 to 65535")
    problem = port_problem(port) if port is not None else None
    if problem:
        return _fail(f"--port {port}: {problem}; choose another with --port N, or leave --port out for a free one")
    try:
        import streamlit  # noqa: F401
    except ImportError:
        return _fail("Streamlit is not installed; install the app extra: pip install -e '.[app]' "
                     "(make run and make test do)")
    from sim.app.facilitator import ENV_FOLDER, session_folder

    port = port or free_port()
    env = dict(os.environ)
    if session_dir:
        env[ENV_FOLDER] = str(Path(session_dir).resolve())
    if scenario:
        env[ENV_SCENARIO] = str(Path(scenario).resolve())
    env[ENV_HOSTS] = f"localhost,{HOST}"
    folder = Path(env.get(ENV_FOLDER) or session_folder()).resolve()
    url = f"http://{HOST}:{port}"
    proc = spawn_tied(command(port, HOST, script()), env=env, stdout=subprocess.DEVNULL)
    try:
        if not wait_until_answering(proc, url):
            stop(proc)
            return _fail(f"the server did not start on {url} (port {port} taken meanwhile, or Streamlit failed: "
                         "see the lines above); try again, or choose another port with --port N")
        print(f"Workshop app: {url}   (debriefs saved in {folder}; Ctrl-C to stop)", flush=True)
        return proc.wait()
    except KeyboardInterrupt as exc:
        stop(proc)
        return 130 if type(exc) is KeyboardInterrupt else 143   # the CLI's SIGTERM is a subclass
