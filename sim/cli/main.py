"""Command line: ``triage-sim run | compare | sweep | ...``, one module per subcommand in
``sim.cli``, each adding itself through ``register(subparsers)``.

Bad input (a wrong scenario, a clashing --out) prints one line naming what is wrong and
exits with status 2, without a traceback. Nothing imports this module but the console script
and ``python -m sim``: what the subcommands share is in ``sim.cli.common``.
"""
from __future__ import annotations

import argparse
import errno
import os
import sys
from concurrent.futures.process import BrokenProcessPool

from sim import __version__
from sim.cli import app, audit, check, compare, data, plan, report, run, sweep, validate, warmup
from sim.cli.common import EXIT_BAD_INPUT, Context, Terminated, shown_path
from sim.scenario import ScenarioError
from sim.util.errors import FolderError
from sim.util.executors import ExecutorError


class OneLineParser(argparse.ArgumentParser):
    """argparse's parser (and, through ``add_subparsers``, each subcommand's) with a bad option
    said in one line, like every other bad input, instead of argparse's usage block first: the
    option, the value and what was expected, and where the usage is."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="triage-sim", description=(
        "Police control-room simulator: does the response follow the caller's risk, "
        "or whether an officer happens to be free?"))
    p.add_argument("--version", action="version", version=f"triage-sim {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    run.register(sub)
    compare.register(sub)
    sweep.register(sub)
    warmup.register(sub)
    report.register(sub)
    check.register(sub)
    validate.register(sub)
    plan.register(sub)
    data.register(sub)
    audit.register(sub)
    app.register(sub)
    return p


def _on_sigterm(signum, frame):
    raise Terminated()


# what to do about the file-system errors a long command meets half-way
_ADVICE = {errno.ENOSPC: "free some disk space", errno.EDQUOT: "free some space (disk quota exceeded)",
           errno.EFBIG: "raise the file-size limit (ulimit -f)", errno.ENAMETOOLONG: "use shorter names",
           errno.EACCES: "write where you have permission", errno.EPERM: "write where you have permission",
           errno.EROFS: "write to a writable file system", errno.EIO: "check the disk"}


def os_error_line(exc: OSError, context: Context) -> str:
    """A file-system error (a full disk, a file-size limit, a name too long) in one line: the file,
    what the system said and its code, and what to do next: a results folder whose plan is saved
    is finished by its resume (the files written before the error are whole, the temporary ones
    removed: ``sim.util.files``); anything else is run again."""
    said = os.strerror(exc.errno) if exc.errno else (exc.strerror or str(exc) or type(exc).__name__)
    code = f" ({errno.errorcode[exc.errno]})" if exc.errno in errno.errorcode else ""
    where = f"{shown_path(exc.filename)}: " if exc.filename else ""
    advice = _ADVICE.get(exc.errno, "fix the cause")
    if context.resumable():
        return (f"{where}{said}{code}; what was finished is saved: {advice}, then finish with: "
                f"{context.resume} {shown_path(context.folder)}")
    return f"{where}{said}{code}; {advice}, then run the command again"


def main(argv: list[str] | None = None) -> int:
    import signal

    # Arrow's default pool (mimalloc) keeps what it frees: writing a year's event log then cost
    # twice its size in resident memory. The system allocator hands it back (a user's own choice
    # of pool is kept; worker processes inherit it).
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    args = build_parser().parse_args(argv)
    args.context = context = Context()   # what the command was writing, for the messages below
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:   # pragma: no cover - not the main thread (e.g. called from a test thread)
        pass
    try:
        return args.func(args)
    except (ScenarioError, FolderError, ExecutorError) as exc:
        print(f"triage-sim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenProcessPool:
        print("triage-sim: a worker process died; finished replications are saved; "
              f"finish with: triage-sim run --resume {context.folder or '<results folder>'}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `triage-sim check ... | head`
        sys.stdout = open(os.devnull, "w")
        return 0
    except OSError as exc:   # after BrokenPipeError, which is one
        print(f"triage-sim: error: {os_error_line(exc, context)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        folder = context.folder
        tail = f": finish with {context.resume} {folder}" if folder else ""
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"triage-sim: {what}; finished replications are saved{tail}", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
