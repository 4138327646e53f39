"""``triage-sim report``: the figures and report.html drawn again from saved results folders
(nothing is re-run), e.g. in other formats or with a title for a paper.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.common import add_drawing
from sim.cli.experiments import write_report
from sim.util.errors import FolderError


def register(subparsers) -> argparse.ArgumentParser:
    """Add ``report`` to the ``triage-sim`` command line."""
    rep = subparsers.add_parser("report", help="draw the figures and report.html again from saved results (nothing is re-run)")
    rep.add_argument("folders", nargs="+", metavar="DIR", help="results folder(s) of run, compare or sweep")
    add_drawing(rep)
    rep.set_defaults(func=cmd_report)
    return rep


def cmd_report(args) -> int:
    for folder in args.folders:
        if not Path(folder).is_dir():
            raise FolderError(f"{folder}: no such folder")
        try:
            print(write_report(Path(folder), args))
        except FileNotFoundError as exc:
            raise FolderError(f"{folder}: not a complete results folder ({exc})") from None
    return 0
