"""Results folders: written whole or not at all, and never over an earlier run.

Files go into a hidden staging folder beside the destination, which is renamed into
place only when every file is complete; an interrupted run leaves no half-written
results folder under the real name.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import tomli_w


class OutputError(Exception):
    """The results folder cannot be used (it exists already, or cannot be created)."""


def default_run_dir(root: Path, scenario_name: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = root / f"{scenario_name}-{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


class RunFolder:
    """Stage files, then publish them atomically under ``final``."""

    def __init__(self, final: Path):
        self.final = Path(final)
        if self.final.exists():
            raise OutputError(f"{self.final}: already exists; results are never overwritten (choose another --out)")
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.stage = self.final.with_name(f".{self.final.name}.partial-{os.getpid()}")
        if self.stage.exists():
            shutil.rmtree(self.stage)
        self.stage.mkdir()

    def path(self, name: str) -> Path:
        return self.stage / name

    def write_text(self, name: str, text: str) -> None:
        self.path(name).write_text(text, encoding="utf-8")

    def write_json(self, name: str, data: dict) -> None:
        self.write_text(name, json.dumps(data, indent=2, default=str) + "\n")

    def write_toml(self, name: str, data: dict) -> None:
        self.path(name).write_bytes(tomli_w.dumps(data).encode("utf-8"))

    def publish(self) -> Path:
        if self.final.exists():
            raise OutputError(f"{self.final}: appeared while the run was going; results kept in {self.stage}")
        os.rename(self.stage, self.final)
        return self.final

    def discard(self) -> None:
        shutil.rmtree(self.stage, ignore_errors=True)
