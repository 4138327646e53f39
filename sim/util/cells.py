"""Cells that would become formulas or markup. Every CSV the project writes goes through ``write_csv``: a text cell that a spreadsheet would
read as a formula is written with a leading single quote, so a value taken from an extract, a
scenario or a user (``=cmd|' /C calc'!A0``, ``@SUM(A1)``) opens as text (the OWASP rule for CSV
injection: cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return).

Only text is touched: numbers, in numeric columns or written as text ("-1.5"), are left as they
are, so an output without such text is byte for byte what pandas writes. The quote is added in a
way that can be undone exactly (a value that already starts with quotes before a risky character
gets one more), and ``read_csv`` undoes it, so a CSV the project reads back (a trace, a
replication's audit on ``--resume``, the tables a report is drawn from) holds the values as they
were, and writing them again gives the same file.

Markdown is the other place such a value could turn into something else (``![x](http://host/)``
an image fetched, ``<img ...>`` HTML): ``markdown_text`` and ``markdown_code`` write it so that it
shows as written (the app's pages, data-quality.md).
"""
from __future__ import annotations

import re
import string

RISKY = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# a plain number written as text: not a formula in any spreadsheet, so left alone ("-3", "+1.5e-3", "-inf")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|nan)", re.IGNORECASE)


def _risky(text: str) -> bool:
    """Would a spreadsheet read ``text`` as a formula (or strip its leading control character)?"""
    return text[:1] in RISKY and not _NUMBER.fullmatch(text)


def neutral_cell(value):
    """``value`` as written to a CSV: a string that would open as a formula gets a leading quote
    (and so does one whose leading quotes hide such a string, so ``restore_cell`` is exact);
    anything else, numbers included, unchanged."""
    if isinstance(value, str) and _risky(value.lstrip(QUOTE)):
        return QUOTE + value
    return value


def restore_cell(value):
    """The value ``neutral_cell`` was given, from what it wrote (the inverse, for reading back)."""
    if isinstance(value, str) and value.startswith(QUOTE) and _risky(value[1:].lstrip(QUOTE)):
        return value[1:]
    return value


def _text_columns(df):
    """The columns of ``df`` that may hold text: object, string and categorical ones (a numeric
    column is never touched, so its bytes cannot change)."""
    import pandas as pd

    return [c for c in df.columns
            if df[c].dtype == object or isinstance(df[c].dtype, (pd.StringDtype, pd.CategoricalDtype))]


def _map_column(s, f):
    """Series ``s`` with ``f`` applied to each text value; categories are renamed instead (``f``
    is one-to-one, so they stay distinct), so a large categorical column is not expanded."""
    import pandas as pd

    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = list(s.cat.categories)
        new = [f(c) for c in cats]
        return s if new == cats else s.cat.rename_categories(new)
    new = s.map(f, na_action="ignore").astype(s.dtype)
    return s if new.equals(s) else new


def _mapped(df, f):
    """``df`` with ``f`` applied to its text cells and its column names; ``df`` itself when
    nothing changes (no copy of a large table that holds no risky text)."""
    changed = {}
    for c in _text_columns(df):
        s = _map_column(df[c], f)
        if s is not df[c]:
            changed[c] = s
    names = [f(c) for c in df.columns]
    if not changed and names == list(df.columns):
        return df
    out = df.copy(deep=False)
    for c, s in changed.items():
        out[c] = s
    out.columns = names
    return out


def neutral_frame(df):
    """``df`` as ``write_csv`` writes it: every text cell and column name through ``neutral_cell``."""
    return _mapped(df, neutral_cell)


def write_csv(df, path=None, **kwargs):
    """The project's one way to write a CSV (``DataFrame.to_csv``'s arguments; ``index=False``
    unless told): text cells neutralised first. Returns the text when ``path`` is None."""
    kwargs.setdefault("index", False)
    return neutral_frame(df).to_csv(path, **kwargs)


def read_csv(path, **kwargs):
    """A CSV the project wrote, read back (``pandas.read_csv``'s arguments) with the quotes
    ``write_csv`` added taken off again."""
    import pandas as pd

    return _mapped(pd.read_csv(path, **kwargs), restore_cell)


# CommonMark lets any ASCII punctuation be escaped with a backslash: escaping all of it leaves no
# syntax to read (nor Streamlit's :colour[...] and $LaTeX$). GFM also links bare addresses
# (http://..., www...., a@b.c) after parsing, escapes already undone: an invisible word joiner
# after ':' and '@' and between 'www' and '.' keeps them text.
_PUNCTUATION = frozenset(string.punctuation)
_JOINER = "\u2060"
_BARE_LINK = re.compile(r"(?<=[:@])|(?<=www)(?=\.)", re.IGNORECASE)


def one_line(value) -> str:
    """``value`` as text on one line: runs of whitespace (newlines too) as one space, so a value
    cannot start a new Markdown block (or end an HTML one)."""
    return " ".join(str(value).split())


def markdown_text(value) -> str:
    """``value`` (text from a user, a scenario, a map or an extract) for Markdown: on one line,
    every ASCII punctuation character backslash-escaped and bare addresses broken by an invisible
    joiner, so it shows as written and nothing in it becomes a link, an image, HTML, emphasis, a
    table cell's end, a colour or a formula."""
    text = _BARE_LINK.sub(_JOINER, one_line(value))
    return "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in text)


def markdown_code(value) -> str:
    """``value`` as a Markdown code span (shown literally, in code type): on one line, fenced by
    more backticks than any run of them inside it, padded when it starts or ends with one."""
    text = one_line(value)
    fence = "`" * (max((len(r) for r in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
