"""What the subcommands share, below them all so none imports another or ``sim.cli.main``: the
argparse types and option groups, loading the scenario a command names, naming its results
folder, and the ``Context`` through which a command tells ``main()`` what it was writing (so an
interrupted run can say which folder to resume).
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.scenario import Scenario, ScenarioError, default_scenario, load_scenario
from sim.scenario.base import _NO_VALUE
from sim.util.bounds import MAX_JOBS, MAX_REPS, MAX_SEED

DEFAULT_SCENARIO = "scenarios/nottinghamshire-2016.toml"
EXIT_BAD_INPUT = 2
FIGURE_FORMATS = ("png", "svg", "pdf")


class Terminated(KeyboardInterrupt):
    """SIGTERM (e.g. a job scheduler stopping us), handled like Ctrl-C."""


@dataclass
class Context:
    """Made by ``main()`` for one command (``args.context``), read by ``main()`` when the command
    is stopped or a write fails: the results folder being written and the command that finishes
    it (named in the message saying how to resume), and the report process drawing beside the
    simulation, if one was started."""
    folder: Path | None = None
    drawer: Any = None
    resume: str = "triage-sim run --resume"

    def resumable(self) -> bool:
        """Whether the folder holds what its resume needs (plan.json of an experiment, planner.json
        of a plan): a folder that failed before that has nothing to finish."""
        try:
            return self.folder is not None and any((self.folder / f).is_file() for f in ("plan.json", "planner.json"))
        except OSError:
            return False


# ---------------------------------------------------------------------------- argparse types
def whole(low: int, high: int, why: str = ""):
    """An argparse type for every whole-number option: ``low`` to ``high`` (the limits of
    ``sim.util.bounds``, what storage and numpy hold), checked while the options are read, so a
    value out of range stops the command before anything runs or is written. ``why`` is said
    after the range (e.g. why the least is 2)."""
    expected = f"a whole number from {low:,} to {high:,}{f' ({why})' if why else ''}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text[:40]!r}") from None
        if not low <= value <= high:
            shown = f"{value:,}" if len(str(value)) <= 40 else f"a number of {len(str(value))} digits"
            raise argparse.ArgumentTypeError(f"expected {expected}, got {shown}")
        return value
    parse.__name__ = f"whole number {low}..{high}"
    return parse


SEED = whole(0, MAX_SEED)                 # --seed of every command
WORKERS = whole(1, MAX_JOBS)              # --jobs of every command


def replications(low: int = 1, why: str = ""):
    """--reps (and --max-reps, --search-reps): ``low`` to ``MAX_REPS`` replications."""
    return whole(low, MAX_REPS, why)


def finite_number(low: float, *, above: bool = False):
    """An argparse type for a number option that must be finite (``nan`` and ``inf`` parse as
    floats but mean nothing as days or hours) and at least ``low`` (above it with ``above``)."""
    expected = f"a finite number {'above' if above else 'of at least'} {low:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text[:40]!r}") from None
        if not (math.isfinite(value) and (value > low if above else value >= low)):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text[:40]!r}")
        return value
    parse.__name__ = expected
    return parse


def share_above_zero(text: str) -> float:
    """--precision H: a finite number above 0 (0.1 = half-width within 10% of the mean)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (value > 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number above 0 (e.g. 0.1), got {text!r}")
    return value


def figure_formats(text: str) -> tuple[str, ...]:
    """--figures png,svg,pdf: the formats figures/ gets (the report embeds the PNGs either way)."""
    out = tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in text.split(",") if f.strip()))
    bad = [f for f in out if f not in FIGURE_FORMATS]
    if not out or bad:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(FIGURE_FORMATS)}, "
                                         f"got {text!r}")
    return out


def figure_title(text: str) -> str:
    if not text.strip() or len(text) > 200 or any(not ch.isprintable() for ch in text):
        raise argparse.ArgumentTypeError(f"expected a printable title of 1-200 characters, got {text!r}")
    return text


# ---------------------------------------------------------------------------- option groups
def add_overrides(q) -> None:
    """--set, --days, --warmup-days, --seed, --base-root: what changes the scenario a command loads."""
    q.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a scenario field by dotted key, e.g. --set policy.kind=risk_led (repeatable)")
    q.add_argument("--days", type=float, help="measured days (overrides run.days)")
    q.add_argument("--warmup-days", type=float, help="warm-up days discarded before measuring")
    q.add_argument("--seed", type=SEED, help="random seed (overrides run.seed)")
    q.add_argument("--base-root", action="append", metavar="DIR",
                   help="a folder base files may also come from (by default: the scenario's own folder, the "
                        "nearest enclosing 'scenarios' folder and the shipped scenarios/) (repeatable)")


