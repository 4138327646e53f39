"""The report: figures and a self-contained ``report.html`` for a results folder.

``write_report(folder)`` reads only the saved files of a ``run``, ``compare`` or ``sweep``
folder (``sim.report.folder``), so it works on old runs and never re-runs anything. It writes
``figures/*.png`` and ``report.html`` (images embedded as data URIs, no external references: it
opens offline and can be e-mailed as one file). Output is deterministic: the same folder gives the
same bytes.

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
import html
import os
import re
from pathlib import Path

from sim.experiment.replications import FolderError
from sim.report.assumptions import assumptions_html
from sim.report.audit_section import audit_html
from sim.report.figure_jobs import build_figures
from sim.report.figures import Fig, plural
from sim.report.folder import Folder, load_folder, replications_text, run_days, run_shape
from sim.report.kpi_table import few_reps_note, kpi_table
from sim.report.reproduce import reproduce_html
from sim.report.verdict_sentence import verdict

FIGURE_NAMES = re.compile(r"^\d+[a-z]?-[a-z0-9-]+\.(png|svg|pdf)$")

CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;color:#1a1a1a;background:#fff;margin:0;line-height:1.45}
main{max-width:1240px;margin:0 auto;padding:1.2em 2em 3em}
h1{font-size:1.8em;margin:.2em 0}
h2{font-size:1.4em;border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
h3{font-size:1.12em;margin:1.3em 0 .4em}
.sub{color:#555;margin-top:0}
.verdict{font-size:1.22em;padding:.8em 1em;border-left:8px solid #888;background:#f4f4f4}
.verdict.fail{border-color:#b2182b;background:#fbeeee}
.verdict.pass{border-color:#1a9850;background:#eef8ee}
.verdict.mixed{border-color:#e69f00;background:#fdf6e6}
table{border-collapse:collapse;margin:.6em 0;font-size:.95em}
th,td{border:1px solid #d0d0d0;padding:.3em .55em;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.na{color:#777;font-style:italic}
tr.cheapest td{background:#e3f4e3;font-weight:bold}
.unit{font-weight:normal;color:#555;font-size:.9em}
figure{margin:1.6em 0 2.2em}
figure img{max-width:100%;height:auto;border:1px solid #e3e3e3}
figcaption{font-size:1.05em;margin-top:.4em}
.note{color:#6b4e00;background:#fff8e1;border-left:4px solid #e6a800;padding:.4em .8em}
.small{font-size:.9em;color:#555}
.flag{font-size:.8em;color:#fff;background:#b2182b;padding:0 .35em;border-radius:3px}
code,pre{font-family:"DejaVu Sans Mono",Consolas,monospace;font-size:.92em}
pre{background:#f5f5f5;padding:.6em .8em;overflow-x:auto;white-space:pre-wrap}
ul.plain{list-style:none;padding-left:0}
table.settings td:first-child{white-space:nowrap}
table.audit{font-size:.88em}
"""


def _figure_html(i: int, fig: Fig, data: bytes | None) -> str:
    number = fig.slug.split("-", 1)[0] if re.match(r"^\d+[a-z]?-", fig.slug) else str(i)
    head = f"<h3>Figure {_e(number)}. {_e(fig.title)}</h3>"
    if fig.png is None:
        return f"<div class=\"figure-missing\" id=\"fig-{_e(fig.slug)}\">{head}<p class=\"note\">{_e(fig.note)}</p></div>"
    b64 = base64.b64encode(data).decode("ascii")
    note = f"<p class=\"note\">{_e(fig.note)}</p>" if fig.note else ""
    return (f"<figure id=\"fig-{_e(fig.slug)}\">{head}<img src=\"data:image/png;base64,{b64}\" "
            f"alt=\"{_e(fig.title)}\"><figcaption>{_e(fig.caption)}</figcaption>{note}</figure>")


def _recommendation_lines(f: Folder) -> str:
    """Each of HMIC's two recommendations judged separately (sim.report.verdicts)."""
    from sim.report.verdicts import compare_lines, run_lines

    if f.kind == "compare" and f.comparison is not None and not f.comparison.empty:
        lines = compare_lines(f.comparison)
    elif f.kind == "run" and f.arms:
        lines = run_lines({k: f.arms[0].kpi(k) for k in f.arms[0].kpis})
    else:
        lines = []
    if not lines:
        return ""
    return ("<p class=\"small\">Each recommendation on its own:</p><ul>"
            + "".join(f"<li>{_e(x)}</li>" for x in lines) + "</ul>")


def render_html(f: Folder, figs: list[Fig]) -> str:
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
    parts = [
        "<!DOCTYPE html>",
        "<html lang=\"en\">",
        "<head>",
        "<meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>{_e('triage-sim report: ' + title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{_e(title)}</h1>",
        f"<p class=\"sub\">{_e(sub)}</p>",
        "<section id=\"verdict\">",
        "<h2>Verdict on HMIC's recommendation</h2>",
        "<p class=\"small\">HMIC (2016): the response should be determined by the initial assessment of risk, "
        "not by the availability of response officers. Judged here as: resource-driven downgrades per week within "
        "the scenario's tolerance, and G1 and G2 incidents attended within the standard of their initial grade "
        "at the stated aims.</p>",
        f"<p class=\"verdict {cls}\">{_e(sentence)}</p>",
        _recommendation_lines(f),
        "</section>",
        "<section id=\"kpis\">",
        "<h2>Headline KPIs with 95% confidence intervals</h2>",
        few_reps_note(f),
        kpi_table(f),
        "</section>",
        "<section id=\"downgrades\">",
        "<h2>Downgrade audit</h2>",
        audit_html(f),
        "</section>",
        "<section id=\"figures\">",
        "<h2>Figures</h2>",
    ]
    for i, fig in enumerate(figs, 1):
        parts.append(_figure_html(i, fig, fig.png))
    parts += [
        "</section>",
        "<section id=\"assumptions\">",
        "<h2>Assumptions and sources</h2>",
        assumptions_html(f),
        "</section>",
        "<section id=\"reproduce\">",
        "<h2>How to reproduce</h2>",
        reproduce_html(f),
        "</section>",
        "</main>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


# ---------------------------------------------------------------------------- writing
def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_report(folder: Path, formats=("png",), title: str | None = None) -> Path:
    """Draw the figures (``figures/*.<format>`` for each of ``formats``; the report embeds the
    PNGs) and write ``report.html`` for a saved results folder; returns its path."""
    f = load_folder(Path(folder))
    if f.damaged:   # a report drawn from it would replace good figures with gaps: leave them as they are
        raise FolderError(f"{f.root}: {'; '.join(f.damaged)}; the existing figures and report are left as "
                          "they are (rerun with --resume, or rerun the experiment)")
    figs = build_figures(f, formats, title)   # every figure drawn in memory before anything is written
    fig_dir = f.root / "figures"
    fig_dir.mkdir(exist_ok=True)
    written = set()
    for fig in figs:
        if fig.png is None:
            continue
        for fmt in formats:
            name = f"{fig.slug}.{fmt}"
            _atomic_write(fig_dir / name, fig.png if fmt == "png" else fig.other[fmt])
            written.add(name)
    for old in fig_dir.iterdir():   # a figure now left out (or a format not asked) must not linger
        if FIGURE_NAMES.match(old.name) and old.name not in written:
            old.unlink()
    out = f.root / "report.html"
    _atomic_write(out, render_html(f, figs).encode("utf-8"))
    return out


def _e(x) -> str:
    return html.escape(str(x), quote=True)
