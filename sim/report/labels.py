"""Words a reader sees in printouts and figures: values without a stray sign, KPI values in
their units ("75.6%", "23.0 min"), counts with their noun, scenario keys as phrases ("units on
the late shift", not ``response.shifts.late.units``). No heavy imports: the command line and the
app use these before anything is simulated or drawn."""
from __future__ import annotations


def unsigned_zero(text: str) -> str:
    """'-0.0 min' -> '0.0 min': a value that rounds to zero has no sign."""
    return text.lstrip("+-−") if text[:1] in "+-−" and not any(c in "123456789" for c in text) else text


POOLS = {"response": "units", "neighbourhood": "neighbourhood officers", "call_handling": "call handlers"}
# a dotted key's last part, as a phrase (keys not listed read as their words)
WORDS = {
    "multiplier": "demand multiplier", "calls_per_day": "calls a day", "kind": "dispatch policy",
    "end_of_shift_minutes": "end-of-shift protection (minutes)", "reserve_for_g1": "units held back for G1",
    "days": "measured days",
    "warmup_days": "warm-up days", "seed": "seed", "slots_per_hour": "appointment slots an hour",
    "min_lead_hours": "minimum appointment lead (hours)", "accuracy": "re-assessment accuracy",
    "misgrading_enabled": "misgrading", "graded_at": "share graded during the call",
    "downgrades_per_week_tolerance": "downgrades a week tolerated", "g2_minutes": "G2 standard (minutes)",
    "g3_hours": "G3 standard (hours)", "contracted_hours_per_week": "contracted hours a week",
}
SHIFT_FIELDS = {"units": "{pool} on the {shift} shift", "staff": "{pool} on the {shift} shift",
                "start": "start of the {shift} shift", "hours": "hours of the {shift} shift",
                "days": "days of the {shift} shift"}


def key_phrase(key: str) -> str:
    """A scenario key as a reader would say it: ``response.shifts.late.units`` -> "units on the
    late shift", ``call_handling.shifts.early.staff`` -> "call handlers on the early shift",
    ``demand.channels.999.calls_per_day`` -> "999 calls a day"."""
    parts = key.split(".")
    if len(parts) == 4 and parts[1] == "shifts" and parts[3] in SHIFT_FIELDS:
        return SHIFT_FIELDS[parts[3]].format(pool=POOLS.get(parts[0], parts[0].replace("_", " ")), shift=parts[2])
    if len(parts) == 4 and parts[:2] == ["demand", "channels"]:
        return f"{parts[2]} {WORDS.get(parts[3], parts[3].replace('_', ' '))}"
    last = parts[-1]
    if last == "abstraction" and len(parts) > 1:
        return f"share of {POOLS.get(parts[0], parts[0])} abstracted"
    if last in WORDS:
        return WORDS[last]
    if len(parts) > 1 and (not last.isidentifier() or last[:1].isupper()):   # 999, G1: say whose
        return f"{parts[-2].replace('_', ' ')} {last}"
    return last.replace("_", " ")


def change_phrase(change: str) -> str:
    """``response.shifts.late.units=12`` -> "units on the late shift = 12"."""
    key, sep, value = change.partition("=")
    return f"{key_phrase(key.strip())} = {value.strip()}" if sep else change


def scenario_label(scenario: dict, fallback: str = "") -> str:
    """What a reader calls a scenario: its description, else its name."""
    meta = scenario.get("meta", {}) if isinstance(scenario, dict) else {}
    return str(meta.get("description") or meta.get("name") or fallback)


def plural(n, word: str, many: str | None = None) -> str:
    """'1 replication', '3 replications', '14 days', '1 day' ('?' when unknown)."""
    try:
        x = float(n)
    except (TypeError, ValueError):
        return f"{n} {many or word + 's'}"
    text = f"{x:g}" if x != int(x) else f"{int(x)}"
    return f"{text} {word if x == 1 else (many or word + 's')}"


def fmt_kpi(unit: str, v: float, signed: bool = False, digits: int | None = None) -> str:
    """A KPI value in its unit, as a reader would write it ('75.6%', '23.0 min', '1,526 h');
    one that rounds to zero is written without a sign."""
    if v is None or v != v:
        return "n/a"
    return unsigned_zero(_fmt_kpi(unit, v, signed, digits))


def _fmt_kpi(unit: str, v: float, signed: bool, digits: int | None) -> str:
    sign = "+" if signed and v > 0 else ""
    if unit == "share":
        return f"{sign}{v * 100:.{1 if digits is None else digits}f}%"
    if unit == "0/1":
        return f"{sign}{v * 100:.0f}%"
    if unit == "minutes":
        return f"{sign}{v:.1f} min"
    if unit == "seconds":
        return f"{sign}{v:.1f} s"
    if unit in ("hours", "hours per week"):
        return f"{sign}{v:,.0f} h"
    if unit == "days":
        return f"{sign}{v:.2f} days"
    if unit == "calls" or abs(v) >= 1000:
        return f"{sign}{v:,.0f}"
    return f"{sign}{v:.{1 if digits is None else digits}f}"
