"""KPIs of HMIC's first recommendation (issue 15): the initial assessment, vulnerable callers,
supervision, and how long downgraded incidents wait for the appointment diary.

Pure functions of the event log, like ``sim.measures.kpis`` (which lists them with the others). Calls
are those arriving in the measured window, except in the KPIs of downgrades: those count the
incidents downgraded in the window, as ``resource_downgrades`` does, whenever the call came.
"Vulnerable callers" are vulnerable or repeat victims whose call was graded as an incident
(G1-G4) at first contact.
"""
from __future__ import annotations

import numpy as np

from sim.measures.shared import once
from sim.model.log import ESCALATED, REBOOKED, RESOURCE, EventLog
from sim.util.lazy import LazyModule

pd = LazyModule("pandas")   # on a replication's path: see sim.util.lazy

DAY = 1440.0


def _graded(log: EventLog) -> pd.DataFrame:
    """The window's calls graded as incidents at first contact (shared by the KPIs)."""
    def select() -> pd.DataFrame:
        c = log.window[["call_id", "arrival", "true_risk", "initial_grade", "vulnerable", "identified",
                        "first_on_scene", "area"]]
        return c[c["initial_grade"] >= 1]
    return once(log, "graded", select)


def _vulnerable(log: EventLog) -> pd.DataFrame:
    def select() -> pd.DataFrame:
        c = _graded(log)
        return c[c["vulnerable"] == 1]
    return once(log, "vulnerable", select)


def undergraded(log: EventLog) -> float:
    """Incidents graded at first contact below their true risk (a higher grade number)."""
    c = _graded(log)
    return float((c["initial_grade"] > c["true_risk"]).sum())


def vulnerable_callers(log: EventLog) -> float:
    return float(len(_vulnerable(log)))


def vulnerable_identified(log: EventLog) -> float:
    v = _vulnerable(log)
    return float((v["identified"] == 1).mean()) if len(v) else float("nan")


def vulnerable_undergraded(log: EventLog) -> float:
    v = _vulnerable(log)
    return float((v["initial_grade"] > v["true_risk"]).sum())


def _resource_downgraded_ids(log: EventLog) -> np.ndarray:
    g = log.grade_changes
    g = g[(g["time"] >= log.warmup) & (g["time"] < log.horizon) & (g["reason"] == RESOURCE) & (g["to"] > g["from"])]
    return np.unique(g["incident"].to_numpy())


def vulnerable_resource_downgraded(log: EventLog) -> float:
    ids = _resource_downgraded_ids(log)
    return float((log.calls["vulnerable"].to_numpy()[ids] == 1).sum())


def vulnerable_in_target(log: EventLog, risk: int) -> float:
    """Vulnerable callers whose true risk is G``risk`` attended within that grade's standard
    (whatever grade they were given): the promise their risk called for. Censored like
    ``kpis.in_target``: unattended and not yet past the standard at the horizon, left out."""
    v = _vulnerable(log)
    v = v[v["true_risk"] == risk]
    if risk == 1:
        std = np.asarray(log.meta["g1_minutes_by_area"], float)[v["area"].to_numpy()]
    else:
        std = np.full(len(v), float(log.meta["g2_minutes"]))
    response = (v["first_on_scene"] - v["arrival"]).to_numpy()
    known = ~np.isnan(response) | (log.horizon - v["arrival"].to_numpy() > std)
    met = response <= std
    return float(met[known].mean()) if known.any() else float("nan")


def downgraded_attended(log: EventLog) -> dict[str, float]:
    """Incidents downgraded for lack of a unit (in the window), by time from the call to the
    first unit on scene: within 24 h, 24-72 h, later, never (not attended by the horizon; an
    incident downgraded to G4 is never attended). Also over 48 h ("many days later")."""
    ids = _resource_downgraded_ids(log)
    calls = log.calls
    wait = calls["first_on_scene"].to_numpy()[ids] - calls["arrival"].to_numpy()[ids]
    seen = ~np.isnan(wait)
    w = wait[seen]
    return {"24h": float((w <= DAY).sum()), "72h": float(((w > DAY) & (w <= 3 * DAY)).sum()),
            "later": float((w > 3 * DAY).sum()), "never": float((~seen).sum()),
            "over_48h": float((w > 2 * DAY).sum())}


def _appointment_changes(log: EventLog, kind: int) -> float:
    a = log.appointment_changes
    return float(((a["time"] >= log.warmup) & (a["time"] < log.horizon) & (a["kind"] == kind)).sum())


def appointments_cancelled(log: EventLog) -> float:
    """Cancelled at their time for want of a unit: re-booked or escalated (not those given back
    because a review re-graded the incident first)."""
    return _appointment_changes(log, REBOOKED) + _appointment_changes(log, ESCALATED)


def _reviews(log: EventLog) -> pd.DataFrame:
    r = log.reviews
    return r[(r["requested"] >= log.warmup) & (r["requested"] < log.horizon)]


def reviews_done(log: EventLog) -> float:
    return float(_reviews(log)["reviewed"].notna().sum())


def reviews_missed(log: EventLog) -> float:
    return float(_reviews(log)["reviewed"].isna().sum())


