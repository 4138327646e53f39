"""Analytic queueing reference results used to validate the simulator.

All functions are pure. Times may be in any consistent unit: ``lam`` is the
arrival rate (arrivals per unit time), ``mu`` the service rate of ONE server
(so the mean service time is ``1 / mu``), ``c`` the number of servers and
``theta`` the abandonment rate (mean patience ``1 / theta``).

References
----------
* Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory*
  (4th ed., 2008): M/M/c (sec. 2.3), Erlang B (sec. 2.6), M/M/inf (sec. 2.7),
  non-preemptive priorities (sec. 3.4).
* Cobham, A. (1954), "Priority assignment in waiting line problems",
  J. Oper. Res. Soc. America 2(1), 70-76.
* Garnett, Mandelbaum & Reiman (2002), "Designing a call center with
  impatient customers", M&SOM 4(3), 208-227 (Erlang A, M/M/c+M).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

__all__ = [
    "ErlangAResult",
    "erlang_a",
    "erlang_a_state_probabilities",
    "erlang_b",
    "erlang_c_mean_wait",
    "erlang_c_service_level",
    "erlang_c_wait_probability",
    "littles_law_L",
    "mm_inf_mean_busy",
    "priority_mmc_mean_waits",
]


# --------------------------------------------------------------------------
# input validation
# --------------------------------------------------------------------------
def _servers(c) -> int:
    if isinstance(c, bool):
        raise ValueError("c must be a positive integer")
    try:
        c = operator.index(c)
    except TypeError:
        raise ValueError(f"c must be a positive integer, got {c!r}") from None
    if c < 1:
        raise ValueError(f"c must be a positive integer, got {c}")
    return c


def _positive(name: str, x) -> float:
    x = float(x)
    if not (x > 0 and math.isfinite(x)):
        raise ValueError(f"{name} must be positive and finite, got {x!r}")
    return x


def _nonnegative(name: str, x) -> float:
    x = float(x)
    if not (x >= 0 and math.isfinite(x)):
        raise ValueError(f"{name} must be non-negative and finite, got {x!r}")
    return x


def _stable_mmc(c, lam, mu) -> tuple[int, float, float]:
    c, lam, mu = _servers(c), _positive("lam", lam), _positive("mu", mu)
    if lam / (c * mu) >= 1:
        raise ValueError(f"unstable: rho = lam/(c*mu) = {lam / (c * mu):.6g} >= 1")
    return c, lam, mu


# --------------------------------------------------------------------------
# Erlang B and Erlang C (M/M/c/c and M/M/c)
# --------------------------------------------------------------------------
def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability of M/M/c/c with offered load ``a = lam/mu``.

    Stable recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1))
    (Gross & Harris, sec. 2.6).
    """
    c, a = _servers(c), _positive("a", a)
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c_wait_probability(c: int, lam: float, mu: float) -> float:
    """Erlang C: P(W > 0) in a stable M/M/c queue.

    Computed from Erlang B as C = c B / (c - a (1 - B)), a = lam/mu
    (Gross & Harris, sec. 2.3).
    """
    c, lam, mu = _stable_mmc(c, lam, mu)
    a = lam / mu
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def erlang_c_mean_wait(c: int, lam: float, mu: float) -> float:
    """Mean queueing delay Wq = C(c, a) / (c mu - lam) of M/M/c (FCFS)."""
    c, lam, mu = _stable_mmc(c, lam, mu)
    return erlang_c_wait_probability(c, lam, mu) / (c * mu - lam)


def erlang_c_service_level(c: int, lam: float, mu: float, t: float) -> float:
    """P(Wq <= t) = 1 - C(c, a) exp(-(c mu - lam) t) for M/M/c (FCFS).

    Given all servers busy, the wait is Exp(c mu - lam) (Gross & Harris, 2.3).
    """
    c, lam, mu = _stable_mmc(c, lam, mu)
    t = _nonnegative("t", t)
    return 1.0 - erlang_c_wait_probability(c, lam, mu) * math.exp(-(c * mu - lam) * t)


# --------------------------------------------------------------------------
# Erlang A (M/M/c+M)
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class ErlangAResult:
    """Steady-state performance of M/M/c+M (Erlang A), FCFS."""

    p_wait: float            # P(an arrival finds all c servers busy)
    p_abandon: float         # P(an arrival abandons before service)
    mean_wait: float         # E[time in queue], all arrivals (abandoners too)
    mean_wait_served: float  # E[time in queue | eventually served]
    mean_queue_length: float  # E[number waiting], Lq


_TAIL_TOL = 1e-12
_MAX_STATES = 20_000_000


