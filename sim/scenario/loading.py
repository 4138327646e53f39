"""Scenario files: TOML in, a validated and frozen ``Scenario`` out.

Loading is three steps, kept apart so each can be tested:
1. ``read_layers`` reads a file and, recursively, the ``base`` file it names, merging
   tables key by key (a variant file only says what differs; ``overrides.deep_merge``);
   base files come only from the folders ``bases.base_roots`` allows;
2. ``apply_overrides`` applies ``--set key=value`` pairs (dotted keys, TOML values);
3. ``validate`` builds the pydantic model (``document.Scenario``), then checks what spans
   several fields (``consistency``: rota coverage, probabilities, standards per area).

Every failure raises ``ScenarioError`` naming the file, the dotted field path, the value
and what was expected (``errors``), so the command line can print one line and exit 2.
"""
from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from sim.scenario.base import _NO_VALUE, ScenarioError
from sim.scenario.bases import base_roots
from sim.scenario.consistency import check_consistency
from sim.scenario.document import Scenario
from sim.scenario.errors import _first_error
from sim.scenario.overrides import apply_overrides, deep_merge, parse_override

MAX_FILE_BYTES = 10 * 10**6   # a scenario is a few kB; a bigger file is not one (and would fill memory)
MAX_BASE_CHAIN = 32        # files in one base chain: deeper is a mistake (or an attack), not a scenario


def read_toml(path: Path, what: str = "scenario") -> dict:
    """A TOML file the user gave (a scenario layer, a CAD map): size-capped, UTF-8, and a parse
    error as the usual one-line ScenarioError naming the file."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ScenarioError(path, "", _NO_VALUE, f"a {what} file of at most {MAX_FILE_BYTES // 10**6} MB "
                            f"(this one is {path.stat().st_size / 1e6:,.0f} MB)")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, "", _NO_VALUE, f"malformed TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ScenarioError(path, "", _NO_VALUE, "expected a UTF-8 text file") from None


def read_layers(path: str | Path, roots: Iterable[str | Path] | None = (), _seen: tuple[Path, ...] = (),
                _allowed: list[Path] | None = None) -> dict:
    """Read a scenario file and merge it over the ``base`` file it names (recursively); base
    files are confined to ``base_roots`` of the file given (with the extra ``roots``), and a
    chain to ``MAX_BASE_CHAIN``."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(path, "", _NO_VALUE, "file not found")
    if not path.is_file():
        raise ScenarioError(path, "", _NO_VALUE, "expected a scenario file, not a folder")
    resolved = path.resolve()
    if resolved in _seen:
        raise ScenarioError(path, "base", str(path), "a base chain must not loop back to a file it came from")
    data = read_toml(path)
    allowed = _allowed if _allowed is not None else base_roots(path, roots)
    _resolve_trace(data, path, allowed)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ScenarioError(path, "base", base, "expected a file name (a string)")
    if "\x00" in base or len(base) > 4096:
        raise ScenarioError(path, "base", base[:80], "expected a file name (no NUL byte, at most 4096 characters)")
    if len(_seen) + 1 >= MAX_BASE_CHAIN:
        raise ScenarioError(path, "base", base, f"a base chain of at most {MAX_BASE_CHAIN} files")
    base_path = (path.parent / base)
    _confined_file(path, "base", base, base_path, allowed, "scenario", "base")
    return deep_merge(read_layers(base_path, roots, _seen + (resolved,), allowed), data)


def _resolve_trace(data: dict, path: Path, roots: list[Path], folder: Path | None = None) -> None:
    """A layer's ``demand.trace`` names a file relative to that layer's folder and confined to the
    same folders as ``base`` files (``base_roots``): made absolute here, so a merged (or
    written-out) scenario still finds it, and a missing or misnamed trace is reported against the
    file that named it."""
    demand = data.get("demand")
    trace = demand.get("trace") if isinstance(demand, dict) else None
    if trace is None:
        return
    if not isinstance(trace, str) or not trace.strip() or "\x00" in trace or len(trace) > 4096:
        raise ScenarioError(path, "demand.trace", trace, "expected a file name (a string, no NUL byte, at most 4096 characters)")
    demand["trace"] = str(_confined_file(path, "demand.trace", trace, (folder or path.parent) / trace, roots, "trace",
                                         "trace"))


