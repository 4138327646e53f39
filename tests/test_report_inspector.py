"""The run report an inspector hands on (issue 25): no legend over data and nothing clipped in the
figures of a run and a compare; every KPI row states its unit and period; the verdicts read
right (0 downgrades is not "meets it in 0%"; recommendation 1 has a stated standard); tables and
figures by incident category and by month; report.pdf written, valid, with the figures in it."""
from __future__ import annotations

import io
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from conftest import DEFAULT, run_triage
from figure_checks import clipped_texts, legend_overlaps
from sim.measures.catalogue import PERIOD_RULE, RECOMMENDATION_1, unit_period
from sim.report.figure_jobs import figure_jobs, figure_subtitle
from sim.report.figures.drawing import Output, save
from sim.report.figures.style import RC, legend_outside
from sim.report.folder import load_folder
from sim.report.kpi_table import HEADLINE_KPIS, kpi_headings, kpi_table_data
from sim.report.verdicts import compare_lines, run_lines


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("inspector") / "run"
    p = run_triage("run", DEFAULT, "--days", 7, "--warmup-days", 1, "--reps", 2, "--jobs", 1, "--out", out, "--quiet")
    assert p.returncode == 0, p.stderr
    return out


@pytest.fixture(scope="module")
def compare_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("inspector") / "compare"
    p = run_triage("compare", DEFAULT, "scenarios/late-shift-plus-10.toml", "--reps", 2, "--days", 3,
                   "--warmup-days", 1, "--jobs", 1, "--out", out, "--quiet")
    assert p.returncode == 0, p.stderr
    return out


