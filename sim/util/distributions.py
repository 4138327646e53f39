"""Named distribution families for durations (minutes) in scenario files.

A scenario writes a distribution as an inline table naming its family, e.g.
``{ family = "lognormal", median = 7, p90 = 15 }``. Each family validates its own
parameters and samples in numpy batches, because every per-call need is drawn in
one vectorised call at the start of a run (see ``sim.model.demand``).
"""
from __future__ import annotations

import math
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

# z-score of the 90th percentile of a standard normal
_Z90 = 1.2815515655446004
# Domain limits: a duration is minutes, and nothing in a control room lasts 19 years; a lognormal
# spread beyond sigma 5 (p90 over 600 x the median) or a gamma shape below 1e-3 is a typo, and
# sampling it gives overflowing or degenerate values rather than a scenario.
MAX_MINUTES = 1e7
MAX_SIGMA = 5.0
MIN_GAMMA_SHAPE = 1e-3


class _Family(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    @property
    def mean(self) -> float:  # pragma: no cover
        raise NotImplementedError


class Fixed(_Family):
    """Always the same value."""
    family: Literal["fixed"]
    value: float = Field(ge=0, le=MAX_MINUTES)

    def sample(self, rng, n):
        return np.full(n, float(self.value))

    @property
    def mean(self):
        return float(self.value)


class Exponential(_Family):
    """Memoryless; the family queueing theory assumes (used by validation scenarios)."""
    family: Literal["exponential"]
    mean_: float = Field(alias="mean", gt=0, le=MAX_MINUTES)

    def sample(self, rng, n):
        return rng.exponential(self.mean_, n)

    @property
    def mean(self):
        return float(self.mean_)


class Lognormal(_Family):
    """Right-skewed durations. Give either ``median`` and ``p90`` (how people describe
    call-handling and travel times) or ``mean`` and ``sd``."""
    family: Literal["lognormal"]
    median: float | None = Field(default=None, gt=0, le=MAX_MINUTES)
    p90: float | None = Field(default=None, gt=0, le=MAX_MINUTES)
    mean_: float | None = Field(default=None, alias="mean", gt=0, le=MAX_MINUTES)
    sd: float | None = Field(default=None, gt=0, le=MAX_MINUTES)

    @model_validator(mode="after")
    def _one_parametrisation(self):
        by_quantiles = self.median is not None and self.p90 is not None
        by_moments = self.mean_ is not None and self.sd is not None
        if by_quantiles == by_moments or (by_quantiles and (self.mean_ or self.sd)) or (
            by_moments and (self.median or self.p90)
        ):
            raise ValueError("give either median and p90, or mean and sd")
        if by_quantiles and self.p90 <= self.median:
            raise ValueError(f"p90 ({self.p90}) must be greater than median ({self.median})")
        sigma = self.mu_sigma[1]
        if sigma > MAX_SIGMA:
            raise ValueError(f"a spread sigma of at most {MAX_SIGMA:g} (this one is {sigma:.3g}: "
                             + ("p90 / median" if by_quantiles else "sd / mean") + " is far too large)")
        return self

    @property
    def mu_sigma(self) -> tuple[float, float]:
        if self.median is not None:
            return math.log(self.median), math.log(self.p90 / self.median) / _Z90
        sigma2 = math.log(1.0 + (self.sd / self.mean_) ** 2)
        return math.log(self.mean_) - sigma2 / 2.0, math.sqrt(sigma2)

    def sample(self, rng, n):
        mu, sigma = self.mu_sigma
        return rng.lognormal(mu, sigma, n)

    @property
    def mean(self):
        mu, sigma = self.mu_sigma
        return math.exp(mu + sigma * sigma / 2.0)


class Gamma(_Family):
    """Gamma by ``mean`` and ``sd`` (shape = (mean/sd)^2)."""
    family: Literal["gamma"]
    mean_: float = Field(alias="mean", gt=0, le=MAX_MINUTES)
    sd: float = Field(gt=0, le=MAX_MINUTES)

    @model_validator(mode="after")
    def _sensible_shape(self):
        shape = (self.mean_ / self.sd) ** 2
        if shape < MIN_GAMMA_SHAPE:
            raise ValueError(f"a shape (mean / sd)^2 of at least {MIN_GAMMA_SHAPE:g} (this one is {shape:.3g}: "
                             "sd is far larger than the mean)")
        return self

    def sample(self, rng, n):
        shape = (self.mean_ / self.sd) ** 2
        return rng.gamma(shape, self.mean_ / shape, n)

    @property
    def mean(self):
        return float(self.mean_)


class Empirical(_Family):
    """Resample observed values (optionally weighted), e.g. from a CAD extract."""
    family: Literal["empirical"]
    values: list[Annotated[float, Field(ge=0, le=MAX_MINUTES)]] = Field(min_length=1)
    weights: list[Annotated[float, Field(ge=0)]] | None = None

    @model_validator(mode="after")
    def _weights_match(self):
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"weights has {len(self.weights)} entries but values has {len(self.values)}"
                )
            if sum(self.weights) <= 0:
                raise ValueError("weights must not all be zero")
        return self

    def _p(self):
        if self.weights is None:
            return None
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    def sample(self, rng, n):
        return rng.choice(np.asarray(self.values, dtype=float), size=n, p=self._p())

    @property
    def mean(self):
        p = self._p()
        v = np.asarray(self.values, dtype=float)
        return float(v.mean() if p is None else (v * p).sum())


Distribution = Annotated[
    Union[Fixed, Exponential, Lognormal, Gamma, Empirical], Field(discriminator="family")
]
