"""Writing TOML: every TOML file the project writes (the resolved scenario of a results or plan
folder, a fitted scenario, a planned rota or team pattern, an override value) goes through here,
built with ``tomlkit`` so that a file can carry the comments it needs (a header saying what it
is, a ``[D: ...]`` tag beside each fitted value).

Two layouts:

- ``toml_text(data)``: a plain mapping, laid out as ``tomli_w`` 1.2 lays it out (which the
  results folders written before have, byte for byte): values before sub-tables, a ``[a.b]``
  header for each table holding values (none for one holding only tables), a blank line between
  tables, every non-empty array one item per line with a trailing comma, a list of tables
  that will not fit inline as ``[[a.b]]``, inline tables as ``{ k = v }``.
- ``Document``: a commented file written line by line (``table``, ``set``, ``comment``), with
  arrays and inline tables on one line (``[a, b]``, ``{ k = v }``).

Strings are escaped by tomlkit, which writes a tab as ``\\t`` (tomli_w wrote it raw): the one
place where ``toml_text`` and tomli_w can differ, in bytes only (both read back the same).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping

import tomlkit
from tomlkit.items import InlineTable, Item, KeyType, SingleKey

MAX_LINE_LENGTH = 100   # tomli_w's: a list of tables longer than this (as one inline line) becomes [[...]]
INDENT = "    "


# ---------------------------------------------------------------------------- values
def _inline_table(pairs, empty: str = "") -> InlineTable:
    """``{ k = v, ... }`` (``{}`` or ``{<empty>}`` when there are no pairs)."""
    t = tomlkit.inline_table()
    pairs = list(pairs)
    if not pairs:
        if empty:
            t.add(tomlkit.ws(empty))
        return t
    t.add(tomlkit.ws(" "))
    for k, v in pairs:
        t.add(k, v)
    t.add(tomlkit.ws(" "))
    return t


def _scalar(v) -> Item:
    if isinstance(v, (dt.datetime, dt.time)):
        return tomlkit.value(str(v))   # "2016-09-10 18:00:00", as tomli_w (tomlkit's own puts a T)
    if isinstance(v, (bool, int, float, str, dt.date)):
        return tomlkit.item(v)
    if hasattr(v, "item"):   # numpy scalars
        return _scalar(v.item())
    raise TypeError(f"Object of type '{type(v).__qualname__}' is not TOML serializable")


def _value(v, nest: int = 0) -> Item:
    """A value laid out as tomli_w does: arrays one item per line, indented by nesting level."""
    if isinstance(v, Mapping):
        return _inline_table((k, _value(x)) for k, x in v.items())
    if isinstance(v, (list, tuple)):
        a = tomlkit.array()
        for x in v:
            a.append(_value(x, nest + 1))
        a.trivia.indent = INDENT * nest   # where the closing bracket goes; items one level deeper
        return a.multiline(bool(v))
    return _scalar(v)


def value_text(v) -> str:
    """One value as TOML text (as ``toml_text`` writes it), e.g. for an override ``key=<text>``."""
    return _value(v).as_string()


def _is_table_list(v) -> bool:
    return isinstance(v, (list, tuple)) and bool(v) and all(isinstance(x, Mapping) for x in v)


def _fits_inline(t: Mapping) -> bool:
    text = f"{INDENT}{_value(t).as_string()},"
    return len(text) <= MAX_LINE_LENGTH and "\n" not in text


# ---------------------------------------------------------------------------- plain mappings
def _split(data: Mapping) -> tuple[list, list]:
    """(values, tables) as tomli_w tells them apart: a list of tables is a value when each fits inline."""
    values, tables = [], []
    for k, v in data.items():
        if isinstance(v, Mapping) or (_is_table_list(v) and not all(_fits_inline(t) for t in v)):
            tables.append((k, v))
        else:
            values.append((k, v))
    return values, tables


def _fill(container, data: Mapping) -> None:
    """Add ``data``'s values, then its tables, to ``container``."""
    values, tables = _split(data)
    for k, v in values:
        container.add(k, _value(v))
    for k, v in tables:
        if isinstance(v, Mapping):
            sub_values, sub_tables = _split(v)
            # tomli_w: no header for a table that holds tables and no values
            sub = tomlkit.table(is_super_table=not sub_values and bool(sub_tables))
            _fill(sub, v)
        else:
            sub = tomlkit.aot()
            for t in v:
                one = tomlkit.table()
                _fill(one, t)
                sub.append(one)
        container.add(k, sub)


