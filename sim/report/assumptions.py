"""The report's "Assumptions and sources" section: the scenario files as written (saved under each
arm's ``sources/``) read for their comments, so every setting is listed with its note and class,
[S] sourced, [D] derived or [A] assumed (a note mixing tags counts as its weakest); what a file
changes from its base; and the settings a run used other than as the files say (--set, a sweep).
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field

from markupsafe import Markup

from sim.report.folder import Folder
from sim.report.sweep_points import value_text
from sim.report.templating import render
from sim.scenario import deep_merge

TAG = re.compile(r"\[([SDA])(?=[\]\s:;,])")
CLASSES = (("S", "Sourced [S]", "numbers taken from a named public source"),
           ("D", "Derived [D]", "numbers computed from sourced figures"),
           ("A", "Assumed [A]", "no public figure found: chosen to fit the sourced figures (test these first)"))


@dataclass
class Setting:
    path: str
    value: str
    comment: str
    kind: str                   # key | table
    file: str
    keys: list[str] = field(default_factory=list)

    @property
    def tags(self) -> set[str]:
        return set(TAG.findall(self.comment))

    @property
    def cls(self) -> str | None:
        t = self.tags
        return "A" if "A" in t else "D" if "D" in t else "S" if "S" in t else None


def _split_comment(line: str) -> tuple[str, str]:
    """TOML line -> (code, comment), ignoring # inside strings."""
    quote = None
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i], line[i + 1:].strip()
        i += 1
    return line, ""


def _depth(code: str) -> int:
    d, quote = 0, None
    for ch in code:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            d += 1
        elif ch in "]}":
            d -= 1
    return d


def _name(text: str) -> str:
    return ".".join(p.strip().strip("\"'") for p in text.split("."))


def parse_settings(text: str, file: str) -> tuple[list[Setting], str | None]:
    """The settings of a commented scenario file, each with the comments that describe it.

    A comment block right above a key, or a trailing comment, belongs to that key; a block
    right above a table header or right after it (before any key) belongs to the table."""
    lines = text.splitlines()
    items: list[Setting] = []
    table, table_item = "", None
    block: list[str] = []
    after_header = False
    base = None
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if not s:
            if block and after_header and table_item is not None:
                table_item.comment = " ".join([table_item.comment, *block]).strip()
            block, after_header = [], False
            i += 1
            continue
        if s.startswith("#"):
            indent = len(lines[i]) - len(lines[i].lstrip())
            prev_code, prev_comment = _split_comment(lines[i - 1]) if i else ("", "")
            if (indent and not block and items and items[-1].kind == "key" and prev_comment
                    and prev_code.strip() and indent >= len(prev_code.rstrip())):
                # a comment line indented under the previous key's trailing comment continues it
                items[-1].comment = " ".join([items[-1].comment, s.lstrip("#").strip()]).strip()
            else:
                block.append(s.lstrip("#").strip())
            i += 1
            continue
        code, trailing = _split_comment(lines[i])
        code = code.strip()
        if code.startswith("["):
            table = _name(code.strip("[]").strip())
            table_item = Setting(table, "", " ".join([*block, trailing]).strip(), "table", file)
            items.append(table_item)
            block, after_header = [], True
            i += 1
            continue
        comments = [trailing] if trailing else []
        while _depth(code) > 0 and i + 1 < len(lines):
            i += 1
            more, c = _split_comment(lines[i])
            code += " " + more.strip()
            if c:
                comments.append(c)
        i += 1
        if "=" not in code:
            block, after_header = [], False
            continue
        key, value = code.split("=", 1)
        key = _name(key.strip())
        value = re.sub(r"\s+", " ", value.strip()).replace("[ ", "[").replace(", ]", "]")
        if key == "base" and not table:
            base = value.strip("\"'")
            block, after_header = [], False
            continue
        if after_header and block and table_item is not None:
            table_item.comment = " ".join([table_item.comment, *block]).strip()
            block = []
        items.append(Setting(f"{table}.{key}" if table else key, value, " ".join([*block, *comments]).strip(),
                             "key", file, [key]))
        block, after_header = [], False
    # a commented key followed by its silent siblings (misgrading.G1, .G2, ...) is one setting
    merged: list[Setting] = []
    for it in items:
        prev = merged[-1] if merged else None
        if (prev is not None and it.kind == "key" and prev.kind == "key" and not it.comment and prev.cls
                and "." in it.keys[0] and "." in prev.keys[0]
                and it.keys[0].rsplit(".", 1)[0] == prev.keys[0].rsplit(".", 1)[0]
                and it.path.rsplit(".", 1)[0] == prev.path.rsplit(".", 1)[0]):
            prev.keys.append(it.keys[0])
            prev.value += f"; {it.keys[0].rsplit('.', 1)[1]}: {it.value}"
            continue
        merged.append(it)
    for it in merged:
        if len(it.keys) > 1:
            head = it.path.rsplit(".", 1)[0]
            first = it.keys[0].rsplit(".", 1)[1]
            it.value = f"{first}: {it.value}"
            it.path = f"{head}.{{{', '.join(k.rsplit('.', 1)[1] for k in it.keys)}}}"
    # a table's value: its keys that carry no tag of their own
    untagged: dict[str, list] = {}      # table path -> its keys without a tag, in order (one pass: a
    for k in merged:                    # scenario with 1,000 surges has 1,000 tables)
        if k.kind == "key" and not k.cls:
            untagged.setdefault(k.path.rsplit(".", len(k.keys[0].split(".")))[0], []).append(k)
    for it in merged:
        if it.kind == "table":
            own = untagged.get(it.path, [])
            it.value = "; ".join(f"{k.keys[0] if len(k.keys) == 1 else k.path.split('.')[-1]} = {k.value}"
                                 for k in own)
            if not it.value:
                inner = [k.path[len(it.path) + 1:] for k in merged if k.kind == "key" and k.path.startswith(it.path + ".")]
                it.value = f"({', '.join(inner)}: each listed with its own note)" if inner else ""
    return merged, base


