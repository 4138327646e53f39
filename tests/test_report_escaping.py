"""Every HTML page is a Jinja2 template with autoescaping (sim.report.templating): a scenario's
name, description, sources or comments, a map's name or a command line cannot inject markup into
a run report or a fit or back-test report, and values are escaped exactly as html.escape did
before the templates (the pages kept their bytes)."""
from __future__ import annotations

import pytest

import html

from markupsafe import Markup

from sim.data.report import backtest_page, fit_page
from sim.experiment.replications import run_experiment
from sim.report.page import write_report
from sim.report.templating import escape, render

from conftest import small

EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.mark.slow
def test_a_hostile_scenario_is_escaped_in_the_run_report(tmp_path):
    src = tmp_path / "evil.toml"
    src.write_text(f'# {EVIL}\n[meta]\nname = "evil{EVIL}"\ndescription = "{EVIL} & \'quotes\'"\n'
                   f'sources = ["{EVIL}"]\n\n[run]\ndays = 1   # [A] {EVIL}\n')
    scen = small(meta={"name": f"evil{EVIL}", "description": f"{EVIL} & 'quotes'", "sources": [EVIL]},
                 run={"days": 1, "warmup_days": 0})
    folder = run_experiment(scen, reps=1, jobs=1, out=tmp_path / "run", sources=[src],
                            command=f"triage-sim run {EVIL}").folder
    text = write_report(folder).read_text()
    assert "<script" not in text
    assert f"<title>triage-sim report: evil{ESCAPED}: does" in text          # the title
    assert f"{ESCAPED} &amp; &#x27;quotes&#x27;" in text                      # the description, as html.escape writes it
    assert f"<li>{ESCAPED}</li>" in text                                      # the sources it names
    assert f"[A] {ESCAPED}" in text                                           # a comment in the file
    assert f"<pre>triage-sim run {ESCAPED}</pre>" in text                     # the command


def test_a_hostile_name_is_escaped_in_the_fit_and_backtest_reports():
    png = b"\x89PNG"
    fit = fit_page(f"map{EVIL}", f"data/{EVIL}.csv", "n=1, 2025-01-01..2025-01-07", 7.0, f"{EVIL}.toml",
                   [(f"Table {EVIL}", Markup("<table></table>"))], [(f"{EVIL}.png", f"caption {EVIL}", png)],
                   "0.2.0", f"triage-sim fit {EVIL}", 7)
    back = backtest_page(f"scenario{EVIL}", f"{EVIL}.csv", 2, 7, 24.0, [], [], "0.2.0", f"triage-sim backtest {EVIL}")
    for page in (fit, back):
        assert "<script" not in page and ESCAPED in page
    assert f"<title>Fit: map{ESCAPED}</title>" in fit and "<table></table>" in fit   # a Markup table stays as it is
    assert f"<img alt='{ESCAPED}.png'" in fit
    assert f"<code>scenario{ESCAPED}</code>" in back


def test_values_are_escaped_as_html_escape_does():
    for value in ("a & b", "<x>", "'single' \"double\"", 3, 1.5, None):
        assert escape(value) == html.escape(str(value), quote=True)
    assert escape(Markup("<b>")) == "<b>"
    # through a template too, in text and in attributes
    page = fit_page("'q' \"q\"", "s", "t", 1.0, "b", [], [("'n'", "c", b"")], "v", "c", 1)
    assert "Fit: &#x27;q&#x27; &quot;q&quot;" in page and "alt='&#x27;n&#x27;'" in page


def test_a_line_template_is_one_line():
    out = render("fit_calibration.line.html.j2", rows=[("late", 3, "1.000", "10", "5.0", "5.1")], evaluations=2)
    assert "\n" not in out and out.startswith("<table><tr><th>shift</th>") and "<td>late</td>" in out