def reviews_corrected(log: EventLog) -> float:
    return float((_reviews(log)["applied"] == 1).sum())


def _attended(bucket: str):
    return lambda log: downgraded_attended(log)[bucket]


# (name, unit, description, function, a count with a per-week twin?)
ASSESSMENT_KPIS = (
    ("undergraded", "incidents", "incidents graded below their true risk at first contact", undergraded, True),
    ("vulnerable_callers", "callers", "vulnerable or repeat victims whose call was graded as an incident", vulnerable_callers, True),
    ("vulnerable_identified", "share", "vulnerable callers identified as such at first contact", vulnerable_identified, False),
    ("vulnerable_undergraded", "callers", "vulnerable callers graded below their true risk at first contact", vulnerable_undergraded, True),
    ("vulnerable_resource_downgraded", "callers", "vulnerable callers whose incident was downgraded because no unit was free",
     vulnerable_resource_downgraded, True),
    ("vulnerable_g1_in_target", "share", "vulnerable callers at true risk G1 attended within the G1 standard",
     lambda log: vulnerable_in_target(log, 1), False),
    ("vulnerable_g2_in_target", "share", "vulnerable callers at true risk G2 attended within the G2 standard",
     lambda log: vulnerable_in_target(log, 2), False),
    ("downgraded_attended_24h", "incidents", "resource-downgraded incidents attended within 24 h of the call", _attended("24h"), True),
    ("downgraded_attended_72h", "incidents", "resource-downgraded incidents attended 24-72 h after the call", _attended("72h"), True),
    ("downgraded_attended_later", "incidents", "resource-downgraded incidents attended more than 72 h after the call",
     _attended("later"), True),
    ("downgraded_attended_never", "incidents", "resource-downgraded incidents not attended by the end of the run",
     _attended("never"), True),
    ("downgraded_attended_over_48h", "incidents", "resource-downgraded incidents attended more than two days after the call",
     _attended("over_48h"), True),
    ("appointments_cancelled", "appointments", "appointments cancelled at their time because no unit was free",
     appointments_cancelled, True),
    ("appointments_rebooked", "appointments", "cancelled appointments re-booked in the diary",
     lambda log: _appointment_changes(log, REBOOKED), True),
    ("appointments_escalated", "appointments", "cancelled appointments escalated (re-booking cap reached)",
     lambda log: _appointment_changes(log, ESCALATED), True),
    ("supervisor_reviews", "reviews", "gradings reviewed by a supervisor", reviews_done, True),
    ("supervisor_reviews_missed", "reviews", "gradings sent for review that no supervisor reached in time", reviews_missed, True),
    ("supervisor_corrections", "reviews", "reviews that changed the response (incident re-graded before attendance)",
     reviews_corrected, True),
)


# ---------------------------------------------------------------------------- profiles (for the report's figure)
ATTENDED_AFTER_BINS = ("<1 d", "1-2 d", "2-3 d", "3-7 d", ">7 d", "never")
PROFILES = {
    "vulnerable": "vulnerable callers per hour of week of the call (mean per week): key all, missed "
                  "(not identified at first contact), undergraded, downgraded (resource-driven)",
    "undergraded": "incidents graded below their true risk at first contact, per hour of week of the call (mean per week)",
    "downgraded_attended_after": "resource-downgraded incidents by days from the call to the first unit on scene "
                                 "(x indexes ATTENDED_AFTER_BINS; per week)",
}


def profiles(log: EventLog, per_hour_of_week) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """Rows (profile, key, x, values) for sim.measures.profiles; ``per_hour_of_week(times, weights, log)``
    is its helper (events per hour of the week, mean per week)."""
    how = np.arange(168, dtype=float)
    c = log.calls
    graded = c["initial_grade"].to_numpy() >= 1
    arrival = c["arrival"].to_numpy()
    under = graded & (c["initial_grade"].to_numpy() > c["true_risk"].to_numpy())
    rows = [("undergraded", "", how, per_hour_of_week(arrival[under], None, log))]
    vuln = graded & (c["vulnerable"].to_numpy() == 1)
    if vuln.any():
        down = np.zeros(len(c), bool)
        down[_resource_downgraded_ids(log)] = True
        for key, m in (("all", vuln), ("missed", vuln & (c["identified"].to_numpy() == 0)),
                       ("undergraded", vuln & under), ("downgraded", vuln & down)):
            rows.append(("vulnerable", key, how, per_hour_of_week(arrival[m], None, log)))
    ids = _resource_downgraded_ids(log)
    wait = (c["first_on_scene"].to_numpy()[ids] - arrival[ids]) / DAY
    edges = np.array([0, 1, 2, 3, 7, np.inf])
    counts = np.append(np.histogram(wait[~np.isnan(wait)], bins=edges)[0], np.isnan(wait).sum()).astype(float)
    weeks = (log.horizon - log.warmup) / (7 * DAY)
    rows.append(("downgraded_attended_after", "", np.arange(len(ATTENDED_AFTER_BINS), dtype=float),
                 counts / weeks if weeks > 0 else counts * np.nan))
    return rows