def _flatten(d, prefix: str = "") -> dict:
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            p = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, dict) and v:
                out.update(_flatten(v, p))
            else:
                out[p] = v
    return out


def _norm(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return round(float(v), 9)
    if isinstance(v, (list, tuple)):
        return tuple(_norm(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _norm(x)) for k, x in v.items()))
    return str(v)


def _same(file_v, run_v) -> bool:
    a, b = _norm(file_v), _norm(run_v)
    if a == b:
        return True
    # a number in the file is expanded to one per day in the resolved scenario
    return isinstance(a, float) and isinstance(b, tuple) and len(b) == 7 and all(x == a for x in b)


def _fmt_value(v) -> str:
    if isinstance(v, (list, tuple)) and len(v) == 7 and len({_norm(x) for x in v}) == 1 \
            and isinstance(v[0], (int, float)):
        return _fmt_value(v[0])   # one number per day, all equal: as it was written
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_fmt_value(x)}" for k, x in v.items()) + "}"
    return str(v)


@dataclass
class Sources:
    files: list[tuple[str, str, str | None]]        # (display name, text, base) unique by content
    arm_files: dict[str, list[str]]                  # arm -> display names, top first
    changed: dict[str, dict[str, list]]              # path -> {"file": value, arm label: [values]}


def read_sources(f: Folder) -> Sources:
    files: dict[str, tuple[str, str, str | None]] = {}
    arm_files: dict[str, list[str]] = {}
    changed: dict[str, dict] = {}
    for a in f.arms:
        d = f.arm_dir(a.name) / "sources"
        paths = sorted(d.glob("*.toml"), key=lambda p: (int(p.name.split("-", 1)[0]) if p.name.split("-", 1)[0].isdigit()
                                                         else 999, p.name)) if d.is_dir() else []
        names = []
        layered: dict = {}
        for p in reversed(paths):   # base first
            text = p.read_text(encoding="utf-8", errors="replace")
            h = hashlib.sha256(text.encode()).hexdigest()
            display = p.name.split("-", 1)[1] if p.name.split("-", 1)[0].isdigit() else p.name
            if h not in files:
                files[h] = (display, text, None)
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError:
                data = {}
            data.pop("base", None)
            layered = deep_merge(layered, data)   # as the loader merges them
            names.insert(0, files[h][0])
        arm_files[a.name] = names
        if not layered:
            continue
        written, run = _flatten(layered), _flatten(a.scenario)
        for path, v in written.items():
            if path.startswith("meta.") or path not in run or _same(v, run[path]):
                continue
            entry = changed.setdefault(path, {"file": v, "arms": []})
            entry["arms"].append((a, run[path]))
    return Sources(list(files.values()), arm_files, changed)


