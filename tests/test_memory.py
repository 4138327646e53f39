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
alive = []
draw = core.draw_callers
def spy(*args):
    callers = draw(*args)
    alive.append(weakref.ref(callers.handling))
    return callers
core.draw_callers = spy

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "pandas" and not hasattr(self, "seen"):
            self.seen = [r() is not None for r in alive]
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
    assert "CALLERS_ALIVE_AT_PANDAS [False]" in p.stdout, p.stdout + p.stderr


def test_a_model_run_by_hand_keeps_its_callers():
    from sim.model.core import Model
    from sim.scenario import load_scenario

    s = load_scenario(ROOT / "scenarios" / "nottinghamshire-2016.toml", ["run.days=1", "run.warmup_days=0"])
    m = Model(s, 3)
    log = m.run()
    assert m.callers is not None and len(m.callers) >= (log.calls["retry_of"] < 0).sum() > 0


def test_free_pages_are_handed_back_where_glibc_allows():
    from sim.util import memory

    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert memory._malloc_trim() is not None
    blocks = [bytearray(64 * 1024) for _ in range(200)]
    del blocks[::2]
    memory.give_back()   # never fails, wherever it runs
