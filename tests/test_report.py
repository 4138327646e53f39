"""Reports: every figure is drawn for a small run, the HTML is well-formed and self-contained,
and the report regenerates byte for byte from the saved results folder alone."""
from __future__ import annotations

import html
import html.parser
import json
import re
import shutil
from pathlib import Path

import matplotlib.image
import pandas as pd
import pytest

from sim.experiment.replications import compare, run_experiment, sweep
from sim.report.assumptions import parse_settings
from sim.report.folder import load_folder
from sim.report.page import write_report

from conftest import small

RUN_FIGURES = ("1-demand-capacity", "2-downgrades-heatmap", "3-response-standards", "4-pending-week",
               "5-utilisation-overtime", "6-call-handling", "8-first-recommendation", "9-by-category", "10-by-month")
COMPARE_FIGURES = ("1-demand-capacity", "2-downgrades-heatmap", "3a-response-by-initial-grade",
                   "3b-response-by-true-risk", "4-pending-week", "5-utilisation-overtime", "6-call-handling",
                   "7-paired-differences", "8-first-recommendation", "9-by-category", "10-by-month")
SWEEP_FIGURES = ("1-sweep-recommendation", "2-sweep-kpis", "3-sweep-downgrades-by-hour", "4-sweep-pending")
SOURCE = """# a small scenario for the report tests
[meta]
name = "small"
sources = ["A named source, 2016"]

[run]
days = 3            # [A] measured period
seed = 7

[response.shifts]
# response units on duty [A, shaped by a named source]
day = { start = "06:00", hours = 12, units = 4 }
night = { start = "18:00", hours = 12, units = 3 }

[standards]
g2_minutes = 60     # [S] national standard
month = [1, 2,      # a multi-line value
         3]         # [D] from a sourced figure
"""


def _scenario(**changes):
    # a busy force (downgrades happen) with borrowable neighbourhood officers
    return small(run={"days": 2, "warmup_days": 0}, **changes)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    src = root / "small.toml"
    src.write_text(SOURCE)
    run = run_experiment(_scenario(), reps=2, jobs=1, out=root / "run", sources=[src], command="triage-sim run x").folder
    cmp_ = compare(_scenario(), _scenario(response={"shifts": {"day": {"units": 6}}}), reps=2, jobs=1,
                   out=root / "cmp").folder
    # generous thresholds: some points meet the recommendation, so the cheapest one is marked
    easy = _scenario(recommendation={"downgrades_per_week_tolerance": 1000, "g1_aim": 0.0, "g2_aim": 0.0})
    swp = sweep(easy, {"response.shifts.day.units": [3, 5], "response.shifts.night.units": [2, 4]}, reps=2,
                jobs=1, out=root / "sweep").folder
    return {"run": run, "compare": cmp_, "sweep": swp, "root": root}


@pytest.fixture(scope="module")
def reports(folders):
    return {k: write_report(folders[k]) for k in ("run", "compare", "sweep")}


class _Checker(html.parser.HTMLParser):
    VOID = {"meta", "img", "br", "hr", "link", "input", "source", "wbr", "col", "area", "base", "embed"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.imgs, self.ids = [], [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if "id" in a:
            self.ids.append(a["id"])
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def _check_html(path: Path) -> _Checker:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    c = _Checker()
    c.feed(text)
    c.close()
    assert not c.errors and not c.stack, (c.errors, c.stack)
    # self-contained: nothing fetched from anywhere
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", text), "a reference to an outside file"
    assert "<script" not in text and "<link" not in text and "@import" not in text and "url(" not in text
    assert c.imgs and all(s.startswith("data:image/png;base64,") for s in c.imgs)
    for section in ("verdict", "kpis", "figures", "assumptions", "reproduce"):
        assert section in c.ids
    return c


def _assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = matplotlib.image.imread(path)
    assert img.shape[1] >= 1000 and img.shape[0] >= 350     # large enough to project
    assert img.std() > 0.01                                  # something is drawn


def _pngs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "figures").glob("*.png"))}


