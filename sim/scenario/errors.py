"""What a scenario that fails its schema is told: pydantic's first error becomes one
``ScenarioError`` naming the dotted field path as written in the file (aliases kept,
distribution family tags and dict-key markers dropped), the value and what was expected in
words, with a close match for a misspelt key.
"""
from __future__ import annotations

import difflib
import re
import types
import typing

from pydantic import BaseModel, ValidationError

from sim.scenario.base import _NO_VALUE, ScenarioError
from sim.scenario.document import Scenario

def _first_error(exc: ValidationError, source) -> ScenarioError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    path_parts, model, parent = [], Scenario, None
    for part in loc:
        if part == "[key]":  # pydantic's marker for a bad dict key: the key is already in the path
            continue
        # drop discriminated-union tags (e.g. 'lognormal') that pydantic inserts in the path
        if isinstance(model, _Tagged) and part in model.tags:
            model = model.tags[part]
            continue
        path_parts.append(part)
        parent, model = model, _descend(model, part)
    path = ".".join(path_parts)
    etype, ctx = err["type"], err.get("ctx", {})
    value = err.get("input", _NO_VALUE)
    if etype == "value_error" and isinstance(value, dict):
        # a check on a whole table keyed by grade names the bad row (e.g. 'misgrading row G4'):
        # point at that row, so the message shows its value rather than a truncated table
        named = re.search(r"\bG[1-4]\b", str(ctx.get("error", err["msg"])))
        if named and named.group() in value:
            path, value = f"{path}.{named.group()}", value[named.group()]
    if etype == "extra_forbidden":
        known = sorted(_field_names(parent)) if _is_model(parent) else []
        hint = difflib.get_close_matches(path_parts[-1], known, n=1)
        expected = "unknown key" + (f" (did you mean {hint[0]!r}?)" if hint else "") + (
            f"; expected one of: {', '.join(known)}" if known else "")
    elif etype == "missing":
        expected, value = "required key is missing", _NO_VALUE
    elif etype in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[etype]
        bound = next(iter(ctx.values()))
        expected = f"expected a number {op} {bound}"
    elif etype in ("int_type", "int_parsing", "int_from_float"):
        expected = "expected an integer"
    elif etype in ("float_type", "float_parsing"):
        expected = "expected a number"
    elif etype == "finite_number":
        expected = "expected a finite number"
    elif etype in ("bool_type", "bool_parsing"):
        expected = "expected true or false"
    elif etype in ("string_type",):
        expected = "expected a string"
    elif etype in ("list_type",):
        expected = "expected a list"
    elif etype in ("dict_type", "model_type", "model_attributes_type"):
        expected = "expected a table"
    elif etype in ("too_short", "too_long"):
        n = ctx.get("min_length") if etype == "too_short" else ctx.get("max_length")
        exact = _exact_length(path_parts, parent)
        expected = (err["msg"] if n is None else "expected at least one value" if (etype, n) == ("too_short", 1)
                    else f"expected a list of {n} values" if exact else
                    f"expected {'at least' if etype == 'too_short' else 'at most'} {n} values")
    elif etype == "literal_error":
        expected = f"expected one of {ctx.get('expected')}"
    elif etype == "union_tag_invalid":
        expected = f"unknown distribution family; expected one of {ctx.get('expected_tags')}"
    elif etype == "union_tag_not_found":
        expected = "expected a distribution table with a 'family' key (fixed, exponential, lognormal, gamma, empirical)"
    elif etype in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        expected = "expected a date YYYY-MM-DD" + (" written as a TOML date, without quotes" if isinstance(value, str) else "")
    elif etype in ("datetime_type", "datetime_parsing", "datetime_from_date_parsing"):
        expected = "expected a date and time YYYY-MM-DDTHH:MM"
    elif etype == "value_error":
        expected = str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
    else:
        expected = err["msg"]
    return ScenarioError(source, path, value, expected)


def _exact_length(path_parts: list[str], parent) -> bool:
    """Whether the field at the end of an error path must have an exact length (min = max)."""
    if not _is_model(parent) or not path_parts:
        return True
    for n, f in parent.model_fields.items():
        if (f.alias or n) == path_parts[-1]:
            lo = {getattr(m, "min_length", None) for m in f.metadata} - {None}
            hi = {getattr(m, "max_length", None) for m in f.metadata} - {None}
            return bool(lo) and lo == hi      # a bound on one side only is 'at least' / 'at most'
    return True


def _is_model(model) -> bool:
    return isinstance(model, type) and issubclass(model, BaseModel)


def _field_names(model) -> set[str]:
    return {f.alias or n for n, f in model.model_fields.items()}


def _descend(model, part: str):
    """What lies one step down an error path: a model class, a ``_DictOf`` (dict of models),
    a ``_Tagged`` (discriminated union of models), or None (anything else)."""
    if isinstance(model, _DictOf):
        return model.model  # ``part`` is a dict key
    if not _is_model(model):
        return None
    for n, f in model.model_fields.items():
        if (f.alias or n) == part:
            return _as_model(f.annotation)
    return None


def _as_model(ann):
    if _is_model(ann):
        return ann
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is typing.Annotated:
        return _as_model(args[0])
    if origin is dict and len(args) == 2:
        inner = _as_model(args[1])
        return None if inner is None else _DictOf(inner)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:  # Optional[X]
            return _as_model(options[0])
        tags = {}
        for a in options:
            a = _as_model(a)
            family = a.model_fields.get("family") if _is_model(a) else None
            if family is None or typing.get_origin(family.annotation) is not typing.Literal:
                return None
            tags.update({t: a for t in typing.get_args(family.annotation)})
        return _Tagged(tags)
    return None


class _DictOf:
    """Marks 'a dict whose values are model M' while walking an error path."""
    def __init__(self, model):
        self.model = model


class _Tagged:
    """Marks 'one of several models, chosen by a family tag' while walking an error path."""
    def __init__(self, tags: dict):
        self.tags = tags