def erlang_a_state_probabilities(c: int, lam: float, mu: float, theta: float) -> np.ndarray:
    """Stationary distribution p[n], n = 0..c+K, of the M/M/c+M birth-death chain.

    Birth rate lam; death rate n mu for n <= c and c mu + (n - c) theta above
    (Garnett, Mandelbaum & Reiman 2002). The chain is truncated at a queue
    length K, doubled until the neglected tail mass is provably < 1e-12.
    Computed in log space so large c and lam do not overflow.
    """
    c, lam, mu = _servers(c), _positive("lam", lam), _positive("mu", mu)
    theta = _positive("theta", theta)
    k = max(64, 4 * c)
    while True:
        n = np.arange(1, c + k + 1, dtype=float)
        death = np.where(n <= c, n * mu, c * mu + (n - c) * theta)
        logq = np.concatenate(([0.0], np.cumsum(math.log(lam) - np.log(death))))
        logp = logq - logsumexp(logq)
        # Tail beyond the last state is bounded by a geometric series with
        # ratio r = lam / (next death rate) once r < 1 (ratios keep falling).
        r = lam / (c * mu + (k + 1) * theta)
        if r < 1 and math.exp(logp[-1]) * r / (1 - r) < _TAIL_TOL:
            return np.exp(logp)
        k *= 2
        if c + k > _MAX_STATES:
            raise ValueError("Erlang A truncation too large; theta too small for this load")


def erlang_a(c: int, lam: float, mu: float, theta: float) -> ErlangAResult:
    """Exact Erlang A (M/M/c+M, exponential patience of rate ``theta``) measures.

    * P(wait) = sum_{n >= c} p_n (PASTA).
    * Lq = sum_{n > c} (n - c) p_n;  P(abandon) = theta Lq / lam (flow balance);
      mean wait of all arrivals = Lq / lam (Little).
    * Waits of served customers: an arrival that finds j >= 0 customers queued
      passes through stages k = j, ..., 0 (k = number still ahead). In stage k
      the queue moves forward at rate c mu + k theta and the tagged customer
      abandons at rate theta, so each stage lasts Exp(c mu + (k+1) theta) and
      ends in progress w.p. (c mu + k theta) / (c mu + (k+1) theta). Hence
        P(served | j)  = prod_{k=0}^{j} (c mu + k theta)/(c mu + (k+1) theta)
        E[W | served, j] = sum_{k=0}^{j} 1/(c mu + (k+1) theta).
      (Garnett, Mandelbaum & Reiman 2002, sec. 3.)
    """
    p = erlang_a_state_probabilities(c, lam, mu, theta)
    c, lam, mu, theta = int(c), float(lam), float(mu), float(theta)
    p_queue = p[c:]                      # arrival finds j = 0, 1, ... waiting
    j = np.arange(p_queue.size, dtype=float)
    p_wait = float(p_queue.sum())
    lq = float(np.dot(j, p_queue))
    p_abandon = theta * lq / lam
    stage_rate = c * mu + (j + 1) * theta
    p_served_j = np.cumprod((c * mu + j * theta) / stage_rate)
    wait_served_j = np.cumsum(1.0 / stage_rate)
    mean_wait_served = float(np.dot(p_queue, p_served_j * wait_served_j)) / (1.0 - p_abandon)
    return ErlangAResult(
        p_wait=p_wait,
        p_abandon=p_abandon,
        mean_wait=lq / lam,
        mean_wait_served=mean_wait_served,
        mean_queue_length=lq,
    )


# --------------------------------------------------------------------------
# Non-preemptive priority M/M/c
# --------------------------------------------------------------------------
def priority_mmc_mean_waits(c: int, lams, mu: float) -> list[float]:
    """Mean queue wait per class in M/M/c with non-preemptive priorities.

    Class 0 is the highest priority; every class has service rate ``mu``.
    Cobham (1954); Gross & Harris sec. 3.4:
        W_k = W0 / ((1 - sigma_{k-1}) (1 - sigma_k)),
        sigma_k = sum_{i <= k} lam_i / (c mu),  sigma_{-1} = 0,
        W0 = C(c, lam/mu) / (c mu)   (Erlang C prob. times mean time to the
                                      next departure when all servers busy).
    The lam-weighted mean of W_k equals the Erlang C mean wait (conservation).
    """
    lams = [_nonnegative("lams[i]", x) for x in lams]
    if not lams:
        raise ValueError("lams must contain at least one class")
    c, lam, mu = _stable_mmc(c, sum(lams), mu)
    w0 = erlang_c_wait_probability(c, lam, mu) / (c * mu)
    waits, sigma_prev = [], 0.0
    for lam_k in lams:
        sigma = sigma_prev + lam_k / (c * mu)
        waits.append(w0 / ((1.0 - sigma_prev) * (1.0 - sigma)))
        sigma_prev = sigma
    return waits


# --------------------------------------------------------------------------
# M/M/inf and Little's law
# --------------------------------------------------------------------------
def mm_inf_mean_busy(lam: float, mean_service: float) -> float:
    """Mean number busy in M/G/inf: lam * E[S] (offered load; Gross & Harris 2.7).

    The number busy is Poisson with this mean, for any service distribution.
    """
    return _nonnegative("lam", lam) * _nonnegative("mean_service", mean_service)


def littles_law_L(lam: float, W: float) -> float:
    """Little's law L = lam * W (Little 1961): mean number in a system from the
    throughput ``lam`` and mean time in that system ``W``."""
    return _nonnegative("lam", lam) * _nonnegative("W", W)