def assumptions_html(f: Folder) -> Markup:
    """The section: what the scenario says it is, its sources, and its settings by class."""
    src = read_sources(f)
    # the sources the scenario names
    meta_sources, descr = [], []
    for a in f.arms:
        m = a.scenario.get("meta", {})
        for s in m.get("sources", []) or []:
            if s not in meta_sources:
                meta_sources.append(s)
        line = f"{m.get('name', a.label)}: {m.get('description', '')}".strip(": ")
        if line and line not in descr:
            descr.append(line)
    for _, text, _ in src.files:   # the files as written are the authority on their sources
        try:
            m = tomllib.loads(text).get("meta", {})
        except tomllib.TOMLDecodeError:
            continue
        for s in m.get("sources", []) or []:
            if isinstance(s, str) and s not in meta_sources:
                meta_sources.append(s)
    if not src.files:
        return render("assumptions.html.j2", descriptions=descr, sources=meta_sources, files_saved=False)
    chains = sorted({" → ".join(v) for v in src.arm_files.values() if v})
    settings: list[Setting] = []
    changes: list[tuple[str, list[Setting]]] = []
    for name, text, _ in src.files:
        items, base = parse_settings(text, name)
        if base:
            changes.append((name, [s for s in items if not s.path.startswith("meta") and s.kind == "key"]))
        settings.extend(s for s in items if s.cls and not s.path.startswith("meta"))
    changed_paths = set(src.changed) | (set(f.keys) if f.kind == "sweep" else set())
    varied = []
    for k in (f.keys if f.kind == "sweep" else []):
        vals = []
        for a in f.arms:
            v = value_text(a.values.get(k, ""))
            if v not in vals:
                vals.append(v)
        varied.append((k, ", ".join(vals)))
    changed = {p: e for p, e in src.changed.items() if not (f.kind == "sweep" and p in f.keys)}
    changed_rows = []
    for path, e in sorted(changed.items()):
        used = {}
        for arm, v in e["arms"]:
            used.setdefault(_fmt_value(v), []).append(arm)
        if f.kind == "sweep" and len(used) > 1:
            run_text = f"varied: {', '.join(used)}"
        elif f.kind == "compare":
            run_text = "; ".join(f"{'/'.join(x.name.upper() for x in arms)}: {v}" for v, arms in used.items())
        else:
            run_text = f"this run: {', '.join(used)}"
        changed_rows.append((path, _fmt_value(e["file"]), run_text))
    groups = []
    seen = set()
    for code, title, meaning in CLASSES:
        group = []
        for s in settings:
            key = (s.path, s.value, s.comment)
            if s.cls == code and key not in seen:
                seen.add(key)
                group.append(s)
        if group:
            groups.append((title, meaning, [
                (s.path, any(p == s.path or p.startswith(s.path + ".") for p in changed_paths),
                 s.value if len(s.value) <= 160 else s.value[:157] + "…", s.comment) for s in group]))
    return render("assumptions.html.j2", descriptions=descr, sources=meta_sources, files_saved=True, chains=chains,
                  changes=[(name, items) for name, items in changes if items], varied=varied, changed=changed_rows,
                  groups=groups)
