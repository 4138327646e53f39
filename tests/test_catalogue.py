"""The KPI catalogue names only KPIs that exist, and gives every KPI the report's table shows a
label, a meaning and a direction."""
from sim.measures.catalogue import CATALOGUE, HIGHER, LOWER, NEITHER, better, label, row_label, words
from sim.measures.kpis import KPIS
from sim.report.figures.forest import FOREST_KPIS
from sim.report.kpi_table import HEADLINE_KPIS, HEADLINES, NAMES


def test_the_catalogue_names_only_kpis_that_exist():
    names = {k.name for k in KPIS} | {"meets_recommendation"}
    assert set(CATALOGUE) - names == set()


def test_every_kpi_the_report_shows_has_words_and_a_direction():
    for k in HEADLINE_KPIS + FOREST_KPIS:
        w = words(k)
        assert w.label and w.meaning, k
        assert w.better in (HIGHER, LOWER, NEITHER)
    assert [h[0] for h in HEADLINES] == list(HEADLINE_KPIS)
    assert NAMES["high_risk_resource_downgrades"] == label("high_risk_resource_downgrades")
    assert row_label("high_risk_resource_downgrades").startswith("…")


def test_directions_read_as_a_planner_would():
    assert better("resource_downgrades_per_week") == LOWER
    assert better("g1_in_target") == HIGHER
    assert better("unit_utilisation") == NEITHER
    assert better("no_such_kpi") == NEITHER and label("no_such_kpi") == "no_such_kpi"


def test_the_command_lines_summary_writes_each_value_as_the_catalogue_says():
    from sim.cli.printout import HEADLINES as PRINTED, fmt

    assert all(words(k).printed for k in PRINTED)
    assert fmt("g1_in_target", 0.756) == "75.6%" and fmt("g1_response_p90", 12.34) == "12.3 min"
    assert fmt("neighbourhood_hours_lost_per_week", 0.2) == "0 h" and fmt("g1_in_target", float("nan")) == "n/a"