@pytest.mark.slow
def test_run_report_draws_every_figure(folders, reports):
    folder = folders["run"]
    assert reports["run"] == folder / "report.html"
    for name in RUN_FIGURES:
        _assert_png(folder / "figures" / f"{name}.png")
    c = _check_html(reports["run"])
    assert len(c.imgs) == len(RUN_FIGURES)
    text = reports["run"].read_text()
    assert "HMIC" in text and "95% CI" in text and "triage-sim run x" in text


@pytest.mark.slow
def test_compare_and_sweep_reports(folders, reports):
    for name in COMPARE_FIGURES:
        _assert_png(folders["compare"] / "figures" / f"{name}.png")
    _check_html(reports["compare"])
    assert "B − A" in reports["compare"].read_text()
    for name in SWEEP_FIGURES:
        _assert_png(folders["sweep"] / "figures" / f"{name}.png")
    _check_html(reports["sweep"])
    text = reports["sweep"].read_text()
    # day=3, night=2 is the cheapest point meeting the (generous) thresholds
    assert "cheapest point that meets HMIC" in text and "units on the day shift = 3, units on the night shift = 2" in text
    assert 'class="cheapest"' in text


@pytest.mark.slow
def test_report_regenerates_identically(folders, reports, tmp_path):
    for kind in ("run", "compare", "sweep"):
        folder = folders[kind]
        first_html, first_pngs = reports[kind].read_bytes(), _pngs(folder)
        # a copy of the folder as saved (no figures, no report), drawn again from its files alone
        copy = tmp_path / kind / folder.name
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("figures", "report.html"))
        write_report(copy)
        assert (copy / "report.html").read_bytes() == first_html
        assert _pngs(copy) == first_pngs


@pytest.mark.slow
def test_missing_profile_gives_a_note_not_a_figure(folders, reports, tmp_path):
    copy = tmp_path / "old-run"
    shutil.copytree(folders["run"], copy)
    prof = pd.read_parquet(copy / "profiles.parquet")
    prof[~prof["profile"].isin(["pending", "sl_999_10s"])].to_parquet(copy / "profiles.parquet", index=False)
    (copy / "plan.json").unlink()     # an old folder: the layout is recognised from its files
    write_report(copy)
    assert not (copy / "figures" / "4-pending-week.png").exists()     # the stale one is removed too
    _assert_png(copy / "figures" / "6-call-handling.png")              # still drawn: 101 abandonment
    text = copy.joinpath("report.html").read_text()
    assert "no pending profile" in text and "no sl_999_10s profile" in text
    _check_html(copy / "report.html")


@pytest.mark.slow
def test_no_downgrades_and_no_borrowing_are_said_not_drawn(tmp_path):
    scen = _scenario(policy={"kind": "none"})
    folder = run_experiment(scen, reps=2, jobs=1, out=tmp_path / "none").folder
    write_report(folder)
    assert not (folder / "figures" / "2-downgrades-heatmap.png").exists()
    text = (folder / "report.html").read_text()
    assert "no resource-driven downgrades happened (policy: none)" in text
    assert "no neighbourhood officers were borrowed under this policy (none)" in text
    assert "were not saved with this run" in text        # no sources/ folder: said, not guessed
    _check_html(folder / "report.html")


@pytest.mark.slow
def test_assumptions_come_from_the_scenario_comments(folders, reports):
    text = reports["run"].read_text()
    assert "A named source, 2016" in text
    assert "response.shifts" in text and "[A, shaped by a named source]" in text
    assert "standards.g2_minutes" in text and "[S] national standard" in text
    # run.days is 3 in the file but 2 in this run
    assert "run.days</code>: 3 in the file; this run: 2" in text


def test_parse_settings_attaches_comments():
    items, base = parse_settings(SOURCE, "small.toml")
    by = {s.path: s for s in items}
    assert base is None
    assert by["run.days"].cls == "A" and by["run.seed"].cls is None
    assert by["response.shifts"].kind == "table" and by["response.shifts"].cls == "A"
    assert "day = {" in by["response.shifts"].value and "night = {" in by["response.shifts"].value
    assert by["standards.g2_minutes"].cls == "S"
    assert by["standards.month"].value == "[1, 2, 3]" and by["standards.month"].cls == "D"
    top, base = parse_settings('base = "x.toml"\n[a]\nb = 1   # note\n', "top.toml")
    assert base == "x.toml" and [s.path for s in top] == ["a", "a.b"]


