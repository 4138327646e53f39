"""The largest whole numbers the project takes for a seed, a replication's number, a count of
replications and a count of workers: what every place they end up can hold. A seed goes into
numpy's ``SeedSequence``, the ``seed`` column of replications.csv and plan.json; a replication's
number into int64 Parquet columns and the ``rep-NNNN`` file names. Beyond these an option used to
fail half-way (an ``OverflowError`` from pyarrow after the results folder was made); now the
command-line options (``sim.cli.common.whole``), the scenario's ``run.seed`` and the plan.json a
resume reads back all check against the same numbers, before anything runs or is written.

Kept in ``sim.util`` (the bottom layer, no imports) so the scenario schema, the results folder
and the command line can all read it.
"""
from __future__ import annotations

MAX_SEED = 2**63 - 1      # an int64: the widest integer column pandas, Parquet and numpy all hold
MAX_FIRST_REP = 10**9     # a replication's number (rep-NNNN, an int64 column), far past any real experiment
MAX_REPS = 100_000        # replications of one experiment (the size check stops most well before)
MAX_JOBS = 4096           # worker processes: more than any machine's cores (capped to them anyway)
