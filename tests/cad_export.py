"""Test helper: a scenario simulated, written out as a CAD-like extract (one row per incident),
with defects injected where a test asks for them. The project's tests use data it generates."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sim.model.core import run_model

FMT = "%Y-%m-%d %H:%M:%S.%f"
SOURCES = {0: "E-911", 1: "Phone"}

MAP_TOML = """
name = "sim-export"
[extract]
time_format = "%Y-%m-%d %H:%M:%S.%f"
time_zone = "UTC"
missing = ["", "NULL"]
[columns]
id = "IncidentNo"
created = "Created"
queued = "Queued"
dispatched = "Dispatched"
on_scene = "OnScene"
cleared = "Cleared"
priority = "Priority"
source = "Source"
[filter]
start = {start}
end = {end}
[priorities]
grades = {{ "1" = "G1", "2" = "G2", "3" = "G3" }}
exclude = ["9"]
[sources]
channels."999" = ["E-911"]
channels."101" = ["Phone"]
officer_initiated = ["OFFICER"]
"""


def map_text(s) -> str:
    start = s.run.start_date
    return MAP_TOML.format(start=start, end=start + dt.timedelta(days=int(s.run.days + s.run.warmup_days)))


def incidents(s, seed: int = 1) -> pd.DataFrame:
    """First-attempt calls that became dispatched incidents, with their times in minutes."""
    calls = run_model(s, seed).calls
    c = calls[(calls["retry_of"] < 0) & calls["initial_grade"].between(1, 3) & calls["first_dispatch"].notna()]
    return c.reset_index(drop=True)


def to_stamp(s, minutes) -> np.ndarray:
    t0 = pd.Timestamp(s.run.start_date)
    out = (t0 + pd.to_timedelta(np.asarray(minutes, float), unit="min")).strftime(FMT).to_numpy(object)
    return np.where(pd.isna(minutes), "NULL", out)


def cad_frame(s, inc: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "IncidentNo": [f"INC-{i}" for i in inc["call_id"]],
        "Created": to_stamp(s, inc["arrival"]), "Queued": to_stamp(s, inc["graded"]),
        "Dispatched": to_stamp(s, inc["first_dispatch"]), "OnScene": to_stamp(s, inc["first_on_scene"]),
        "Cleared": to_stamp(s, inc["cleared"]), "Priority": inc["initial_grade"].astype(str).to_numpy(),
        "Source": inc["channel"].map(SOURCES).to_numpy(),
    })


def inject(df: pd.DataFrame, rng: np.random.Generator, missing=7, negative=5, officer=40, duplicates=6,
           no_scene=30, admin_code=3) -> tuple[pd.DataFrame, dict]:
    """Defects, each on its own rows (so each is counted under exactly one reason)."""
    df = df.copy()
    rows = rng.permutation(len(df))
    take = iter(np.split(rows, np.cumsum([missing, negative, no_scene, admin_code]))[:4])
    r_missing, r_negative, r_no_scene, r_admin = (next(take) for _ in range(4))
    df.loc[r_missing, "Created"] = "NULL"
    created = pd.to_datetime(df.loc[r_negative, "Created"], format=FMT)
    df.loc[r_negative, "Dispatched"] = (created - pd.Timedelta(minutes=5)).dt.strftime(FMT).to_numpy()
    df.loc[r_no_scene, "OnScene"] = "NULL"
    df.loc[r_admin, "Priority"] = "9"
    clean = rows[missing + negative + no_scene + admin_code:]
    extra_officer = df.loc[clean[:officer]].copy()
    for col in ("Queued", "Dispatched", "OnScene", "Cleared"):
        extra_officer[col] = extra_officer["Created"]
    extra_officer["Source"] = "OFFICER"
    extra_officer["IncidentNo"] = [f"OI-{i}" for i in range(officer)]
    dup = df.loc[clean[officer:officer + duplicates]].copy()
    out = pd.concat([df, extra_officer, dup], ignore_index=True)
    counts = {"missing": missing, "negative": negative, "officer": officer, "duplicates": duplicates,
              "no_scene": no_scene, "admin": admin_code}
    return out, counts
