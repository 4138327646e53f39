"""Hostile networks and processes (issue 28, "Network and processes"): a Dask address where
something else listens, the app's server outliving its command, a taken port, a foreign Host
header, Dask's scratch space, a cap the user never set, and temporary files a failed or killed
write leaves. Fake servers are plain sockets on 127.0.0.1 in a thread of the test."""
from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_triage_process, small
from sim.scenario.writing import toml_text
from sim.util.files import atomic_paths, remove_stale_temps


# ---------------------------------------------------------------------------- fake servers
@contextlib.contextmanager
def fake_server(answer):
    """A listening socket on 127.0.0.1 whose every connection is handed to ``answer(conn)`` in a
    thread; yields the port. Connections are held open until the block ends."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held, stop = [], threading.Event()

    def loop():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            held.append(conn)
            with contextlib.suppress(OSError):
                answer(conn)

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        t.join(2)
        for c in held:
            c.close()
        srv.close()


def silent(conn):
    """Accepts and never says a word."""


def http_server(conn):
    """Answers whatever it is sent as a web server would."""
    conn.settimeout(2)
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n"
                 b"Connection: close\r\n\r\nBad Request")


def hangs_up(conn):
    """Accepts and closes at once."""
    conn.close()


def _one_line_exit_2(p, words):
    assert p.returncode == 2, (p.returncode, p.stderr[-800:])
    assert "Traceback" not in p.stderr and words in p.stderr, p.stderr[-800:]
    assert p.stderr.strip().count("\n") == 0, p.stderr


# ---------------------------------------------------------------------------- --dask
@pytest.mark.parametrize("answer, words", [
    (silent, "gave no Dask handshake within 5 s"),
    (http_server, "speaks another protocol (a web server?)"),
    (hangs_up, "closed it without a Dask handshake"),
])
@pytest.mark.slow
def test_dask_address_where_something_else_listens(answer, words, tmp_path):
    with fake_server(answer) as port:
        t0 = time.monotonic()
        p = run_triage_process("run", "--days", "1", "--dask", f"tcp://127.0.0.1:{port}", "--out", tmp_path / "r",
                               timeout=60)
        took = time.monotonic() - t0
    _one_line_exit_2(p, words)
    assert "not a Dask scheduler" in p.stderr and "tcp://HOST:8786" in p.stderr
    assert took < 40, f"took {took:.0f} s"
    assert not (tmp_path / "r").exists()


def test_dask_tls_without_tls_settings_says_so(tmp_path):
    with fake_server(silent) as port:
        p = run_triage_process("run", "--days", "1", "--dask", f"tls://127.0.0.1:{port}", timeout=60)
    _one_line_exit_2(p, "tls:// needs Dask's TLS settings")


@pytest.mark.slow
def test_dask_scheduler_without_workers_is_refused(tmp_path):
    port = _free_port()
    sched = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                              "--port", str(port), "--dashboard-address", ":0"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        assert _wait_for(lambda: _accepts(port), 30), "the scheduler did not start"
        p = run_triage_process("run", "--days", "1", "--dask", f"tcp://127.0.0.1:{port}", "--out", tmp_path / "r",
                               timeout=90)
    finally:
        sched.terminate()
        sched.wait(15)
    _one_line_exit_2(p, "the scheduler has no workers (none joined within 10 s)")
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_dask_local_leaves_no_scratch_space(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    p = subprocess.run([sys.executable, "-m", "sim", "run", _small_file(tmp_path), "--days", "1", "--reps", "2",
                        "--dask", "local", "--jobs", "2", "--out", tmp_path / "r", "--quiet"],
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=180)
    assert p.returncode == 0, p.stderr[-800:]
    assert (tmp_path / "r" / "report.html").exists()
    assert list(scratch.iterdir()) == [], list(scratch.rglob("*"))


# ---------------------------------------------------------------------------- the app
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait_for(cond, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return False


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "zombie" not in status.lower()


@pytest.fixture
def app(tmp_path):
    """``triage-sim app`` as a real process: (process, port) once it has printed its address."""
    pytest.importorskip("streamlit")
    p = subprocess.Popen([sys.executable, "-m", "sim", "app", "--session-dir", tmp_path / "session"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.append(p.stdout.readline()), daemon=True)
    reader.start()
    reader.join(60)
    try:
        assert lines and lines[0].startswith("Workshop app: http://127.0.0.1:"), (lines, p.poll())
        port = int(re.search(r"127\.0\.0\.1:(\d+)", lines[0]).group(1))
        yield p, port
    finally:
        if p.poll() is None:
            p.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.communicate(timeout=15)


def _get(port: int, host: str, path: str = "/") -> tuple[int, bytes]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path, headers={"Host": host})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


@pytest.mark.slow
def test_app_is_answering_when_it_prints_its_address(app):
    _, port = app
    assert _get(port, f"127.0.0.1:{port}", "/_stcore/health") == (200, b"ok")


@pytest.mark.slow
def test_app_answers_only_to_local_host_names(app):
    _, port = app
    assert _get(port, f"127.0.0.1:{port}")[0] == 200
    assert _get(port, f"localhost:{port}")[0] == 200
    for host in ("attacker.example", f"attacker.example:{port}", "127.0.0.1.nip.io", "localhost.attacker.example"):
        for path in ("/", "/_stcore/health"):
            status, body = _get(port, host, path)
            assert status == 400 and b"Streamlit" not in body and body != b"ok", (host, path, status, body[:80])


def test_app_server_dies_with_its_killed_command(app):
    p, port = app
    servers = _children(p.pid)
    assert servers, "no server process found"
    os.kill(p.pid, signal.SIGKILL)
    p.wait(10)
    assert _wait_for(lambda: not any(_alive(s) for s in servers), 10), "the server outlived its command"
    assert _wait_for(lambda: not _accepts(port), 5), "something still answers on the app's port"


def test_app_on_a_taken_port_says_so_without_announcing(tmp_path):
    pytest.importorskip("streamlit")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        p = run_triage_process("app", "--port", port, "--session-dir", tmp_path / "s", timeout=60)
    _one_line_exit_2(p, f"--port {port}: port {port} on 127.0.0.1 is in use")
    assert p.stdout == "" and "Workshop app" not in p.stderr


# ---------------------------------------------------------------------------- --reps and --max-reps
@pytest.fixture
def captured(monkeypatch):
    """run_experiment replaced by a recorder: what ``run`` would have asked for."""
    import sim.experiment.replications as rp

    seen = {}

    def fake(scenario, **kw):
        seen.update(kw)
        raise KeyboardInterrupt   # stops the command there, after every check it makes
    monkeypatch.setattr(rp, "run_experiment", fake)
    return seen


def test_reps_above_the_default_cap_run(captured, triage):
    p = triage("run", "--days", "1", "--reps", "101")
    assert "max-reps" not in p.stderr and p.returncode == 130, p.stderr
    assert captured["reps"] == 101 and captured["max_reps"] >= 101


def test_reps_above_the_default_cap_with_precision_start_there(captured, triage):
    p = triage("run", "--days", "1", "--reps", "101", "--precision", "0.1", "--kpi", "calls_offered")
    assert "max-reps" not in p.stderr and p.returncode == 130, p.stderr
    assert captured["reps"] == 101 and captured["max_reps"] == 101


def test_a_max_reps_given_below_reps_says_how_to_mend_it(captured, triage):
    p = triage("run", "--days", "1", "--reps", "101", "--max-reps", "50")
    _one_line_exit_2(p, "raise --max-reps to 101 or more, or lower --reps")
    assert not captured


# ---------------------------------------------------------------------------- temporary files
def _temps(folder: Path) -> list[Path]:
    return [p for p in Path(folder).rglob("*") if ".tmp-" in p.name]


def test_a_failed_write_leaves_no_temporary_file(tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.csv"
    with pytest.raises(OSError):
        with atomic_paths([a, b]) as (ta, tb):
            ta.write_bytes(b"x" * 100)
            tb.write_bytes(b"half")
            raise OSError(28, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rename_leaves_no_temporary_file(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b"
    (b / "inside").mkdir(parents=True)   # b is a folder: renaming a file onto it fails
    with pytest.raises(OSError):
        with atomic_paths([a, b]) as (ta, tb):
            ta.write_text("a")
            tb.write_text("b")
    assert _temps(tmp_path) == []


@pytest.mark.slow
def test_a_file_size_limit_leaves_no_temporary_file_and_resume_completes(tmp_path, triage):
    """A real write failure (the file-size limit: EFBIG, as a full disk gives ENOSPC) while the
    results are written, then ``--resume``: no temporary file at either point, same numbers."""
    import resource

    scen = _small_file(tmp_path)
    args = ["run", scen, "--days", "1", "--reps", "2", "--jobs", "1", "--quiet"]
    clean = tmp_path / "clean"
    assert triage(*args, "--out", clean).returncode == 0
    limit = max(f.stat().st_size for f in (clean / "reps").glob("*.parquet")) + 512
    assert (clean / "profiles.parquet").stat().st_size > limit   # the arm's profiles cannot be written
    full = tmp_path / "full"
    p = subprocess.run([sys.executable, "-m", "sim", *map(str, args), "--out", full], capture_output=True, text=True,
                       cwd=ROOT, timeout=180,
                       preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
    assert p.returncode != 0 and (full / "plan.json").exists(), p.stderr[-500:]
    assert _temps(full) == []
    assert triage("run", "--resume", full, "--quiet").returncode == 0
    assert _temps(full) == []
    assert (full / "replications.csv").read_text() == (clean / "replications.csv").read_text()


@pytest.mark.slow
def test_resume_removes_what_a_killed_writer_left(tmp_path, triage):
    out = tmp_path / "r"
    assert triage("run", _small_file(tmp_path), "--days", "1", "--reps", "2", "--jobs", "1", "--out", out,
                  "--quiet").returncode == 0
    expected = (out / "replications.csv").read_text()
    for name in ("manifest.json", "report.html", "replications.csv"):
        (out / name).unlink()
    (out / "reps" / "rep-0001.json").unlink()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = [out / f".profiles.parquet.tmp-{dead.pid}", out / "reps" / f".rep-0001.profiles.parquet.tmp-{dead.pid}",
                 out / "figures" / f".g1.png.tmp-{dead.pid}"]
        kept = out / "reps" / f".rep-0001.json.tmp-{live.pid}"   # a writer still running: not ours to remove
        for f in (*stale, kept):
            f.write_bytes(b"half a file")
        p = triage("run", "--resume", out, "--quiet")
        assert p.returncode == 0, p.stderr
        assert not any(f.exists() for f in stale) and kept.exists()
        assert (out / "replications.csv").read_text() == expected
    finally:
        live.kill()
        live.wait()


def test_stale_temps_are_only_files_named_as_ours(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine = tmp_path / f".a.csv.tmp-{dead.pid}"
    others = [tmp_path / "a.csv.tmp-1x", tmp_path / f"a.csv.tmp-{dead.pid}", tmp_path / f".a.csv.tmp-{os.getpid()}"]
    for f in (mine, *others):
        f.write_text("x")
    assert remove_stale_temps(tmp_path) == [mine]
    assert all(f.exists() for f in others)


def _small_file(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    if not path.exists():
        path.write_text(toml_text(small().to_dict()))
    return path