# ------------------------------------------------------------------------------- figures
def test_the_checker_sees_a_legend_over_data_and_a_clipped_label():
    """The checks themselves can fail: a key inside the axes over a line is found, one beside
    the axes is not; a title past the right edge is found."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6, 4), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        x = np.linspace(0, 10, 200)
        ax.plot(x, np.full_like(x, 5.0), label="flat line across the middle")
        ax.set_ylim(0, 10)
        ax.legend(loc="center")
        assert any("flat line" in s for s in legend_overlaps(fig))
        legend_outside(ax)
        assert legend_overlaps(fig) == []
        fig.text(0.9, 0.5, "a label that runs far past the right-hand edge of the figure")
        assert clipped_texts(fig)


def _drawn(folder):
    f = load_folder(folder)
    for job in figure_jobs(f):
        with matplotlib.rc_context(RC):
            drawn = job.fn(*job.args)
            if drawn.figure is not None:
                save(drawn.figure, Output(subtitle="" if job.own_heading else figure_subtitle(f)))
                yield drawn


@pytest.mark.parametrize("which", ["run", "compare"])
def test_no_legend_over_data_and_nothing_clipped(which, run_dir, compare_dir):
    folder = run_dir if which == "run" else compare_dir
    seen = []
    for drawn in _drawn(folder):
        seen.append(drawn.slug)
        assert legend_overlaps(drawn.figure) == [], drawn.slug
        assert clipped_texts(drawn.figure) == [], drawn.slug
    assert {"1-demand-capacity", "5-utilisation-overtime", "9-by-category", "10-by-month"} <= set(seen)


def test_the_page_scales_every_figure_to_its_width_at_1280_px(run_dir):
    html = (run_dir / "report.html").read_text()
    assert re.search(r"figure img\{max-width:100%;height:auto", html)
    pytest.importorskip("playwright")
    from sim.app.browser import browser_page, chromium

    if chromium() is None:
        pytest.skip("no chromium")
    with browser_page(1280, 900) as page:
        page.goto((run_dir / "report.html").as_uri())
        widths = page.evaluate("""() => [document.documentElement.clientWidth, document.documentElement.scrollWidth,
            Array.from(document.querySelectorAll('figure img')).map(i => [i.getBoundingClientRect().right,
                                                                          i.clientWidth, i.naturalWidth])]""")
    client, scroll, imgs = widths
    assert scroll <= client and len(imgs) >= 8
    assert all(right <= client and 0 < shown <= natural for right, shown, natural in imgs)


def test_captions_say_counts_a_reader_can_take(compare_dir):
    from sim.report.figures.demand import more_or_fewer

    assert more_or_fewer("B: x", 35.2, 41.0, "A: y") == "B: x has 35 effective units at that hour, 6 fewer than A"
    assert "more than A" in more_or_fewer("B", 47, 41, "A") and "as many as A" in more_or_fewer("B", 41.2, 41, "A")
    html = (compare_dir / "report.html").read_text()
    assert not re.search(r"[+−-]\d+ effective units", html)


def _arm(name, shifts, prof):
    from sim.report.figures.arms import ArmView

    scen = {"run": {"days": 7, "warmup_days": 0}, "response": {"shifts": shifts}}
    return ArmView(name, name, prof, {"overtime_hours": {"mean": 35.0}, "max_pending": {"mean": 9.0}}, scen, {})


def test_captions_for_arm_a_name_a_shift_of_a():
    """A's busiest moment is put down to one of A's own shifts, even when B starts a shift A
    does not have (the pending caption named B's new shift for A) or ends one at the same hour."""
    from sim.report.figures.pending import fig_pending
    from sim.report.figures.utilisation import fig_utilisation

    slots = np.arange(672) * 0.25
    waiting = np.where(np.isclose(slots, 4 * 24 + 19), 9.0, 0.0)   # A's peak: Fri 19:00
    how = np.arange(168, dtype=float)
    over = np.where(how % 24 == 0, 5.0, 0.0)                       # all overtime at midnight
    prof = pd.concat([pd.DataFrame({"profile": "pending", "key": "", "x": slots, "value": waiting, "replication": 0}),
                      pd.DataFrame({"profile": "overtime_hours", "key": "", "x": how, "value": over,
                                    "replication": 0})])
    a = _arm("A", {"early": {"start": "07:00", "hours": 10, "units": 5},
                   "late": {"start": "16:00", "hours": 8, "units": 5},
                   "night": {"start": "22:00", "hours": 10, "units": 5}}, prof)
    b = _arm("B", {"evening": {"start": "20:00", "hours": 4, "units": 5},
                   "early": {"start": "07:00", "hours": 10, "units": 5},
                   "night": {"start": "22:00", "hours": 10, "units": 5}}, prof)
    with matplotlib.rc_context(RC):
        pending = fig_pending([a, b]).caption
        overtime = fig_utilisation([a, b]).caption
    assert "before the night shift starts at 22:00" in pending and "evening" not in pending
    assert "late shift" in overtime and "evening" not in overtime


# ------------------------------------------------------------------------------- KPI table
def test_every_headline_kpi_has_a_unit_and_a_period():
    periods = ("per week", "over the measured days", "of replications")
    for k in HEADLINE_KPIS:
        text = unit_period(k)
        assert any(p in text for p in periods), (k, text)
    assert "per week" in PERIOD_RULE


@pytest.mark.parametrize("which", ["run", "compare"])
def test_every_kpi_row_states_its_unit_and_period(which, run_dir, compare_dir):
    f = load_folder(run_dir if which == "run" else compare_dir)
    data = kpi_table_data(f)
    col = kpi_headings(data).index("unit and period") - 1   # cells follow the KPI's name
    rows = [r for r in data["rows"] if r["na"] is None]
    assert len(rows) == len(HEADLINE_KPIS)
    for r in rows:
        unit = r["cells"][col][0]
        assert re.search(r"per week|over the 7 measured days|over the 3 measured days|of replications", unit), \
            (r["name"], unit)
    html = ((run_dir if which == "run" else compare_dir) / "report.html").read_text()
    assert "<th>unit and period</th>" in html and PERIOD_RULE in html
    assert "hours over" not in html and "incidents over" not in html   # the old mixed units


def test_open_work_at_0700_never_counts_an_empty_interval_below_zero():
    from sim.measures.kpis import _intervals_covering

    lo, hi = np.array([10.0, 5.0]), np.array([20.0, 3.0])   # the second: resourced before it fell due
    assert _intervals_covering(lo, hi, np.array([4.0, 15.0, 25.0])).tolist() == [0, 1, 0]


# ------------------------------------------------------------------------------- verdicts
def test_zero_downgrades_never_reads_meets_it_in_zero_percent():
    kpis = {"resource_downgrades_per_week": 0.0, "meets_recommendation": 0.0, "g1_in_target": 0.95,
            "g2_in_target": 0.851}
    line = run_lines(kpis)[-1]
    assert "meets it in 0%" not in line
    assert "MEETS its standard" in line and "G2 in target 85.1% against 90%" in line
    table = pd.DataFrame([
        {"kpi": "resource_downgrades_per_week", "mean_a": 0.0, "mean_b": 0.0, "diff": 0.0, "ci_low": 0.0, "ci_high": 0.0},
        {"kpi": "meets_recommendation", "mean_a": 0.0, "mean_b": 0.0, "diff": 0.0, "ci_low": 0.0, "ci_high": 0.0},
        {"kpi": "g1_in_target", "mean_a": 0.95, "mean_b": 0.96, "diff": 0.01, "ci_low": 0.0, "ci_high": 0.02},
        {"kpi": "g2_in_target", "mean_a": 0.85, "mean_b": 0.86, "diff": 0.01, "ci_low": 0.0, "ci_high": 0.02}])
    line = compare_lines(table)[-1]
    assert "meets it in" not in line and "A within it, B within it" in line
    assert "A keeps downgrades within tolerance but misses G2 in target 85.0% against 90%" in line


def test_recommendation_1_is_judged_against_a_stated_standard(run_dir):
    assert RECOMMENDATION_1.aim == 0.90 and RECOMMENDATION_1.passes(0.95) and not RECOMMENDATION_1.passes(0.58)
    low = run_lines({"vulnerable_identified": 0.58, "vulnerable_undergraded_per_week": 38.2})[0]
    high = run_lines({"vulnerable_identified": 0.93, "vulnerable_undergraded_per_week": 3.0})[0]
    assert "does NOT meet its standard" in low and RECOMMENDATION_1.text in low
    assert "MEETS its standard" in high
    html = (run_dir / "report.html").read_text().replace("&#x27;", "'")
    assert RECOMMENDATION_1.text in html


# ------------------------------------------------------------------------------- by category, by month
def test_tables_and_figures_by_category_and_by_month(run_dir):
    from sim.report.figures.breakdowns import breakdown

    f = load_folder(run_dir)
    a = f.arms[0]
    cat = breakdown(a, "category")
    assert len(cat) >= 5 and "domestic_abuse" in set(cat["key"])
    # the categories' downgrades add up to the KPI, per week
    assert cat["resource_downgrades"].sum() == pytest.approx(a.kpi("resource_downgrades_per_week"), rel=1e-9)
    month = breakdown(a, "month")
    assert month["days"].sum() == pytest.approx(7.0) and list(month["key"]) == sorted(month["key"])
    html = (run_dir / "report.html").read_text()
    assert "<h3>By incident category</h3>" in html and "<h3>By month</h3>" in html
    assert "too short for a seasonal reading" in html   # 7 days: said, not implied
    assert (run_dir / "figures" / "9-by-category.png").exists() and (run_dir / "figures" / "10-by-month.png").exists()


def test_results_written_before_the_breakdowns_leave_both_figures_out_with_a_note(run_dir):
    from sim.report.figures.breakdowns import fig_category, fig_month

    arm = load_folder(run_dir).arms[0]
    p = arm.profiles
    arm.profiles = p[~p["profile"].astype(str).str.startswith(("category_", "month_"))]   # as an older run's
    for fn, what in ((fig_category, "incident category"), (fig_month, "month")):
        drawn = fn([arm])
        assert drawn.figure is None and f"no breakdown by {what}" in drawn.note


def test_a_run_over_whole_months_gets_no_seasonal_caveat():
    from sim.report.figures.breakdowns import seasonal_note

    short = pd.DataFrame({"key": ["2016-09", "2016-10"], "days": [23.0, 5.0]})
    year = pd.DataFrame({"key": [f"2016-{m:02d}" for m in range(1, 13)], "days": [31.0] * 12})
    assert "too short" in seasonal_note(short) and seasonal_note(year) == ""


# ------------------------------------------------------------------------------- the PDF
def test_a_pdf_is_written_with_verdicts_tables_and_every_figure(run_dir, triage):
    from pypdf import PdfReader

    pdf = run_dir / "report.pdf"
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-"
    reader = PdfReader(io.BytesIO(data))
    pngs = sorted((run_dir / "figures").glob("*.png"))
    images = set()   # image objects (a two-page group of figures shares one resource dictionary)
    for page in reader.pages:
        for ref in page["/Resources"].get("/XObject", {}).values():
            if ref.get_object()["/Subtype"] == "/Image":
                images.add(ref.idnum if hasattr(ref, "idnum") else id(ref))
    assert len(images) == len(pngs) == 9
    assert 4 <= len(reader.pages) <= 8   # two text pages, then the figures two to a page where they fit
    first = reader.pages[0].extract_text()
    assert "Verdict on HMIC" in first and "per week" in first and RECOMMENDATION_1.text.split(" at first")[0][:20] in first
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "By incident category" in text and "Figure 10." in text
    for page in reader.pages:   # A4, portrait
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(w - 595.4) < 1.5 and abs(h - 841.7) < 1.5
    p = triage("report", run_dir)   # drawn again: the same bytes
    assert p.returncode == 0, p.stderr
    assert pdf.read_bytes() == data
