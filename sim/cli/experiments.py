"""What ``run``, ``compare`` and ``sweep`` share around an experiment: the size check before it
starts, the report process warming up beside it, and the report, summary and failed
replications after it (``report`` draws through the same ``write_report``).
"""
from __future__ import annotations

import functools
import os
import sys

from sim.experiment.limits import check_size
from sim.scenario import Scenario
from sim.util.lazy import LazyModule

# imported on first use: --help and check need none of pandas, pyarrow, scipy, matplotlib, dask
summary = LazyModule("sim.experiment.summary")


def write_report(folder, args=None):
    """The report and figures, in the formats and with the title asked on the command line (by
    the report process started before the simulation, when there is one)."""
    formats, title = getattr(args, "figures", None) or ("png",), getattr(args, "title", None)
    context = getattr(args, "context", None)
    drawer = context.drawer if context is not None else None
    if drawer is not None:
        return drawer.write(folder, formats, title)
    from sim.report.page import write_report as write
    return write(folder, formats, title)


def with_drawer(cmd):
    """Run a command with a report process warming up beside it (sim.report.process)."""
    @functools.wraps(cmd)
    def wrapped(args):
        from sim.report.process import ReportProcess

        with ReportProcess() as drawer:
            args.context.drawer = drawer
            try:
                return cmd(args)
            finally:
                args.context.drawer = None
    return wrapped


def exec_opts(args) -> dict:
    return {"jobs": args.jobs, "dask": args.dask, "progress": not args.quiet}


def guard(args, scenarios: list[Scenario], tasks: int) -> None:
    """Before anything runs: --jobs capped at the cores, and the experiment's size checked
    against the machine and the domain (``sim.experiment.limits``)."""
    cores = os.cpu_count() or 1
    if args.jobs and args.jobs > cores and not args.dask:
        print(f"triage-sim: note: --jobs {args.jobs} is more than this machine's {cores} cores; using {cores}",
              file=sys.stderr)
        args.jobs = cores
    workers = 1 if args.jobs == 1 else min(args.jobs or cores, max(tasks, 1))
    check_size(scenarios, tasks, workers, getattr(args, "allow_large", False))


def finish(result, args, print_summary) -> int:
    """What every run, compare and sweep ends with: the report, the printout, failures."""
    report = write_report(result.folder, args)
    if not args.quiet:
        print_summary(result)
        print(f"report: {report}")
        n = max(len(arm.replications) for arm in result.arms.values())
        if 2 <= n < summary.FEW_REPS:
            print(f"triage-sim: note: only {n} replications: the 95% intervals are wide (kept within each "
                  f"quantity's range); use --reps {summary.FEW_REPS} or more before drawing conclusions",
                  file=sys.stderr)
    return report_failures(result)


def report_failures(result) -> int:
    for f in result.failures:
        last = f["error"].strip().splitlines()[-1]
        print(f"triage-sim: replication {f['replication']} (seed {f['seed']}) of scenario {f['scenario']!r} failed: {last}\n"
              f"  rerun it alone: triage-sim run {result.folder}/{(f['arm'] + '/') if f['arm'] else ''}scenario.toml "
              f"--seed {f['seed']} --first-rep {f['replication']} --reps 1", file=sys.stderr)
    return 1 if result.failures else 0