@pytest.mark.slow
def test_load_folder_reads_layouts(folders, reports):
    assert load_folder(folders["run"]).kind == "run"
    c = load_folder(folders["compare"])
    assert c.kind == "compare" and [a.name for a in c.arms] == ["a", "b"] and c.comparison is not None
    s = load_folder(folders["sweep"])
    assert s.kind == "sweep" and len(s.arms) == 4 and s.keys == ["response.shifts.day.units",
                                                                 "response.shifts.night.units"]


def _figcaption(text: str, slug: str) -> str:
    m = re.search(rf'id="fig-{re.escape(slug)}".*?<figcaption>(.*?)</figcaption>', text, re.S)
    assert m, slug
    return html.unescape(m.group(1))


def _share(d: pd.Series) -> str:
    return f"{d['mean'] * 100:.1f}%"


@pytest.mark.slow
def test_figure3_in_target_numbers_are_the_summary_kpis(folders, reports):
    """Figure 3's headline share within standard is the KPI (g1/g2/g3_in_target) from summary.csv,
    with its CI; curve readings at the standard lines are labelled as something else."""
    summary = pd.read_csv(folders["run"] / "summary.csv").set_index("kpi")
    caption = _figcaption(reports["run"].read_text(), "3-response-standards")
    head = caption.split("In target (KPI, as in the KPI table): ", 1)[1].split(". ", 1)[0]
    for g in (1, 2, 3):
        row = summary.loc[f"g{g}_in_target"]
        m = re.search(rf"\bG{g} (\d+\.\d%|n/a)( \(95% CI (\d+\.\d%)–(\d+\.\d%)\))?", head)
        assert m, (g, head)
        if row["mean"] != row["mean"]:
            assert m.group(1) == "n/a"
            continue
        assert m.group(1) == _share(row)
        if row["reps"] >= 2:
            assert m.group(3) == f"{max(row['ci_low'], 0) * 100:.1f}%"
            assert m.group(4) == f"{min(row['ci_high'], 1) * 100:.1f}%"
    assert "own area's standard" in caption and "not the KPI" in caption and "scaled by the share ever attended" in caption
    assert "no KPI is defined by true risk" in caption

    # compare: figure 3a gives each arm's own KPI
    text = reports["compare"].read_text()
    caption = _figcaption(text, "3a-response-by-initial-grade")
    head = caption.split("In target (KPI, as in the KPI table): ", 1)[1].split(". ", 1)[0]
    for arm in ("a", "b"):
        s = pd.read_csv(folders["compare"] / arm / "summary.csv").set_index("kpi")
        for g in (1, 2, 3):
            row = s.loc[f"g{g}_in_target"]
            m = re.search(rf"\bG{g} A (\S+) .*? vs B (\S+) ", head)
            assert m, (g, head)
            assert m.group(1 if arm == "a" else 2) == (_share(row) if row["mean"] == row["mean"] else "n/a")
    assert "In target (KPI" not in _figcaption(text, "3b-response-by-true-risk")


def _edit_summary(folder: Path, **values) -> None:
    s = pd.read_csv(folder / "summary.csv")
    for kpi, cols in values.items():
        for c, v in cols.items():
            s.loc[s["kpi"] == kpi, c] = v
    s.to_csv(folder / "summary.csv", index=False)


