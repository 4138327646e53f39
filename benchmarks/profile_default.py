"""cProfile of one default-scenario replication (run_model + KPIs + profiles).

    python benchmarks/profile_default.py [--days 60] [--top 25] [--sort tottime|cumtime]

Runs a short warm-up first, then profiles replication 0 (seed 2016) and prints the top
functions plus the number of timed events per call (SimPy queue pops). cProfile roughly
doubles the run time and inflates the cost of small functions; read the shares, not the
seconds. The summary of what it showed is in ``benchmarks/README.md``.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import DEFAULT  # noqa: E402
from sim.measures.kpis import compute_kpis  # noqa: E402
from sim.model.core import Model, run_model  # noqa: E402
from sim.measures.profiles import compute_profiles  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--days", type=float, default=60)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--sort", default="tottime")
    a = p.parse_args()
    s = load_scenario(DEFAULT, [f"run.days={a.days:g}"])
    run_model(load_scenario(DEFAULT, ["run.days=2"]))  # warm-up
    pr = cProfile.Profile()
    pr.enable()
    log = run_model(s)
    compute_kpis(log)
    compute_profiles(log)
    pr.disable()
    buf = io.StringIO()
    st = pstats.Stats(pr, stream=buf)
    st.sort_stats(a.sort).print_stats(a.top)
    total = st.total_tt
    # every event of the model is a timed call (scheduled by Model.at, i.e. Clock.call_in, or the
    # clock's feed of callers): one id each from the clock's counter, in an unprofiled run
    m = Model(s, s.run.seed, 0)
    m.run()
    steps = next(m._eid)
    calls = len(log.calls)
    print(f"{a.days:g} days + warm-up: {calls:,} calls, {steps:,} timed events ({steps / calls:.2f} per call), "
          f"{total:.2f} s under cProfile")
    print(buf.getvalue())


if __name__ == "__main__":
    main()
