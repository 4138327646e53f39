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
from scipy import linalg, sparse, special
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
    "RotaWaits",
    "rota_conditional_waits",
    "rota_mean_waits",
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


# --------------------------------------------------------------------------
# M(t)/M/c(t) with a rota of crews and the hand-over rule
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class RotaWaits:
    """Mean waits per block of an M(t)/M/c(t) queue on a rota (``rota_mean_waits``)."""

    mean_waits: tuple[float, ...]  # per block: mean wait of the arrivals in it
    arrivals: tuple[float, ...]    # per block: expected arrivals (integral of lam over it)
    lost_mass: float               # P(N ever exceeded the truncation level) by the last block's end
    levels: int                    # truncation level: states N = 0 .. levels
    step: float                    # largest Simpson step of the quadrature


def _rota_inputs(mu, changes, staff) -> tuple[float, np.ndarray, np.ndarray]:
    mu = _positive("mu", mu)
    changes = np.asarray(changes, dtype=float).reshape(-1)
    staff = np.array([_servers(c) for c in staff], dtype=np.int64)
    if staff.size != changes.size + 1:
        raise ValueError(f"staff needs one entry per crew: {changes.size + 1} for {changes.size} changes")
    if changes.size and not (np.all(np.isfinite(changes)) and changes[0] > 0 and np.all(np.diff(changes) > 0)):
        raise ValueError("changes must be finite, positive and strictly increasing")
    return mu, changes, staff