def add_execution(q, reps_default: int, least_reps: int = 1, why: str = "") -> None:
    """Replications, workers and the results folder of run, compare, sweep and warmup."""
    q.add_argument("--reps", type=replications(least_reps, why), default=reps_default,
                   help=f"replications (default {reps_default})")
    q.add_argument("--jobs", type=WORKERS, default=None, help="worker processes (default: all cores; 1 = in-process)")
    q.add_argument("--dask", metavar="ADDRESS", help="run on Dask: 'local' starts a LocalCluster, or tcp://HOST:PORT")
    q.add_argument("--out", help="results folder (default results/<name>-<timestamp>/); never overwritten")
    q.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    q.add_argument("--allow-large", action="store_true",
                   help="run even beyond the size limits (memory, calls per replication, replications in all)")


def add_drawing(q) -> None:
    """--figures and --title: what the report's figures are written as."""
    q.add_argument("--figures", type=figure_formats, metavar="FORMATS", default=("png",),
                   help="figure files to write: a comma-separated list of png, svg, pdf (default png)")
    q.add_argument("--title", type=figure_title, help="a title for every figure (e.g. for a paper), "
                                                      "in place of the figures' own headings")


# ---------------------------------------------------------------------------- the scenario
def default_scenario_path() -> Path:
    """The shipped default: ./scenarios/... if run from a checkout, else the installed package's."""
    here = Path(DEFAULT_SCENARIO)
    if here.exists():
        return here
    return default_scenario()


def overrides(args) -> list[str]:
    """--set first, then --days/--warmup-days/--seed: an explicit option has the last word."""
    out = list(args.set or [])
    if getattr(args, "days", None) is not None:
        out.append(f"run.days={args.days}")
    if getattr(args, "warmup_days", None) is not None:
        out.append(f"run.warmup_days={args.warmup_days}")
    if getattr(args, "seed", None) is not None:
        out.append(f"run.seed={args.seed}")
    return out


def load(args) -> tuple[Path, Scenario]:
    path = Path(args.scenario) if args.scenario else default_scenario_path()
    return path, load_scenario(path, overrides(args), roots=getattr(args, "base_root", None))


def command_line() -> str:
    return "triage-sim " + " ".join(shlex.quote(a) for a in sys.argv[1:])


# ---------------------------------------------------------------------------- results folders
def safe_name(name: str, limit: int = 80) -> str:
    """A scenario's name as a folder name: letters, digits, '_' and '-' only, so a name
    (from a file or --set) can never point outside ``results/`` or make an awkward path."""
    text = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:limit].strip("-")
    return text or "run"


def default_run_dir(root: Path, name: str) -> Path:
    """results/<name>-<timestamp>/, with a suffix if that folder exists already."""
    name = safe_name(name)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path, n = root / f"{name}-{stamp}", 1
    while path.exists():
        n += 1
        path = root / f"{name}-{stamp}-{n}"
    return path


def shown_path(path) -> str:
    """A path for a one-line message: as given, its middle cut when it is very long."""
    text = str(path)
    return text if len(text) <= 160 else f"{text[:100]}...{text[-40:]}"


def check_out(path, what: str = "results folder", option: str = "--out") -> Path:
    """Refuse, before anything runs, an output the command could not write (a folder that
    cannot exist, a name too long for the file system, no permission): one line naming the
    option, the path and why, instead of a traceback after the work (``sim.util.files.unwritable``)."""
    from sim.util.errors import FolderError
    from sim.util.files import unwritable

    why = unwritable(Path(path))
    if why:
        raise FolderError(f"{option} {shown_path(path)}: cannot create the {what} there ({why[0]}); {why[1]}")
    return Path(path)


def out_folder(args, name: str) -> Path:
    """--out, or results/<name>-<timestamp>/, checked writable; recorded in ``args.context`` for
    an interruption or a failed write."""
    out = check_out(Path(args.out) if args.out else default_run_dir(Path("results"), name))
    args.context.folder = out
    return out


def new_folder(out: Path | None, prefix: str) -> Path:
    """The output folder, which must not exist yet (written through ``atomic_folder``)."""
    final = check_out(Path(out) if out else default_run_dir(Path("results"), prefix), "output folder")
    if final.exists():
        raise ScenarioError(final, "", _NO_VALUE, "already exists: an output folder is never overwritten; choose another --out")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(final, "", _NO_VALUE, f"cannot create the output folder ({exc.strerror})") from None
    return final
