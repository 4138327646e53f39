"""Copying a run part-way (``copy.deepcopy``): a stepped session copied at some simulated minute
goes on exactly as the original would, and the two share nothing that either writes.

Why: every trainee who plays the same shift (scenario, seed, replication, window) starts from the
same simulated state at the shift's start, which takes ~0.1 s of CPU to reach; a copy of it takes a
fraction of that (``sim.app.play.StartCache``).

What a plain ``deepcopy`` cannot do, and the classes that do it themselves:

- the clock's scheduler and the callers' feed are closures over the clock's calendar
  (``Clock.call_in``, ``Clock.feed``), and a log's ``Columns.append`` is its waiting list's own
  ``append``: ``deepcopy`` shares a function as it is, so the copy would write to the original. Each is made
  anew for the copy (``Clock.__deepcopy__``, ``Columns.__deepcopy__``), and every reference to the
  original's (``Model.at``, the parts' ``_at``, a timed call on the calendar) becomes the copy's;
- ``memoryview`` cannot be copied: a part's view is made anew over the copy of the array it views
  (``copy_views``), or over the array itself when it is shared (``shared``).

What is shared, never copied (``shared``): the scenario and the callers drawn before the run
(arrays the model only reads).
"""
from __future__ import annotations

import copy


def copy_view(view: memoryview, memo: dict) -> memoryview:
    """``view`` over the copy of the array it views (the same array when that is shared: in ``memo``)."""
    got = memo.get(id(view))
    if got is None:
        base = copy.deepcopy(view.obj, memo)
        got = memoryview(base)
        if got.format != view.format or got.shape != view.shape:
            raise TypeError(f"cannot copy a view of format {view.format} and shape {view.shape}")
        memo[id(view)] = got
    return got


def copy_views(self, memo: dict, share: tuple = (), shallow: tuple = ()):
    """``__deepcopy__`` for a model part holding ``memoryview`` attributes: each made anew over
    the copy of what it views; the attributes named in ``share`` kept as they are (read, never
    written), those in ``shallow`` copied one level deep; every other one deep-copied as usual."""
    cls = type(self)
    new = cls.__new__(cls)
    memo[id(self)] = new
    state = new.__dict__
    for k, v in self.__dict__.items():
        if k in share:
            state[k] = v
        elif k in shallow:
            state[k] = copy.copy(v)
        else:
            state[k] = copy_view(v, memo) if isinstance(v, memoryview) else copy.deepcopy(v, memo)
    return new


def shared(model, memo: dict | None = None) -> dict:
    """A ``deepcopy`` memo under which a copy of anything holding ``model`` shares the scenario
    and the callers (and their arrays) with the original: the run only reads them."""
    memo = {} if memo is None else memo
    keep = [model.s, model.callers, *(v for v in vars(model.callers).values() if v is not None)]
    for obj in keep:
        memo[id(obj)] = obj
    return memo