def _confined_file(path: Path, key: str, value: str, target: Path, roots: list[Path], kind: str, named: str) -> Path:
    """The one confinement rule for a file a layer names (a base, a trace): inside one of
    ``roots`` once resolved, and an existing file; else an error against the layer's ``key``."""
    where = target.resolve()
    if not any(where.is_relative_to(r) for r in roots):
        raise ScenarioError(path, key, value, "a file in the scenario's own folder, the nearest enclosing "
                            "'scenarios' folder or the shipped scenarios/ (it resolves to "
                            f"{where}); to use another folder, name it with --base-root DIR")
    if not target.is_file():
        what = f"is a folder, not a {kind} file" if target.is_dir() else f"{named} file not found"
        raise ScenarioError(path, key, value, f"{what} (looked for {where})")
    return where


def _trace_of(data: dict):
    demand = data.get("demand")
    return demand.get("trace") if isinstance(demand, dict) else None


def _confine_set_trace(data: dict, path: Path, roots, overrides: list[str]) -> None:
    """A trace named by ``--set demand.trace=FILE`` goes through the same rule as one the file
    names: relative to the scenario file's folder, confined to its ``base_roots`` (a --set is one
    more layer over the file, not a way to read /etc/shadow)."""
    text = next((o for o in reversed(overrides) if o.split("=", 1)[0].strip().startswith("demand")), "demand.trace")
    _resolve_trace(data, Path(f"--set {text.split('=', 1)[0].strip()}"), base_roots(path, roots), path.parent)


def layer_files(path: str | Path) -> list[Path]:
    """The scenario file and the chain of base files under it, top first (already validated)."""
    out, path = [], Path(path)
    while path is not None and path.is_file() and path.resolve() not in [p.resolve() for p in out]:
        out.append(path)
        base = tomllib.loads(path.read_text(encoding="utf-8-sig")).get("base")
        path = path.parent / base if isinstance(base, str) else None
    return out


def load_written(path: str | Path, overrides: list[str] | None = None,
                 roots: Iterable[str | Path] | None = ()) -> Scenario:
    """Load a scenario the tool itself wrote: its ``base`` names the file the user gave on the
    command line, so that file's folder is trusted for this load only (beside ``roots``)."""
    path = Path(path)
    try:
        base = tomllib.loads(path.read_text(encoding="utf-8-sig")).get("base")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        base = None
    extra = [(path.parent / base).resolve().parent] if isinstance(base, str) and "\x00" not in base else []
    return load_scenario(path, overrides, roots=[*(roots or ()), *extra])


def load_scenario(path: str | Path, overrides: list[str] | None = None,
                  roots: Iterable[str | Path] | None = ()) -> Scenario:
    """Read, merge, override and validate a scenario file; ``roots``: folders its base files (and
    trace) may also come from, beside those of ``base_roots`` (``--base-root DIR``)."""
    data = read_layers(path, roots)
    dropped: list[str] = []
    layered = _trace_of(data)
    data = apply_overrides(data, overrides or [], dropped)
    if _trace_of(data) != layered and _trace_of(data) is not None:
        _confine_set_trace(data, Path(path), roots, overrides or [])
    try:
        return validate(data, source=path)
    except ScenarioError as err:
        err = _blame(err, path, overrides or [])
        if dropped:   # the error may come from what the replacement left out
            err = ScenarioError(err.file, err.path, err.value, f"{err.expected}; note: {'; '.join(dropped)}")
        raise err from None


def _blame(err: ScenarioError, path, overrides: list[str]) -> ScenarioError:
    """Point an error at the layer that wrote the field: a --set option, or a base file."""
    parts = err.path.split(".") if err.path else []
    if not parts:
        return err
    for text in reversed(overrides):
        keys = parse_override(text)[0]
        if keys[: len(parts)] == parts[: len(keys)]:
            return ScenarioError(err.file, err.path, err.value, f"{err.expected} (set by --set {text})")
    best, depth = None, 0
    for layer in layer_files(path):  # top first: on a tie the file nearest the top wins
        node, d = tomllib.loads(layer.read_text(encoding="utf-8-sig")), 0
        for key in parts:
            if not isinstance(node, dict) or key not in node:
                break
            node, d = node[key], d + 1
        if d > depth:
            best, depth = layer, d
    if best is None or best == Path(path):
        return err
    return ScenarioError(best, err.path, err.value, f"{err.expected} (in a base file of {path})")


def validate(data: dict, source: str | Path | None = None) -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, source) from None
    check_consistency(scenario, source)
    return scenario


