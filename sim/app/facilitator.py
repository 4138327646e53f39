"""Facilitator: the trainees' debriefs saved in a session folder (no accounts, no network),
read back side by side. A file that cannot be read is named, not fatal."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from sim.app.play import METRICS

ENV_FOLDER = "TRIAGE_SIM_SESSION_DIR"


def session_folder() -> Path:
    return Path(os.environ.get(ENV_FOLDER) or Path("results") / "workshop")


def load_debriefs(folder: Path) -> tuple[list[dict], list[str]]:
    """(debriefs, problems) from ``folder/*.json``, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return [], []
    out, problems = [], []
    for path in sorted(folder.glob("*.json"), key=lambda p: (p.stat().st_mtime, p.name)):
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(d, dict) or "rows" not in d or "you" not in d["rows"]:
                raise ValueError("not a debrief")
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            problems.append(f"{path.name}: cannot be read ({exc.__class__.__name__}: {str(exc)[:80]})")
            continue
        d["file"] = path.name
        out.append(d)
    return out, problems


def side_by_side(debriefs: list[dict]) -> pd.DataFrame:
    """One column per trainee, then the resource-led and risk-led controllers of each distinct
    set of callers (seed, replication, shift) the trainees played."""
    cols: dict[str, dict] = {}
    refs: dict[tuple, dict] = {}
    for d in debriefs:
        stamp = d["file"].removesuffix(".json").split("-")
        at = next((x for x in reversed(stamp) if len(x) == 6 and x.isdigit()), "")
        label = base = f"{d.get('name', '?')}" + (f" · {at[:2]}:{at[2:4]}" if at else "")
        k = 1
        while label in cols:   # the same name twice in a minute: both shown
            k += 1
            label = f"{base} ({k})"
        you = d["rows"]["you"]
        cols[label] = {**{name: you.get(key) for key, name, _ in METRICS},
                       "Decisions": you.get("decisions"), "Decisions a true-risk view calls wrong": len(d.get("wrong", []))}
        key = (d.get("seed"), d.get("replication"), d.get("shift"))
        refs.setdefault(key, d)
    for (seed, rep, shift), d in refs.items():
        tag = f" · seed {seed}, rep {rep}" if len(refs) > 1 else ""
        for who in ("resource-led controller", "risk-led controller"):
            row = d["rows"].get(who, {})
            cols[f"{who}{tag}"] = {**{name: row.get(key) for key, name, _ in METRICS},
                                   "Decisions": None, "Decisions a true-risk view calls wrong": None}
    return pd.DataFrame(cols)


UNITS = {name: unit for _, name, unit in METRICS} | {"Decisions": "callers",
                                                     "Decisions a true-risk view calls wrong": "callers"}


# ---------------------------------------------------------------------------- the room, ranked
# the columns of the room's table: (debrief key, short heading, unit, better when higher)
SCORES = (
    ("high_risk_downgraded", "True G1/G2 downgraded", "callers", False),
    ("longest_true_g1_wait", "Longest true-G1 wait", "minutes", False),
    ("g1_in_target", "G1 in standard", "share", True),
    ("g2_in_target", "G2 in 60 min", "share", True),
    ("neighbourhood_hours", "Nbhd hours", "hours", False),
    ("downgrades", "Downgrades (all)", "incidents", False),
)
SCORE = {key: (label, unit, up) for key, label, unit, up in SCORES}
REFERENCES = ("risk-led controller", "resource-led controller")


def _num(v) -> float:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return float("nan")
    return v


def _label(d: dict, seen: set) -> str:
    stamp = str(d.get("file", "")).removesuffix(".json").split("-")
    at = next((x for x in reversed(stamp) if len(x) == 6 and x.isdigit()), "")
    label = base = f"{d.get('name', '?')}" + (f" · {at[:2]}:{at[2:4]}" if at else "")
    k = 1
    while label in seen:
        k += 1
        label = f"{base} ({k})"
    seen.add(label)
    return label


def room(debriefs: list[dict], rank_by: str = "high_risk_downgraded") -> pd.DataFrame:
    """One row per trainee's debrief, ranked on the score the two controllers are compared on
    (``rank_by``, one of ``SCORES``): each trainee is scored against the risk-led and the
    resource-led controller on *their own* callers (trainee minus controller), ranked on the
    difference from the risk-led controller (HMIC's recommendation), ties broken by the other
    scores in ``SCORES`` order. Raw values, as the CSV holds them; the page formats them."""
    if rank_by not in SCORE:
        raise ValueError(f"rank by: {rank_by!r}; expected one of {', '.join(SCORE)}")
    rows, seen = [], set()
    for d in debriefs:
        you = d["rows"]["you"]
        row = {"trainee": _label(d, seen), "name": d.get("name"), "file": d.get("file"), "seed": d.get("seed"),
               "replication": d.get("replication"), "shift": d.get("shift"),
               "decisions": you.get("decisions"), "wrong": len(d.get("wrong") or [])}
        for key, *_ in SCORES:
            row[key] = _num(you.get(key))
        for who in REFERENCES:
            ref = d["rows"].get(who, {})
            tag = who.split()[0]   # risk-led / resource-led
            for key, *_ in SCORES:
                row[f"{tag} {key}"] = _num(ref.get(key))
            row[f"vs {tag}"] = row[rank_by] - row[f"{tag} {rank_by}"]
        rows.append(row)
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    order = ["vs risk-led"] + [k for k, *_ in SCORES if k != rank_by]
    up = [SCORE[rank_by][2]] + [SCORE[k][2] for k in order[1:]]
    key = df[order].copy()
    for col, better_up in zip(order, up):
        key[col] = -key[col] if better_up else key[col]
    df = df.iloc[key.fillna(float("inf")).sort_values(order, kind="stable").index].reset_index(drop=True)
    df.insert(0, "rank", range(1, len(df) + 1))
    return df


def room_csv(table: pd.DataFrame) -> str:
    """The room's results as CSV text: a row per trainee (``sim.util.cells.write_csv``)."""
    from sim.util.cells import write_csv

    return write_csv(table)


def room_figure(table: pd.DataFrame, rank_by: str = "high_risk_downgraded") -> bytes:
    """A PNG for the debrief: each trainee's ``rank_by`` score (bars, in rank order) with the
    risk-led and resource-led controllers' on the same callers (markers)."""
    import io

    import matplotlib
    from matplotlib.figure import Figure

    from sim.report.figures.style import ARM_COLOURS, RC

    label, unit, up = SCORE[rank_by]
    n = max(len(table), 1)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(9.0, 1.4 + 0.32 * n), dpi=110, layout="constrained")
        ax = fig.add_subplot()
        y = list(range(len(table)))[::-1]
        scale = 100.0 if unit == "share" else 1.0
        ax.barh(y, table[rank_by] * scale, color="#8c8c8c", height=0.6, label="trainee")
        for (who, colour, mark) in (("risk-led", ARM_COLOURS[2], "D"), ("resource-led", ARM_COLOURS[1], "o")):
            ax.scatter(table[f"{who} {rank_by}"] * scale, y, color=colour, marker=mark, zorder=3, s=36,
                       label=f"{who} controller, same callers")
        # a trainee's name as typed: '$' would start matplotlib's mathtext
        ax.set_yticks(y, [_tick(f"{r}. {t}") for r, t in zip(table["rank"], table["trainee"])] if len(table) else [])
        ax.set_xlabel(f"{label}" + (" (%)" if unit == "share" else f" ({unit})"))
        ax.set_title(f"The room ranked on: {label} ({'higher' if up else 'lower'} is better)", loc="left")
        fig.legend(loc="outside lower center", ncols=3, fontsize="small", frameon=False)
        ax.grid(axis="x", alpha=0.3)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()


def _tick(text: str, n: int = 34) -> str:
    """A trainee's label on the figure: as typed ('$' would start matplotlib's mathtext), cut to
    ``n`` characters so a long name cannot squeeze the bars away."""
    text = text if len(text) <= n else text[: n - 1] + "…"
    return text.replace("$", r"\$")


def save_room(folder: Path, table: pd.DataFrame, png: bytes) -> list[Path]:
    """``room-results.csv`` and ``room-results.png`` in the session folder (atomically; the
    latest state of the room, rewritten as trainees finish)."""
    from sim.app.play import FOLDER_LOCK
    from sim.util.files import atomic_write

    folder = Path(folder)
    paths = [folder / "room-results.csv", folder / "room-results.png"]
    csv = room_csv(table)
    with FOLDER_LOCK:   # two facilitator pages (a projector and a laptop) write the same files
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(paths[0], csv)
        atomic_write(paths[1], png)
    return paths


def shown(table: pd.DataFrame, rank_by: str, fmt, diff) -> list[dict]:
    """The room's table as the projector shows it: a row per trainee in rank order, then the two
    controllers on each set of callers played (not ranked). ``fmt(unit, v)`` and ``diff(unit, v)``
    format a value and a difference (``sim.app.text``)."""
    if table.empty:
        return []
    label, unit, _ = SCORE[rank_by]
    sets = table[["seed", "replication", "shift"]].drop_duplicates()
    many, one_seed = len(sets) > 1, table["seed"].nunique() == 1

    def callers(r) -> str:
        return f"rep {r['replication']}" if one_seed else f"{r['seed']} / {r['replication']}"
    out = []
    for _, r in table.iterrows():
        row = {"#": str(r["rank"]), "Trainee": r["trainee"]}
        if many:
            row["Callers"] = callers(r)
        row |= {"Decisions": fmt("callers", r["decisions"]), "Wrong calls": fmt("callers", r["wrong"])}
        row |= {lab: fmt(u, r[key]) for key, lab, u, _ in SCORES if key != "downgrades"}
        row |= {"vs risk-led": diff(unit, r["vs risk-led"]), "vs resource-led": diff(unit, r["vs resource-led"])}
        out.append(row)
    for _, ref in table.drop_duplicates(["seed", "replication", "shift"]).iterrows():
        for who in REFERENCES:
            tag = who.split()[0]
            row = {"#": "–", "Trainee": f"{who.capitalize()}"}
            if many:
                row["Callers"] = callers(ref)
            row |= {"Decisions": "–", "Wrong calls": "–"}
            row |= {lab: fmt(u, ref[f"{tag} {key}"]) for key, lab, u, _ in SCORES if key != "downgrades"}
            row |= {"vs risk-led": "–", "vs resource-led": "–"}
            out.append(row)
    return out
