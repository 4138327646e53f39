"""sha256 of every table of one fixed-seed default run's event log, column by column.

    python benchmarks/log_digest.py [--days 365] [--seed 2016] [--replication 0] [--tree DIR] [--scenario FILE]

Complements ``fingerprints.py`` (whose ``run`` is 3 replications of 7 days) with a long run: a
speed-up that keeps behaviour must print the same digests before and after. Each column's raw
bytes are hashed (categoricals: codes and categories), so a value that moves by one ulp shows.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def digest(df) -> str:
    import numpy as np
    h = hashlib.sha256()
    h.update(repr(list(df.columns)).encode())
    for c in df.columns:
        s = df[c]
        h.update(str(s.dtype).encode())
        if hasattr(s, "cat"):
            h.update(np.ascontiguousarray(s.cat.codes.to_numpy()).tobytes())
            h.update(repr(list(s.cat.categories)).encode())
        else:
            h.update(np.ascontiguousarray(s.to_numpy()).tobytes())
    return h.hexdigest()[:16]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--tree", type=Path, default=HERE.parent)
    p.add_argument("--days", type=float, default=365)
    p.add_argument("--seed", type=int, default=2016)
    p.add_argument("--replication", type=int, default=0)
    p.add_argument("--scenario", default="scenarios/nottinghamshire-2016.toml",
                   help="relative to the tree (default: the default scenario)")
    a = p.parse_args()
    tree = a.tree.resolve()
    sys.path.insert(0, str(tree))
    from sim.model.core import run_model
    from sim.scenario import load_scenario
    s = load_scenario(tree / a.scenario, [f"run.days={a.days:g}"])
    log = run_model(s, a.seed, a.replication)
    for name in ("calls", "grade_changes", "pending", "unit_shifts", "activities", "rosters", "reviews",
                 "appointment_changes", "preemptions"):
        df = getattr(log, name)
        print(f"{name}: {len(df)} rows, {digest(df)}")
    print(f"meta: {hashlib.sha256(repr(sorted(log.meta.items())).encode()).hexdigest()[:16]}")


if __name__ == "__main__":
    main()
