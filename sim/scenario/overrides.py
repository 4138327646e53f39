"""Layers and ``--set`` overrides: how one layer of values goes over another. A scenario file
over its ``base`` and a ``--set key=value`` over the file follow the same rule (``deep_merge``),
so a variant file, or an option, says only what differs.
"""
from __future__ import annotations

import tomllib
from typing import Any

from sim.scenario.base import ScenarioError

# Keys of a pool's table (``call_handling``, ``response``, ``neighbourhood``) that are
# alternatives to each other: a layer that writes one drops the other from the layers below,
# so a file based on a weekly template can give a team pattern instead.
ALTERNATIVES = (("shifts", "pattern"), ("hour_of_day", "hour_of_week"))
ROTA_POOLS = ("call_handling", "response", "neighbourhood")


def deep_merge(base: dict, top: dict, _path: tuple[str, ...] = ()) -> dict:
    """Tables merge key by key; any other value (lists included) is replaced, and so is a
    distribution table (one with a ``family`` key): its parameters belong to its family.
    An empty table replaces (clears) the base's table, e.g. ``[response.non_incident]``.
    In a pool's table, of two ``ALTERNATIVES`` the one the top layer writes replaces the other."""
    out = dict(base)
    # a pool's rota, or a channel's demand shape (hour_of_day / hour_of_week): one replaces the other
    if (len(_path) == 1 and _path[0] in ROTA_POOLS) or (len(_path) == 3 and _path[:2] == ("demand", "channels")):
        for key in top:
            _drop_alternative(out, key)
    for k, v in top.items():
        mergeable = isinstance(v, dict) and isinstance(out.get(k), dict) and v and "family" not in v
        out[k] = deep_merge(out[k], v, _path + (k,)) if mergeable else v
    return out


def parse_override(text: str) -> tuple[list[str], Any]:
    """``key.sub=value``: the value is read as TOML where it parses, else as a plain string."""
    if "=" not in text:
        raise ScenarioError("--set", "", text, "expected KEY=VALUE, e.g. policy.kind=risk_led")
    key, raw = text.split("=", 1)
    keys = [k.strip() for k in key.strip().split(".")]
    if not all(keys):
        raise ScenarioError("--set", key, raw, "expected a dotted key such as response.shifts.late.units")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return keys, value


def apply_overrides(data: dict, overrides: list[str], dropped: list[str] | None = None) -> dict:
    """Each ``--set`` is a layer of its own: setting a pool's ``pattern`` (or anything inside
    it) on a file with that pool's ``shifts`` drops the ``shifts``, and the other way round;
    ``dropped`` collects a sentence for each such replacement, for error messages."""
    data = deep_merge(data, {})
    for text in overrides:
        keys, value = parse_override(text)
        node = data
        for i, k in enumerate(keys[:-1]):
            if i == 1 and keys[0] in ROTA_POOLS:
                _drop_alternative(node, k, dropped, f"--set {text} replaced {keys[0]}.{{gone}} by {keys[0]}.{k}")
            nxt = node.get(k)
            if nxt is None:
                nxt = node[k] = {}
            elif not isinstance(nxt, dict):
                raise ScenarioError("--set", ".".join(keys[: i + 1]), nxt, "is not a table, cannot set a key inside it")
            else:
                nxt = node[k] = dict(nxt)
            node = nxt
        if len(keys) == 2 and keys[0] in ROTA_POOLS:
            _drop_alternative(node, keys[1], dropped, f"--set {text} replaced {keys[0]}.{{gone}} by {keys[0]}.{keys[1]}")
        node[keys[-1]] = value
    return data


def _drop_alternative(node: dict, key: str, dropped: list[str] | None = None, note: str = "") -> None:
    for pair in ALTERNATIVES:
        if key in pair:
            gone = pair[1 - pair.index(key)]
            if node.pop(gone, None) is not None and dropped is not None:
                dropped.append(note.replace("{gone}", gone))