@pytest.mark.slow
def test_verdict_says_cannot_be_judged_when_nothing_to_judge(folders, reports, tmp_path):
    copy = tmp_path / "empty"
    shutil.copytree(folders["run"], copy)
    nan = float("nan")
    blank = {"value": nan, "mean": nan, "ci_low": nan, "ci_high": nan, "half_width": nan, "reps": 0}
    _edit_summary(copy, meets_recommendation=blank, g1_in_target=blank, g2_in_target=blank)
    text = write_report(copy).read_text()
    verdict = html.unescape(re.search(r'<p class="verdict (\w+)">(.*?)</p>', text, re.S).group(2))
    assert "cannot be judged" in verdict and "nothing to judge" in verdict
    assert "MEETS" not in verdict and "does NOT meet" not in verdict
    assert "cannot be judged: no G1 or G2 incident" in text      # the KPI table says why, not "not produced"

    # judged in only some replications: said so
    copy2 = tmp_path / "partly"
    shutil.copytree(folders["run"], copy2)
    _edit_summary(copy2, meets_recommendation={"mean": 1.0, "ci_low": nan, "ci_high": nan, "reps": 1})
    text = write_report(copy2).read_text()
    assert "judged in 1 of 2 replications" in html.unescape(text)


@pytest.mark.slow
def test_counts_are_pluralised(tmp_path, folders, reports):
    folder = run_experiment(_scenario(), reps=1, jobs=1, out=tmp_path / "one").folder
    text = html.unescape(write_report(folder).read_text())
    assert "1 replication of 2 days" in text
    for t in (text, html.unescape(reports["run"].read_text()), html.unescape(reports["compare"].read_text())):
        assert not re.search(r"\b1 (replications|days|warm-up days|measured days)\b", t)
    assert "2 replications of 2 days" in html.unescape(reports["run"].read_text())
    # a replication that failed: the subtitle counts what was run and what produced results
    copy = tmp_path / "failed"
    shutil.copytree(folders["run"], copy)
    m = json.loads((copy / "manifest.json").read_text())
    m["replications"] = 3
    (copy / "manifest.json").write_text(json.dumps(m))
    assert "2 of 3 replications (1 failed)" in write_report(copy).read_text()


@pytest.mark.slow
def test_report_states_version_and_citation(folders, reports):
    from sim import CITATION, __version__

    text = reports["run"].read_text()
    assert f"version {__version__}" in text and "cite as" in text and html.escape(CITATION) in text
    root = Path(__file__).resolve().parents[1]
    assert (root / "LICENSE").read_text().startswith("MIT License")
    assert f"version: {__version__}" in (root / "CITATION.cff").read_text()


@pytest.mark.parametrize("unit, v, signed, want", [
    ("minutes", -0.01, True, "0.0 min"), ("share", -0.0001, True, "0.0%"), ("share", 0.02, True, "+2.0%"),
    ("incidents", -0.04, False, "0.0"), ("incidents", -5.0, True, "-5.0"), ("hours", 0.3, True, "0 h"),
])
def test_values_that_round_to_zero_have_no_sign(unit, v, signed, want):
    from sim.cli.printout import fmt as _fmt
    from sim.report.labels import fmt_kpi

    assert fmt_kpi(unit, v, signed) == want
    assert _fmt("pending_at_0700_mean", -0.02, True) == "0.0" and _fmt("g1_in_target", -0.0004) == "0.0%"


def test_an_indented_comment_line_continues_the_trailing_comment_above_it():
    text = ("[response]\nend_of_shift_minutes = 0   # [A] any job up to the last minute;\n"
            "                           #     e.g. 60 keeps units for G1s\n"
            "units_needed.G1 = { 1 = 1.0 }   # [S] one unit\n"
            "# [D] above the next key\nreserve = 2\n")
    by = {s.path: s for s in parse_settings(text, "x.toml")[0]}
    assert by["response.end_of_shift_minutes"].comment.endswith("e.g. 60 keeps units for G1s")
    assert by["response.units_needed.G1"].comment == "[S] one unit"
    assert by["response.reserve"].comment == "[D] above the next key"


@pytest.mark.slow
def test_report_shows_the_first_downgrades_and_names_the_file(folders, reports):
    text = reports["run"].read_text()
    assert '<section id="downgrades">' in text and "<code>downgrades.csv</code> beside this report" in text
    table = pd.read_csv(folders["run"] / "downgrades.csv")
    if len(table):
        assert f"{len(table)} resource-driven downgrade" in text
        assert text.count("<tr>", text.index('id="downgrades"'), text.index('id="figures"')) == min(len(table), 10) + 1
