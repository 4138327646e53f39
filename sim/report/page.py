"""The report: figures and a self-contained ``report.html`` for a results folder.

``write_report(folder)`` reads only the saved files of a ``run``, ``compare`` or ``sweep``
folder (``sim.report.folder``), so it works on old runs and never re-runs anything. It writes
``figures/*.png`` and ``report.html`` (images embedded as data URIs, no external references: it
opens offline and can be e-mailed as one file), and ``report.pdf`` beside it (A4 pages: verdicts,
tables, figures; ``sim.report.pdf``). Output is deterministic: the same folder gives the same bytes.

Report sections, each from its own module: the verdict on HMIC's recommendation in one sentence
with its evidence (``verdict_sentence``); the headline KPIs with 95% confidence intervals
(``kpi_table``); the downgrade audit (``audit_section``); the figures, each with one sentence on
what to read from it or a note when a figure is left out (``figure_jobs``); the scenario's
assumptions and sources, read from the comments of the scenario files ([S] sourced, [D] derived,
[A] assumed: ``assumptions``); how to reproduce the run (``reproduce``). This module puts them on
the page and writes the files.
"""
from __future__ import annotations

import base64
import re
from functools import partial
from pathlib import Path

from sim.util.errors import FolderError
from sim.report.assumptions import assumptions_html
from sim.report.audit_section import audit_html
from sim.report.breakdowns import breakdowns_html, tables as breakdown_tables
from sim.report.figure_jobs import build_parts
from sim.report.figures.drawing import Fig
from sim.report.labels import plural
from sim.report.folder import Folder, load_folder, replications_text, run_days, run_shape
from sim.report.kpi_table import kpi_headings, kpi_table, kpi_table_data
from sim.report.pdf import figure_pages, merge, text_pages
from sim.report.reproduce import reproduce_html
from sim.report.templating import render
from sim.report.verdict_sentence import verdict
from sim.report.verdicts import compare_lines, run_lines
from sim.util.files import atomic_write

FIGURE_NAMES = re.compile(r"^\d+[a-z]?-[a-z0-9-]+\.(png|svg|pdf)$")


def _figure(i: int, fig: Fig) -> dict:
    """What the page shows of a figure: its number (from its slug, else its place), the PNG as base64."""
    number = fig.slug.split("-", 1)[0] if re.match(r"^\d+[a-z]?-", fig.slug) else str(i)
    return {"number": number, "slug": fig.slug, "title": fig.title, "caption": fig.caption, "note": fig.note,
            "png": fig.png, "b64": base64.b64encode(fig.png).decode("ascii") if fig.png is not None else ""}


def _recommendation_lines(f: Folder) -> list[str]:
    """Each of HMIC's two recommendations judged separately (sim.report.verdicts)."""
    if f.kind == "compare" and f.comparison is not None and not f.comparison.empty:
        return compare_lines(f.comparison, f.arms[0].recommendation())
    if f.kind == "run" and f.arms:
        return run_lines({k: f.arms[0].kpi(k) for k in f.arms[0].kpis}, f.arms[0].recommendation())
    return []


def render_html(f: Folder, figs: list[Fig]) -> str:
    """The whole page (``sim/report/templates/report.html.j2``), each section from its own module."""
    title, sub, cls, sentence = _heading(f)
    return render("report.html.j2", title=title, sub=sub, verdict_class=cls, verdict=sentence,
                  recommendation_lines=_recommendation_lines(f), kpi_table=kpi_table(f), audit=audit_html(f),
                  breakdowns=breakdowns_html(f),
                  figures=[_figure(i, fig) for i, fig in enumerate(figs, 1)], assumptions=assumptions_html(f),
                  reproduce=reproduce_html(f))


def pdf_text_args(f: Folder) -> tuple:
    """What the PDF's text pages show (``sim.report.pdf.text_pages``), from the same parts as the page."""
    title, sub, cls, sentence = _heading(f)
    data = kpi_table_data(f)
    return (title, sub, cls, sentence, _recommendation_lines(f), data, kpi_headings(data), breakdown_tables(f))


def render_pdf(f: Folder, figs: list[Fig], text: bytes | None = None) -> bytes:
    """``report.pdf``: the verdicts, the KPI and breakdown tables, then one A4 page per figure
    (``sim.report.pdf``); the pages already drawn (``text``, each ``Fig.page``) are used as they are."""
    parts = [text if text is not None else text_pages(*pdf_text_args(f))]
    drawn = [fig.page for fig in figs if fig.page is not None]
    parts += drawn if drawn else [figure_pages(figs, _heading(f)[0])]
    return merge(parts)


def _heading(f: Folder) -> tuple[str, str, str, str]:
    """The report's title, the line under it, and the verdict (its class and sentence)."""
    cls, sentence = verdict(f)
    if f.kind == "run":
        title = f"{f.arms[0].label}: does the response follow risk or officer availability?"
        sub = f"Run of {f.arms[0].label} (policy {f.arms[0].policy})"
    elif f.kind == "compare":
        title = f"{f.arms[0].label} against {f.arms[1].label}"
        sub = f"Paired comparison: A = {f.arms[0].label}, B = {f.arms[1].label}"
    else:
        title = f"Sweep of {', '.join(f.keys)}" if f.keys else "Sweep"
        sub = f"Sweep: {len(f.arms)} points of {', '.join(f.keys)} on {f.arms[0].scenario.get('meta', {}).get('name', '')}"
    m = f.manifest
    sub += (f"; {run_shape(f) if isinstance(run_days(f), (int, float)) else replications_text(f) + ' of ? days'} after "
            f"{plural(m.get('warmup_days', '?'), 'warm-up day')}; seed {m.get('seed', '?')}")
    return title, sub, cls, sentence


# ---------------------------------------------------------------------------- writing
def write_report(folder: Path, formats=("png",), title: str | None = None) -> Path:
    """Draw the figures (``figures/*.<format>`` for each of ``formats``; the report embeds the
    PNGs) and write ``report.html`` for a saved results folder; returns its path."""
    f = load_folder(Path(folder))
    if f.damaged:   # a report drawn from it would replace good figures with gaps: leave them as they are
        raise FolderError(f"{f.root}: {'; '.join(f.damaged)}; the existing figures and report are left as "
                          "they are (rerun with --resume, or rerun the experiment)")
    # every figure drawn in memory before anything is written; the PDF's pages drawn beside them
    text, figs = build_parts(f, formats, title, page=partial(figure_pages, title=_heading(f)[0]),
                             side=(text_pages, pdf_text_args(f)))
    fig_dir = f.root / "figures"
    fig_dir.mkdir(exist_ok=True)
    written = set()
    for fig in figs:
        if fig.png is None:
            continue
        for fmt in formats:
            name = f"{fig.slug}.{fmt}"
            atomic_write(fig_dir / name, fig.png if fmt == "png" else fig.other[fmt])
            written.add(name)
    for old in fig_dir.iterdir():   # a figure now left out (or a format not asked) must not linger
        if FIGURE_NAMES.match(old.name) and old.name not in written:
            old.unlink()
    out = f.root / "report.html"
    atomic_write(out, render_html(f, figs).encode("utf-8"))
    atomic_write(f.root / "report.pdf", render_pdf(f, figs, text))   # the one an inspector attaches
    return out

