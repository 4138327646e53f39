"""Fingerprints of fixed-seed outputs: proof that a move or a speed-up kept behaviour.

Runs a fixed set of commands (run, compare, sweep, plan, fit + backtest on the shared US extract,
validate-model, check, report) on one source tree in fresh interpreters, and records the sha256 of
every file they write and of what they print, with the parts that differ by nature masked: time
stamps, wall times, the version, the output folder's own path. Record before a change and after it,
then compare::

    git worktree add --detach /tmp/wt-before HEAD~1
    python benchmarks/fingerprints.py record --tree /tmp/wt-before --to /tmp/before.json
    python benchmarks/fingerprints.py record --tree . --to /tmp/after.json
    python benchmarks/fingerprints.py diff /tmp/before.json /tmp/after.json

``diff`` exits 1 and names every file whose fingerprint moved (or that appeared or went).
Each tree runs with its own ``sim`` package (``python -m sim`` from the tree's folder).

Masked as well: a fitted scenario's relative ``base`` path (it names the tree's folder) and the
path of a module named in generated text (``described in sim/validation.py``): a move renames
files without changing what the program does. Everything else, figures' PNG bytes and
Parquet files included, must match byte for byte.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "us-cad-2025" / "incidents.csv.gz"

# (name, arguments); {out} is the command's output folder, {data} the CAD extract, {o} the root
COMMANDS: list[tuple[str, list[str]]] = [
    ("check", ["check"]),
    ("run", ["run", "--reps", "3", "--days", "7", "--events", "--seed", "7", "--jobs", "2", "--quiet",
             "--out", "{out}"]),
    ("report", ["report", "{o}/run", "--figures", "png"]),
    ("compare", ["compare", "scenarios/nottinghamshire-2016.toml", "scenarios/late-shift-plus-10.toml",
                 "--reps", "2", "--days", "3", "--seed", "7", "--jobs", "2", "--quiet", "--out", "{out}"]),
    ("sweep", ["sweep", "--vary", "response.shifts.late.units=70,80", "--reps", "2", "--days", "3",
               "--seed", "7", "--jobs", "2", "--quiet", "--out", "{out}"]),
    ("plan", ["plan", "--reps", "2", "--days", "3", "--search-reps", "2", "--search-days", "3",
              "--jobs", "2", "--quiet", "--out", "{out}"]),
    ("fit", ["fit", "{data}", "--map", "scenarios/fitted/us-cad-2025.map.toml", "--quiet", "--out", "{out}"]),
    ("backtest", ["backtest", "{data}", "{o}/fit/scenario.toml", "--map", "scenarios/fitted/us-cad-2025.map.toml",
                  "--reps", "2", "--jobs", "2", "--quiet", "--out", "{out}"]),
    ("validate-model", ["validate-model", "--jobs", "2"]),
    ("validate-file", ["validate-model", "--scenario", "scenarios/validation/mmc-rho050-c5.toml", "--reps", "3",
                       "--jobs", "2", "--out", "{o}/validate-file.md"]),
]

TEXT = {".csv", ".toml", ".json", ".html", ".md", ".txt", ".svg"}


def mask(text: str, root: str, version: str) -> str:
    """Blank what differs by nature between two runs of the same commands."""
    text = text.replace(root, "<ROOT>")
    text = re.sub(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)?", "<TIME>", text)
    text = re.sub(r"\d{8}-\d{6}", "<STAMP>", text)
    text = re.sub(r'"(\w*_s|seconds|python)": [^,\n}]+', r'"\1": <T>', text)
    text = re.sub(r"(wall time|CPU time)</th><td>[^<]*", r"\1</th><td><T>", text)
    text = re.sub(r"wall time [\d.,]+ ?(s|min)\b", "wall time <T>", text)
    text = re.sub(r"\(\d+ s( cpu)?\)", "(<T>)", text)
    text = re.sub(r"\b\d+(\.\d+)? ?s (wall|of CPU|cpu)\b", "<T>", text)
    text = re.sub(r"simulations in [\d.,]+ ?(s|min)\b", "simulations in <T>", text)
    # a path from the output folder back to the tree (a fitted scenario's base) names the tree
    text = re.sub(r'"(\.\./)+([\w.-]+/)*scenarios/', '"<TREE>/scenarios/', text)
    # generated text naming a module's file (validation's "described in sim/validation.py"): a
    # move changes the name, not the behaviour
    text = re.sub(r"\bsim/[\w/]+\.py\b", "sim/<module>.py", text)
    if version:
        text = text.replace(version, "<VERSION>")
    return text


def digest_file(path: Path, root: str, version: str) -> str:
    data = path.read_bytes()
    if path.suffix in TEXT:
        data = mask(data.decode("utf-8", "replace"), root, version).encode()
    return hashlib.sha256(data).hexdigest()


def record(tree: Path, data: Path, only: list[str] | None) -> dict:
    tree = tree.resolve()
    version = subprocess.run([sys.executable, "-c", "import sim; print(sim.__version__)"], cwd=tree,
                             capture_output=True, text=True, check=True).stdout.strip()
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="fp-") as tmp:
        root = str(Path(tmp).resolve())
        for name, args in COMMANDS:
            if only and name not in only:
                continue
            folder = f"{root}/{name}"
            argv = [a.format(out=folder, data=data, o=root) for a in args]
            proc = subprocess.run([sys.executable, "-m", "sim", *argv], cwd=tree, env=env,
                                  capture_output=True, text=True)
            entry = {"rc": proc.returncode,
                     "stdout": hashlib.sha256(mask(proc.stdout, root, version).encode()).hexdigest()}
            if proc.returncode:
                entry["stderr"] = proc.stderr[-2000:]
            files = {}
            # `report` draws the run's folder again: fingerprint what it holds afterwards
            folder = f"{root}/run" if name == "report" else folder
            for target in (Path(folder), Path(f"{root}/{name}.md")):
                if target.is_file():
                    files[target.name] = digest_file(target, root, version)
                elif target.is_dir():
                    for p in sorted(target.rglob("*")):
                        if p.is_file():
                            files[str(p.relative_to(target))] = digest_file(p, root, version)
            entry["files"] = files
            out[name] = entry
            print(f"{name}: rc {proc.returncode}, {len(files)} files", file=sys.stderr)
    return out


def diff(a: dict, b: dict, only: list[str] | None = None) -> list[str]:
    moved = []
    for name in sorted(set(a) | set(b)):
        if only and name not in only:
            continue
        if name not in a or name not in b:
            moved.append(f"{name}: only in {'b' if name not in a else 'a'}")
            continue
        ea, eb = a[name], b[name]
        for key in ("rc", "stdout"):
            if ea[key] != eb[key]:
                moved.append(f"{name}: {key} differs")
        fa, fb = ea["files"], eb["files"]
        for f in sorted(set(fa) | set(fb)):
            if fa.get(f) != fb.get(f):
                moved.append(f"{name}/{f}: " + ("differs" if f in fa and f in fb else
                                                 f"only in {'a' if f in fa else 'b'}"))
    return moved


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("--tree", type=Path, default=HERE.parent)
    r.add_argument("--data", type=Path, default=DEFAULT_DATA)
    r.add_argument("--to", type=Path, required=True)
    r.add_argument("--only", action="append", help="record only this command (repeatable)")
    d = sub.add_parser("diff")
    d.add_argument("a", type=Path)
    d.add_argument("b", type=Path)
    d.add_argument("--only", action="append", help="compare only this command (repeatable)")
    a = p.parse_args()
    if a.cmd == "record":
        res = record(a.tree, a.data.resolve(), a.only)
        a.to.write_text(json.dumps(res, indent=1, sort_keys=True))
        bad = [n for n, e in res.items() if e["rc"] not in (0,)]
        print(f"{sum(len(e['files']) for e in res.values())} files fingerprinted; non-zero exits: {bad or 'none'}")
        return 0
    before, after = json.loads(a.a.read_text()), json.loads(a.b.read_text())
    moved = diff(before, after, a.only)
    for m in moved:
        print(m)
    total = sum(len(e["files"]) + 2 for n, e in before.items() if not a.only or n in a.only)
    print(f"{len(moved)} of {total} fingerprints differ")
    return 1 if moved else 0


if __name__ == "__main__":
    sys.exit(main())
