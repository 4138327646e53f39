"""Peak memory of a long run (issue 27: a year with ``--events`` in at most 300 MB, measured by
``benchmarks/rss_year.py``): the order in which a replication lets go of its model and loads
pandas, and the allocator's free pages handed back between phases."""
import platform
import subprocess
import sys

from conftest import ROOT

# A batch replication in a fresh interpreter; records whether the run's callers are still alive
# when pandas is first imported (the event log's frames are the first use on this path).
PROBE = """
import sys, weakref
import sim.model.core as core
from sim.experiment.task import Task, run_task
from sim.scenario import load_scenario

assert "pandas" not in sys.modules, "pandas loaded before the run"
alive = []   # the callers and every array of theirs: a part still holding one would keep it
draw = core.draw_callers
def spy(*args):
    callers = draw(*args)
    alive.extend([weakref.ref(callers)] + [weakref.ref(v) for v in vars(callers).values() if v is not None])
    return callers
core.draw_callers = spy

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "pandas" and not hasattr(self, "seen"):
            self.seen = any(r() is not None for r in alive)
        return None
watch = Watch()
sys.meta_path.insert(0, watch)
s = load_scenario("scenarios/nottinghamshire-2016.toml", ["run.days=2", "run.warmup_days=0"])
out = run_task(Task("a", s, 1, 0))
assert out["ok"], out.get("error")
print("CALLERS_ALIVE_AT_PANDAS", watch.seen)
"""


def test_a_batch_replication_lets_its_callers_go_before_pandas_is_loaded():
    p = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "CALLERS_ALIVE_AT_PANDAS False" in p.stdout, p.stdout + p.stderr


def test_a_model_run_by_hand_keeps_its_callers():
    from sim.model.core import Model
    from sim.scenario import load_scenario

    s = load_scenario(ROOT / "scenarios" / "nottinghamshire-2016.toml", ["run.days=1", "run.warmup_days=0"])
    m = Model(s, 3)
    log = m.run()
    assert m.callers is not None and len(m.callers) >= (log.calls["retry_of"] < 0).sum() > 0


def test_the_allocator_is_trimmed_where_glibc_is_found():
    """On glibc, ``give_back`` finds ``malloc_trim`` (elsewhere it does nothing); it never fails."""
    from sim.util import memory

    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert memory._malloc_trim() is not None
    memory.give_back()


def test_the_kpis_make_each_shared_table_once_and_let_each_kind_go_after_its_last_reader():
    """``compute_kpis`` lets a kind of shared table go as soon as its last reader is done; a KPI
    reading it later would only make it again (slower, same number), which this catches."""
    import collections

    import sim.measures.assessment as assessment
    import sim.measures.kpis as kpis
    from sim.measures import shared
    from sim.model.core import run_model
    from sim.scenario import load_scenario

    log = run_model(load_scenario(ROOT / "scenarios" / "nottinghamshire-2016.toml", ["run.days=7", "run.warmup_days=1"]), 3)

    made = collections.Counter()
    original = shared.once

    def once(log, key, make):
        if key not in log.__dict__.get("_shared_tables", {}):
            made[key] += 1
        return original(log, key, make)

    forgotten = []
    forget = shared.forget

    def spy_forget(log, kind=None):
        forgotten.append((kind, sorted(map(str, log.__dict__.get("_shared_tables", {})))))
        forget(log, kind)
        if kind is not None:
            assert not any(isinstance(k, tuple) and k[0] == kind for k in log.__dict__.get("_shared_tables", {}))

    kpis.once = assessment.once = once
    kpis.forget = spy_forget
    try:
        out = kpis.compute_kpis(log)
    finally:
        kpis.once = assessment.once = original
        kpis.forget = forget
    assert made and max(made.values()) == 1, made
    assert [k for k, _ in forgotten] == ["channel", "incidents", None]
    assert "_shared_tables" not in log.__dict__
    again = kpis.compute_kpis(log)   # from scratch: the same numbers
    assert out.keys() == again.keys() and all(out[k] == again[k] or (out[k] != out[k] and again[k] != again[k]) for k in out)
