"""Start-up cost: `triage-sim --help` and `triage-sim check` load none of the heavy libraries
(they are imported where a run needs them), and figures drawn in parallel processes are the
same bytes as figures drawn one after another."""
import subprocess
import sys

import pytest

HEAVY = ("pandas", "pyarrow", "matplotlib", "dask", "distributed", "scipy")

PROBE = """
import sys
from sim.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
loaded = sorted({m.split('.')[0] for m in sys.modules} & set(%r))
print('LOADED', ','.join(loaded), file=sys.stderr)
""" % (HEAVY,)


@pytest.mark.parametrize("argv", [["--help"], ["check"], ["run", "--help"], ["compare", "--help"]])
def test_light_commands_import_no_heavy_library(argv):
    out = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120)
    line = [x for x in out.stderr.splitlines() if x.startswith("LOADED")]
    assert line, out.stderr
    assert line[-1] == "LOADED ", f"{argv} loaded {line[-1][7:]}"


def test_import_sim_is_light_and_public_names_still_work():
    code = ("import sys, sim; heavy = {m.split('.')[0] for m in sys.modules} & set(%r); "
            "assert not heavy, heavy; from sim import load_scenario, run_experiment, compare, sweep; "
            "assert callable(run_experiment) and sim.Scenario.__name__ == 'Scenario'" % (HEAVY,))
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.slow
def test_figures_drawn_in_parallel_equal_figures_drawn_serially(tmp_path):
    from sim.experiment.replications import run_experiment
    from sim.report.figure_jobs import figure_jobs
    from sim.report.figures.drawing import draw_all
    from sim.report.folder import load_folder
    from sim.scenario import load_scenario

    s = load_scenario("scenarios/nottinghamshire-2016.toml", ["run.days=2", "run.warmup_days=1"])
    run_experiment(s, reps=2, jobs=1, out=tmp_path / "r", progress=False)
    f = load_folder(tmp_path / "r")
    serial = draw_all(figure_jobs(f), workers=1)
    parallel = draw_all(figure_jobs(f), workers=2)
    assert [x.slug for x in serial] == [x.slug for x in parallel]
    assert [x.png for x in serial] == [x.png for x in parallel]
    assert all(x.png for x in serial[:2])


def test_the_report_process_ends_with_its_parent_even_by_sigkill(tmp_path):
    """The report process started beside the simulation (sim.report.process) must not outlive
    a killed run, and a run it served writes the same figures as `triage-sim report`."""
    import os
    import signal
    import time

    from conftest import ROOT

    def children(pid):
        try:
            return [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]
        except OSError:
            return []

    out = tmp_path / "k"
    p = subprocess.Popen([sys.executable, "-m", "sim", "run", "--days", "60", "--jobs", "1", "--out", str(out),
                          "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + 60
    while time.monotonic() < end and not children(p.pid):
        time.sleep(0.1)
    kids = children(p.pid)
    assert kids, "no report process was started"
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)

    def alive(pid):
        try:
            return "zombie" not in open(f"/proc/{pid}/status").read().lower()
        except OSError:
            return False
    end = time.monotonic() + 15
    while time.monotonic() < end and any(alive(k) for k in kids):
        time.sleep(0.2)
    assert not any(alive(k) for k in kids), "the report process outlived its parent"


@pytest.mark.slow
def test_a_report_drawn_beside_the_run_equals_one_drawn_afterwards(tmp_path):
    from conftest import ROOT

    out = tmp_path / "r"
    p = subprocess.run([sys.executable, "-m", "sim", "run", "--days", "1", "--warmup-days", "0", "--jobs", "1",
                        "--out", str(out), "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    first = {f.name: f.read_bytes() for f in (out / "figures").iterdir()}
    from sim.report.page import write_report
    write_report(out)
    assert first == {f.name: f.read_bytes() for f in (out / "figures").iterdir()}