def toml_text(data: Mapping, header: str = "") -> str:
    """``data`` as TOML, laid out as tomli_w 1.2 does; ``header`` (lines without ``# ``) on top."""
    doc = tomlkit.document()
    for line in header.splitlines():
        doc.add(tomlkit.comment(line))
    if header:
        doc.add(tomlkit.ws(""))   # else tomlkit puts a blank line between the header and a first table
    _fill(doc, data)
    return tomlkit.dumps(doc)


# ---------------------------------------------------------------------------- commented files
def _plain_value(v, empty_table: str = "") -> Item:
    """A value on one line: ``[a, b]``, ``{ k = v }``; floats as written (``repr``); an Item as it is."""
    if isinstance(v, Item):
        return v
    if isinstance(v, Mapping):
        return _inline_table(((k, _plain_value(x)) for k, x in v.items()), empty_table)
    if isinstance(v, (list, tuple)):
        a = tomlkit.array()
        for x in v:
            a.append(_plain_value(x))
        return a
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"not a finite number: {v}")
    return _scalar(v)


def _parts(dotted: str) -> list:
    """The parts of a dotted key as written in TOML (``a.b."999"``): a quoted part stays quoted."""
    return [SingleKey(q, t=KeyType.Basic) if q else bare
            for q, bare in re.findall(r'"([^"]*)"|([^.]+)', dotted)]


def _key(dotted: str):
    parts = _parts(dotted)
    return tomlkit.key([p if isinstance(p, str) else p.key for p in parts]) if len(parts) > 1 else parts[0]


class Document:
    """A TOML file written line by line, with comments: ``comment`` a ``# line``, ``table`` a
    ``[header]`` (after a blank line), ``set`` a ``key = value`` with an optional trailing
    ``# note`` (``gap`` spaces before it). Keys and table names are dotted as written in TOML
    (``on_scene.G1``, ``demand.channels."999"``)."""

    def __init__(self, gap: str = "   ", empty_table: str = ""):
        self._doc = tomlkit.document()
        self._at = self._doc
        self._gap = gap
        self._empty_table = empty_table   # how an empty inline table is written: {<empty_table>}

    def _note(self, item: Item, note: str | None) -> Item:
        if note is not None:
            item.comment(note)
            item.trivia.comment_ws = self._gap
        return item

    def comment(self, text: str) -> None:
        self._at.add(tomlkit.comment(text))

    def set(self, key: str, value, note: str | None = None) -> None:
        """``key = value   # note`` (``value`` may hold items made here: ``number``, ``array_rows``)."""
        self._at.add(_key(key), self._note(_plain_value(value, self._empty_table), note))

    def table(self, name: str, note: str | None = None) -> None:
        """Start the table ``[name]``; what is set next goes in it."""
        *outer, last = _parts(name)
        at = self._doc
        for part in outer:   # the enclosing tables: the ones already written, else header-less ones
            k = part if isinstance(part, str) else part.key
            if k not in at:
                at.add(part, tomlkit.table(is_super_table=True))
            at = at[k]
        t = self._note(tomlkit.table(), note)
        at.add(last, t)
        self._at = t

    def text(self) -> str:
        return self._doc.as_string()


def number(x, spec: str) -> Item:
    """A number written with a format spec (``number(7.5, "g")``: ``7.5``; ``number(8.0, "g")``: ``8``)."""
    return tomlkit.value(format(x, spec))


def array_rows(rows: list[list], indent: str) -> Item:
    """An array written a row to a line, the first row beside the ``[``, the next ones under it
    (``indent`` before each), no trailing comma: ``["a", "b",\\n<indent>"c", "d"]``. Rows of
    two or more items."""
    if any(len(r) < 2 for r in rows):
        raise ValueError("array_rows: rows of two or more items")
    a = tomlkit.array()
    for i, row in enumerate(rows):
        items = [_plain_value(x) for x in row]
        last = i == len(rows) - 1
        a.add_line(*(items[:-1] if last else items), indent=indent if i else "", newline=i > 0)
        if last:
            a.add_line(items[-1], indent=" ", newline=False, add_comma=False)
    return a
