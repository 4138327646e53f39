"""Errors the command line reports as one line and exit status 2 (bad input, an unusable
folder), kept in a module with no heavy imports so the CLI can catch them before loading the
simulator."""
from __future__ import annotations


class FolderError(Exception):
    """An output folder that cannot be used (exists already, or is not a resumable run)."""