def _poisson_tables(x: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """pmf[i, m] = P(M = m) and sf[i, m] = P(M > m) for M ~ Poisson(x[i]), m = 0 .. d-1
    (sf = 1 - cumulative pmf: absolute error about d x 1e-16)."""
    m = np.arange(d, dtype=float)
    x = np.asarray(x, dtype=float)[:, None]
    with np.errstate(divide="ignore"):
        logpmf = special.xlogy(m, x) - x - special.gammaln(m + 1.0)
    pmf = np.exp(logpmf)
    return pmf, np.maximum(1.0 - np.cumsum(pmf, axis=1), 0.0)


def _rota_carry_values(mu: float, changes: np.ndarray, staff: np.ndarray, d: int) -> list[np.ndarray]:
    """G[k][j-1] = E[remaining wait | at the start of crew k's period (after its grab), the tagged
    customer still needs j = 1 .. d departures of crew k]. The last crew stays for ever."""
    K = changes.size
    g = [None] * (K + 1)
    g[K] = np.arange(1, d + 1, dtype=float) / (staff[K] * mu)
    for k in range(K - 1, -1, -1):
        start = 0.0 if k == 0 else changes[k - 1]
        carry = _rota_carry_matrix(staff[k + 1], g[k + 1], d)
        g[k] = _rota_waits_in_period(mu, np.array([changes[k] - start]), staff[k], carry)[0]
    return g


def _rota_carry_matrix(c_next: int, g_next: np.ndarray, d: int) -> np.ndarray:
    """carry[m, j-1] = G_next(j - m - c_next) if that argument is >= 1, else 0 (m, j <= d)."""
    h = np.concatenate((np.zeros(min(c_next, d)), g_next[: max(d - c_next, 0)]))  # h[j-1] = G_next(j - c_next)
    return linalg.toeplitz(np.r_[h[0], np.zeros(d - 1)], h)


def _rota_waits_in_period(mu: float, tau: np.ndarray, c: int, carry: np.ndarray) -> np.ndarray:
    """E[wait | j = 1 .. d departures still needed, tau to the end of crew c's period] (rows: tau).

    While the tagged customer waits all c servers are busy, so departures come at rate
    r = c mu. With M ~ Poisson(r tau) the departures before the change: the wait ends in the
    period if M >= j, and E[min(S_j, tau)] = sum_{m<j} P(M > m) / r (S_j ~ Erlang(j, r)); if
    M = m < j, at the change the off-going crew leaves with the c customers it is serving,
    j - m - 1 are still ahead in the queue, and the incoming crew of c_next takes the first
    c_next of them and then the tagged customer: it is answered at the change if
    j - m - 1 < c_next, else it needs j - m - c_next departures of the new crew
    (``carry``, from the next period's values)."""
    d = carry.shape[0]
    r = c * mu
    pmf, sf = _poisson_tables(r * tau, d)
    out = np.cumsum(sf, axis=1) / r
    near = pmf.max(axis=1) > 1e-300  # in the other rows every pmf term underflows: no carry-over
    if near.any():
        out[near] += pmf[near] @ carry
    return out


def rota_conditional_waits(t: float, n_max: int, mu: float, changes, staff) -> np.ndarray:
    """E[W | arrival at time t finds N = n], n = 0 .. n_max, in the M(t)/M/c(t) rota queue
    of ``rota_mean_waits`` (FCFS, the hand-over rule): 0 for n < c(t)."""
    mu, changes, staff = _rota_inputs(mu, changes, staff)
    t = _nonnegative("t", t)
    n_max = operator.index(n_max)
    k = int(np.searchsorted(changes, t, side="right"))
    c = int(staff[k])
    out = np.zeros(n_max + 1)
    d = n_max - c + 1
    if d <= 0:
        return out
    g = _rota_carry_values(mu, changes, staff, d)
    if k == changes.size:
        out[c:] = g[k]
    else:
        carry = _rota_carry_matrix(int(staff[k + 1]), g[k + 1], d)
        out[c:] = _rota_waits_in_period(mu, np.array([changes[k] - t]), c, carry)[0]
    return out


def _birth_death_step(lam: float, mu: float, c: int, levels: int, h: float) -> np.ndarray:
    """exp(Q h) for the generator Q of N on 0 .. levels: births lam (from the top level they
    leave the state space: the mass lost there bounds the truncation error), deaths min(n, c) mu.
    By uniformization, exp(Q h) = sum_k Poisson(k; L h) P^k with P = I + Q / L (tridiagonal,
    sub-stochastic), L the largest exit rate: non-negative terms, summed (in sparse form: P^k
    is banded) until the Poisson tail is below 1e-17."""
    n = np.arange(levels + 1)
    down = np.minimum(n, c) * mu
    L = max(lam + float(down.max()), 1e-300)
    stay = 1.0 - (lam + down) / L
    P = sparse.diags([down[1:] / L, stay, np.full(levels, lam / L)], [-1, 0, 1], format="csr")
    x = L * h
    weight = math.exp(-x)
    power = sparse.identity(levels + 1, format="csr")
    out = power * weight
    k = 0
    # once k + 2 > x, the tail after term k is below weight_k (x / (k + 1)) / (1 - x / (k + 2))
    while not (k + 2 > x and weight * (x / (k + 1)) / (1.0 - x / (k + 2)) < 1e-17):
        power = power @ P
        k += 1
        weight *= x / k
        out = out + weight * power
    return out.toarray()


def rota_mean_waits(rates, piece: float, mu: float, changes, staff, blocks, *, step: float | None = None,
                    tol: float = 1e-10, levels: int | None = None) -> RotaWaits:
    """Exact mean wait per block of an M(t)/M/c(t) queue with a rota of crews, FCFS, no
    abandonment, one class, starting empty at time 0.

    Times are in any one unit (the validation uses minutes): ``rates[i]`` is the Poisson
    arrival rate on [i piece, (i+1) piece) (e.g. calls per minute for each hour, piece = 60),
    ``mu`` the service rate of one server; crew k has ``staff[k]`` servers on [T_k, T_{k+1})
    with T_0 = 0, ``changes`` = T_1 < T_2 < ... (the last crew stays for ever). The hand-over
    rule at each change: the off-going crew finishes the customers it is serving (min(N, c_old))
    and then leaves with them, the incoming crew starts free and takes the queue at once.

    ``blocks``: a sequence of blocks, each a sequence of intervals (a, b) in [0, len(rates)
    piece]; the result is the mean wait of the arrivals in each block (all its intervals pooled).

    Method. N(t), the customers waiting or in service with the crew on duty, is a birth-death
    chain: +1 at rate lam(t), -1 at rate min(N, c(t)) mu, and N -> N - min(N, c_old) at a
    change (the customers of the off-going crew are in service, not waiting, and no longer
    compete for the crew on duty). Its law p_n(t) is solved forward exactly on a grid: the
    one-step matrix exp(Q h) of each constant piece by uniformization, the state space cut at
    ``levels`` (default max(staff) + 64): the mass that would pass the top is dropped, so the
    probability ``lost_mass`` that N ever passed it by the last block's end bounds the error;
    ``levels`` is doubled until that is <= ``tol``. An arrival at t finding N = n waits 0 if
    n < c(t); otherwise it needs j = n - c + 1 departures at rate c mu, and if the change
    comes first, the crew's customers in service leave with it and the new crew serves the
    head of the queue at once (``_rota_waits_in_period``); E[W | t, n] follows exactly from
    Poisson probabilities and a backward recursion over the periods (no truncation). By PASTA
    the block mean is int lam(t) sum_n p_n(t) E[W | t, n] dt / int lam(t) dt, each integral
    by composite Simpson on every piece between consecutive hour boundaries, changes and block
    ends, with steps of at most ``step`` (default piece / 120: 0.5 min for hourly rates in
    minutes; for the validation case halving it moves no block mean by 1e-8 relative).
    Checked (tests/test_theory.py) against Erlang C, closed forms for one server, the exact
    identity sum of waits = int E[(N - c)^+] dt, and a customer-by-customer simulation.
    """
    rates = np.asarray(rates, dtype=float).reshape(-1)
    if rates.size == 0 or not np.all(np.isfinite(rates)) or np.any(rates < 0):
        raise ValueError("rates must be a non-empty sequence of non-negative finite numbers")
    piece = _positive("piece", piece)
    mu, changes, staff = _rota_inputs(mu, changes, staff)
    step = piece / 120.0 if step is None else _positive("step", step)
    horizon = rates.size * piece
    blocks = [[(float(a), float(b)) for a, b in blk] for blk in blocks]
    for blk in blocks:
        for a, b in blk:
            if not (0 <= a < b <= horizon):
                raise ValueError(f"block interval ({a}, {b}) is not inside [0, {horizon}]")
    if not any(blocks):
        raise ValueError("no block intervals")
    t_end = max(b for blk in blocks for _, b in blk)
    bounds = set(np.arange(0.0, t_end, piece).tolist()) | {t_end}
    bounds |= {float(x) for x in changes if x < t_end}
    bounds |= {x for blk in blocks for iv in blk for x in iv}
    bounds = np.array(sorted(bounds))
    if levels is None:
        levels = int(staff.max()) + 64
    while True:
        out = _rota_forward(rates, piece, mu, changes, staff, blocks, bounds, step, levels, tol)
        if out is not None:
            break
        levels *= 2
        if levels > 5_000:
            raise ValueError("rota truncation above 5000 customers; is the queue overloaded for too long?")
    num, den, lost = out
    with np.errstate(invalid="ignore", divide="ignore"):
        means = tuple(float(x) for x in np.where(den > 0, num / np.where(den > 0, den, 1.0), math.nan))
    return RotaWaits(means, tuple(float(x) for x in den), float(lost), levels, step)


def _rota_forward(rates, piece, mu, changes, staff, blocks, bounds, step, levels, tol):
    """One forward pass at a truncation level; None as soon as the lost mass passes ``tol``."""
    size = levels + 1
    g = _rota_carry_values(mu, changes, staff, size)  # departures needed: at most levels - c + 1
    num = np.zeros(len(blocks))
    den = np.zeros(len(blocks))
    p = np.zeros(size)
    p[0] = 1.0
    steps: dict = {}
    carry_k, carry = -1, None
    n = np.arange(size)
    simpson_cache: dict = {}
    iv_lo, iv_hi, iv_block = (np.array(x) for x in zip(*[(a, b, i) for i, blk in enumerate(blocks) for a, b in blk]))
    for u, v in zip(bounds[:-1], bounds[1:]):
        k = int(np.searchsorted(changes, u, side="right"))
        c = int(staff[k])
        if k > 0 and u == changes[k - 1]:
            # hand-over: the off-going crew leaves with its min(N, c_old) customers
            shifted = np.zeros(size)
            np.add.at(shifted, np.maximum(n - int(staff[k - 1]), 0), p)
            p = shifted
        lam = float(rates[min(int(u // piece), rates.size - 1)])
        mid = 0.5 * (u + v)
        member = np.unique(iv_block[(iv_lo <= mid) & (mid < iv_hi)])
        length = v - u
        m = max(2, int(math.ceil(length / step - 1e-9)))
        m += m % 2
        h = length / m
        key = (lam, c, h)
        if key not in steps:
            steps[key] = _birth_death_step(lam, mu, c, levels, h)
        prop = steps[key]
        if member.size == 0 or lam == 0:
            for _ in range(m):
                p = p @ prop
        else:
            pts = np.empty((m + 1, size))
            pts[0] = p
            for i in range(m):
                pts[i + 1] = pts[i] @ prop
            p = pts[-1]
            w = np.zeros((m + 1, size))
            # states that carry any mass here (the rest contribute below 1e-290 each)
            top = int(np.flatnonzero(pts.max(axis=0) > 1e-290)[-1]) + 1
            if c < top:
                if k == changes.size:
                    w[:, c:top] = g[k][: top - c]
                else:
                    if carry_k != k:
                        carry_k, carry = k, _rota_carry_matrix(int(staff[k + 1]), g[k + 1], size - c)
                    w[:, c:top] = _rota_waits_in_period(mu, changes[k] - (u + h * np.arange(m + 1)), c,
                                                        carry[: top - c, : top - c])
            if m not in simpson_cache:
                wts = np.ones(m + 1)
                wts[1:-1:2], wts[2:-1:2] = 4.0, 2.0
                simpson_cache[m] = wts / 3.0
            integral = lam * h * float(np.einsum("ij,ij,i->", pts, w, simpson_cache[m]))
            for i in member:
                num[i] += integral
                den[i] += lam * length
        if 1.0 - p.sum() > tol:
            return None
    return num, den, max(0.0, 1.0 - float(p.sum()))
