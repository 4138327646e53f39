"""Before/after numbers for past optimisations: the same measurement on several checkouts.

Each measurement runs in a fresh interpreter on one source tree (``_child.py --tree``), and
trees are interleaved run by run, so a noisy machine affects them alike. Check older commits
out beside the working tree without touching it, e.g.::

    git worktree add --detach /tmp/wt-before 07c1ee5
    git worktree add --detach /tmp/wt-after  ed3da5d
    python benchmarks/compare_commits.py speed    before=/tmp/wt-before after=/tmp/wt-after now=. --days 28 --repeats 5
    python benchmarks/compare_commits.py memory   before=/tmp/wt-4 after=/tmp/wt-5 now=. --days 365
    python benchmarks/compare_commits.py identity before=/tmp/wt-before after=/tmp/wt-after now=. --days 28
    git worktree remove /tmp/wt-before; git worktree remove /tmp/wt-after

Each tree runs its *own* ``scenarios/nottinghamshire-2016.toml`` unless ``--scenario`` is
given. ``identity`` compares the ``log.calls`` (and ``log.grade_changes``) frames of the same
seed and replication across trees, exactly.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent


def child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, str(HERE / "_child.py"), *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _trees(specs: list[str]) -> dict[str, Path]:
    trees = {}
    for spec in specs:
        label, _, path = spec.rpartition("=")
        trees[label or Path(path).name] = Path(path).resolve()
    return trees


def _common(a: argparse.Namespace, tree: Path) -> list[str]:
    args = ["--tree", str(tree), "--days", f"{a.days:g}"]
    if a.scenario:
        args += ["--scenario", str(a.scenario)]
    for o in a.overrides:
        args += ["--set", o]
    return args


def speed(a, trees) -> None:
    res = {k: [] for k in trees}
    for r in range(a.repeats):
        for label, tree in trees.items():
            res[label].append(child(["speed", *_common(a, tree)]))
            print(f"  run {r + 1}: {label}: {res[label][-1]['wall_s'][0]:.3f} s", file=sys.stderr)
    print(f"| tree | calls | µs per call, wall: median (min–max) | µs per call, CPU | KPIs + profiles, s |")
    print("|---|---|---|---|---|")
    for label, runs in res.items():
        n = runs[0]["calls"]
        w = [x["wall_s"][0] / n * 1e6 for x in runs]
        c = [x["cpu_s"][0] / n * 1e6 for x in runs]
        k = [x["kpi_wall_s"][0] for x in runs]
        print(f"| {label} | {n:,} | {statistics.median(w):.2f} ({min(w):.2f}–{max(w):.2f}) | "
              f"{statistics.median(c):.2f} ({min(c):.2f}–{max(c):.2f}) | {statistics.median(k):.3f} |")


def memory(a, trees) -> None:
    print("| tree | events | calls | tracemalloc peak, MB | Arrow pool peak, MB | RSS after imports, MB | "
          "peak RSS, MB | peak RSS − after imports, MB |")
    print("|---|---|---|---|---|---|---|---|")
    for events in (False, True):
        for label, tree in trees.items():
            base = ["memory", *_common(a, tree)] + (["--events"] if events else [])
            t = child(base)
            p = child(base + ["--no-trace"])
            print(f"| {label} | {'yes' if events else 'no'} | {t['calls']:,} | {t['tracemalloc_peak_mb']:.1f} | "
                  f"{t['arrow_pool_peak_mb']:.1f} | {p['rss_after_imports_mb']:.0f} | {p['maxrss_mb']:.0f} | "
                  f"{p['maxrss_mb'] - p['rss_after_imports_mb']:.0f} |", flush=True)


def identity(a, trees) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        frames = {}
        for label, tree in trees.items():
            dump = Path(tmp) / f"{label}.pkl"
            child(["calls", *_common(a, tree), "--dump", str(dump)])
            gc_path = dump.with_suffix(".grade_changes.pkl")
            frames[label] = (pd.read_pickle(dump), pd.read_pickle(gc_path) if gc_path.exists() else None)
    first, (calls0, gc0) = next(iter(frames.items()))
    print(f"reference: {first}: {len(calls0):,} calls, {0 if gc0 is None else len(gc0):,} grade changes")
    for label, (calls, gc) in frames.items():
        if label == first:
            continue
        cols = [c for c in calls0.columns if c in calls.columns]
        extra = sorted(set(calls0.columns) ^ set(calls.columns))
        verdict = []
        try:
            pd.testing.assert_frame_equal(calls0[cols], calls[cols], check_exact=True, check_dtype=False)
            dtypes = [c for c in cols if calls0[c].dtype != calls[c].dtype]
            verdict.append(f"calls identical, value for value ({len(cols)} common columns"
                           + (f"; not in both: {extra}" if extra else "")
                           + (f"; dtypes differ: {dtypes}" if dtypes else "; same dtypes") + ")")
        except AssertionError as e:
            verdict.append(f"calls DIFFER: {str(e).splitlines()[0:3]}")
        if gc0 is not None and gc is not None:
            try:
                pd.testing.assert_frame_equal(gc0, gc, check_exact=True, check_dtype=False)
                verdict.append("grade_changes identical")
            except AssertionError as e:
                verdict.append(f"grade_changes DIFFER: {str(e).splitlines()[0:3]}")
        print(f"{label} vs {first}: " + "; ".join(verdict))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=["speed", "memory", "identity"])
    p.add_argument("trees", nargs="+", help="LABEL=PATH of a project checkout")
    p.add_argument("--days", type=float, default=28)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--scenario", type=Path, default=None)
    p.add_argument("--set", action="append", default=[], dest="overrides")
    a = p.parse_args()
    {"speed": speed, "memory": memory, "identity": identity}[a.what](a, _trees(a.trees))


if __name__ == "__main__":
    main()
