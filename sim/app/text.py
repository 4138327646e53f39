"""Numbers as the app's pages and the debrief show them, and text from outside the app (a
trainee's name, a scenario's category or shift names, a debrief file) made safe to show. Plain
functions, no Streamlit: the play logic formats its debrief with them without importing the page
helpers."""
from __future__ import annotations

import math
import string

from sim.report.labels import fmt_kpi
from sim.util.cells import markdown_text, one_line


def fmt(unit: str, v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if unit in ("callers", "incidents"):
        return f"{int(v)}"
    if unit == "":
        return str(v)
    if unit == "hours":
        return f"{v:.1f} h"
    return fmt_kpi(unit, float(v))


def ci(unit: str, lo, hi) -> str:
    if lo is None or lo != lo:
        return "no CI"
    return f"{fmt(unit, lo)} to {fmt(unit, hi)}"


def diff(unit: str, v) -> str:
    """A paired difference: points for shares, the KPI's own unit otherwise."""
    if v is None or v != v:
        return "–"
    if unit in ("share", "0/1"):
        return f"{v * 100:+.1f} pts"
    return fmt_kpi(unit, float(v), signed=True)


def diff_ci(unit: str, lo, hi) -> str:
    if lo is None or lo != lo:
        return "no CI"
    return f"{diff(unit, lo)} to {diff(unit, hi)}"


_PUNCTUATION = frozenset(string.punctuation)


def plain(value) -> str:
    """``value`` (text from a user, a scenario or a file) for a place Streamlit renders as Markdown
    (st.markdown, st.caption, alerts, expander and widget labels, st.table cells): shown as written,
    nothing in it read as Markdown (``sim.util.cells.markdown_text``). Without it a trainee named
    ``![x](http://host/)`` made every browser showing the name fetch that address."""
    return markdown_text(value)


def html_text(value) -> str:
    """``value`` for an HTML snippet the app writes itself (``unsafe_allow_html``): every ASCII
    punctuation character as a numeric character reference (so ``<``, ``&`` and quotes cannot open
    a tag or an attribute, as with ``html.escape``, and no Markdown syntax is left either, should
    the snippet be read as Markdown)."""
    return "".join(f"&#{ord(ch)};" if ch in _PUNCTUATION else ch for ch in one_line(value))


def plain_rows(rows) -> list[dict]:
    """Rows for ``st.table`` (whose cells and headings are Markdown) with every key and value
    through ``plain`` but numbers and blanks, which stay as they are. Anything but a list of dicts
    (a damaged debrief file) becomes one row of text."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return [{"": plain(rows)}]
    return [{plain(k): v if v is None or isinstance(v, (int, float)) else plain(v) for k, v in r.items()}
            for r in rows]


def html_table(rows: list[dict], cls: str = "") -> str:
    """``rows`` (dicts with the same keys) as one HTML table, every key and value through
    ``html_text``: for ``st.html``, which shows HTML as it is. A page that redraws a table at each
    click draws it as one element instead of ``st.table``, whose every cell and heading is
    Markdown (a parse and a component each in the browser: most of a Play step's cost there)."""
    heads = list(rows[0]) if rows else []
    head = "".join(f"<th>{html_text(h)}</th>" for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{html_text('' if r.get(h) is None else r.get(h))}</td>" for h in heads)
                   + "</tr>" for r in rows)
    attr = f" class='{html_text(cls)}'" if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
