"""Tests for sim.theory: textbook values, independent re-derivations, Monte Carlo."""

import heapq
import math

import numpy as np
import pytest
from scipy import integrate, stats

from sim.theory import (
    ErlangAResult,
    erlang_a,
    erlang_a_state_probabilities,
    erlang_b,
    erlang_c_mean_wait,
    erlang_c_service_level,
    erlang_c_wait_probability,
    littles_law_L,
    mm_inf_mean_busy,
    priority_mmc_mean_waits,
)


# ---------------------------------------------------------------- helpers
def erlang_b_direct(c, a):
    """Textbook closed form: (a^c / c!) / sum_{k=0}^{c} a^k / k!."""
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def erlang_c_direct(c, a):
    """Textbook closed form of P(W>0) in M/M/c (Gross & Harris eq. 2.3x)."""
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def simulate_mmc_m(c, lam, mu, theta, n, seed, warmup=5_000):
    """Exact FCFS M/M/c+M simulation (customer-by-customer recursion).

    Under FCFS, customer i would start service at the earliest time a server
    is free after all earlier *served* customers started; it abandons if that
    exceeds its patience. Abandoners never occupy a server.
    Returns (P(abandon), mean wait of served, mean wait of all).
    """
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / lam, n))
    services = rng.exponential(1 / mu, n)
    patience = rng.exponential(1 / theta, n)
    free = [0.0] * c  # heap of times each server becomes free
    abandoned, wait_served, wait_all, served = 0, 0.0, 0.0, 0
    for i in range(n):
        t = arrivals[i]
        start = max(t, free[0])
        wait = start - t
        if i < warmup:
            if wait <= patience[i]:
                heapq.heapreplace(free, start + services[i])
            continue
        if wait > patience[i]:
            abandoned += 1
            wait_all += patience[i]
        else:
            heapq.heapreplace(free, start + services[i])
            served += 1
            wait_served += wait
            wait_all += wait
    m = n - warmup
    return abandoned / m, wait_served / served, wait_all / m


# ---------------------------------------------------------------- Erlang B
def test_erlang_b_published_value():
    # Erlang B tables: B(10, 5) = 0.01838 (exact 0.0183846...)
    assert erlang_b(10, 5) == pytest.approx(0.0183846, abs=1e-7)


@pytest.mark.parametrize("c,a", [(1, 0.5), (2, 1.0), (5, 3.7), (10, 5.0), (30, 25.0), (60, 70.0)])
def test_erlang_b_matches_direct_sum(c, a):
    assert erlang_b(c, a) == pytest.approx(erlang_b_direct(c, a), rel=1e-12)


def test_erlang_b_single_server_and_large_c():
    assert erlang_b(1, 2.0) == pytest.approx(2.0 / 3.0)
    b = erlang_b(2000, 1900.0)  # recursion must not overflow
    assert 0 < b < 1


# ---------------------------------------------------------------- Erlang C
def test_erlang_c_small_hand_example():
    # c=2, lam=1, mu=1: a=1, rho=1/2, C = 1/3, Wq = C/(2-1) = 1/3.
    assert erlang_c_wait_probability(2, 1, 1) == pytest.approx(1 / 3)
    assert erlang_c_mean_wait(2, 1, 1) == pytest.approx(1 / 3)


def test_erlang_c_call_centre_example():
    # a = 10 Erlangs on 11 agents: P(wait) ~= 0.6821 (standard call-centre table).
    assert erlang_c_wait_probability(11, 10, 1) == pytest.approx(0.6821, abs=5e-5)


@pytest.mark.parametrize("c,lam,mu", [(1, 0.3, 1), (3, 2.5, 1), (7, 12.0, 2.0), (25, 20.0, 1.0), (50, 0.4, 0.01)])
def test_erlang_c_matches_direct_formula(c, lam, mu):
    a = lam / mu
    expected = erlang_c_direct(c, a)
    assert erlang_c_wait_probability(c, lam, mu) == pytest.approx(expected, rel=1e-10)
    assert erlang_c_mean_wait(c, lam, mu) == pytest.approx(expected / (c * mu - lam), rel=1e-10)


def test_erlang_c_reduces_to_mm1():
    lam, mu = 0.7, 1.3
    rho = lam / mu
    assert erlang_c_wait_probability(1, lam, mu) == pytest.approx(rho)
    assert erlang_c_mean_wait(1, lam, mu) == pytest.approx(rho / (mu - lam))
    t = 2.0
    assert erlang_c_service_level(1, lam, mu, t) == pytest.approx(1 - rho * math.exp(-(mu - lam) * t))


def test_erlang_c_service_level_properties():
    c, lam, mu = 11, 10.0, 1.0
    pw = erlang_c_wait_probability(c, lam, mu)
    assert erlang_c_service_level(c, lam, mu, 0.0) == pytest.approx(1 - pw)
    assert erlang_c_service_level(c, lam, mu, 1e6) == pytest.approx(1.0)
    # integral of P(W > t) over t equals the mean wait
    integral, _ = integrate.quad(lambda t: 1 - erlang_c_service_level(c, lam, mu, t), 0, np.inf)
    assert integral == pytest.approx(erlang_c_mean_wait(c, lam, mu), rel=1e-8)


@pytest.mark.parametrize(
    "args",
    [(2, 2.0, 1.0), (2, 3.0, 1.0), (0, 1.0, 1.0), (-1, 1.0, 1.0), (2.5, 1.0, 1.0),
     (2, 0.0, 1.0), (2, -1.0, 1.0), (2, 1.0, 0.0), (2, 1.0, -1.0), (2, float("nan"), 1.0)],
)
def test_erlang_c_bad_inputs(args):
    with pytest.raises(ValueError):
        erlang_c_wait_probability(*args)
    with pytest.raises(ValueError):
        erlang_c_mean_wait(*args)
    with pytest.raises(ValueError):
        erlang_c_service_level(*args, 1.0)


def test_other_bad_inputs():
    with pytest.raises(ValueError):
        erlang_c_service_level(2, 1, 1, -0.1)
    for c, a in [(0, 1.0), (3, 0.0), (3, -2.0), (True, 1.0)]:
        with pytest.raises(ValueError):
            erlang_b(c, a)
    for args in [(2, 1, 1, 0.0), (2, 1, 1, -1.0), (0, 1, 1, 1.0), (2, 0, 1, 1.0), (2, 1, 0, 1.0)]:
        with pytest.raises(ValueError):
            erlang_a(*args)
    with pytest.raises(ValueError):
        priority_mmc_mean_waits(2, [1.0, 1.0], 1.0)  # rho = 1
    with pytest.raises(ValueError):
        priority_mmc_mean_waits(2, [1.0, -0.1], 1.0)
    with pytest.raises(ValueError):
        priority_mmc_mean_waits(2, [], 1.0)
    with pytest.raises(ValueError):
        mm_inf_mean_busy(-1.0, 2.0)
    with pytest.raises(ValueError):
        littles_law_L(1.0, -2.0)


# ---------------------------------------------------------------- Erlang A
def test_erlang_a_result_is_frozen():
    r = erlang_a(3, 2.5, 1.0, 0.5)
    assert isinstance(r, ErlangAResult)
    with pytest.raises(AttributeError):
        r.p_abandon = 0.0


@pytest.mark.parametrize("c,lam,mu", [(1, 0.5, 1.0), (3, 2.5, 1.0), (11, 10.0, 1.0)])
def test_erlang_a_small_theta_limit_is_erlang_c(c, lam, mu):
    r = erlang_a(c, lam, mu, 1e-9)
    assert r.p_wait == pytest.approx(erlang_c_wait_probability(c, lam, mu), rel=1e-6)
    assert r.mean_wait == pytest.approx(erlang_c_mean_wait(c, lam, mu), rel=1e-6)
    assert r.mean_wait_served == pytest.approx(erlang_c_mean_wait(c, lam, mu), rel=1e-6)
    assert r.p_abandon < 1e-7


def test_erlang_a_theta_equals_mu_is_mm_infinity():
    # With theta = mu every death rate is n*mu: N ~ Poisson(a) exactly.
    c, lam, mu = 60, 45.0, 1.0
    p = erlang_a_state_probabilities(c, lam, mu, mu)
    n = np.arange(p.size)
    assert p == pytest.approx(stats.poisson.pmf(n, lam / mu), abs=1e-13)
    r = erlang_a(c, lam, mu, mu)
    lq = float(np.dot(np.maximum(n - c, 0), stats.poisson.pmf(n, lam / mu)))
    assert r.mean_queue_length == pytest.approx(lq, rel=1e-9)
    assert r.p_abandon == pytest.approx(mu * lq / lam, rel=1e-9)
    assert r.p_wait == pytest.approx(stats.poisson.sf(c - 1, lam / mu), rel=1e-9)
    assert r.p_abandon < 1e-3


def test_erlang_a_internal_consistency():
    # P(abandon) via flow balance must equal 1 - sum_j p_{c+j} P(served | j),
    # and the per-state mean wait of all arrivals must equal Lq/lam (Little).
    c, lam, mu, theta = 4, 5.0, 1.0, 0.8  # overloaded (rho = 1.25): fine for Erlang A
    p = erlang_a_state_probabilities(c, lam, mu, theta)
    assert p.sum() == pytest.approx(1.0, abs=1e-14)
    r = erlang_a(c, lam, mu, theta)
    served = p[:c].sum()
    wait_all = 0.0
    for j, pj in enumerate(p[c:]):
        reach = 1.0
        for k in range(j, -1, -1):  # k customers still ahead
            rate = c * mu + (k + 1) * theta
            wait_all += pj * reach / rate
            reach *= (c * mu + k * theta) / rate
        served += pj * reach
    assert r.p_abandon == pytest.approx(1.0 - served, rel=1e-9)
    assert r.mean_wait == pytest.approx(wait_all, rel=1e-9)
    assert 0 < r.mean_wait_served < r.mean_wait / (1 - r.p_abandon)
    assert 0 < r.p_abandon < r.p_wait < 1


def test_erlang_a_against_monte_carlo():
    c, lam, mu, theta = 3, 2.5, 1.0, 0.5
    r = erlang_a(c, lam, mu, theta)
    p_ab, w_served, w_all = simulate_mmc_m(c, lam, mu, theta, n=200_000, seed=12345)
    assert p_ab == pytest.approx(r.p_abandon, rel=0.03)
    assert w_served == pytest.approx(r.mean_wait_served, rel=0.03)
    assert w_all == pytest.approx(r.mean_wait, rel=0.03)


# ---------------------------------------------------------------- priority
def test_priority_conservation_law():
    c, lams, mu = 4, [0.5, 1.0, 0.7, 1.1], 1.0
    waits = priority_mmc_mean_waits(c, lams, mu)
    avg = sum(l * w for l, w in zip(lams, waits)) / sum(lams)
    assert avg == pytest.approx(erlang_c_mean_wait(c, sum(lams), mu), rel=1e-12)
    assert waits == sorted(waits)  # higher priority waits less


def test_priority_single_class_is_erlang_c():
    assert priority_mmc_mean_waits(5, [3.2], 0.9)[0] == pytest.approx(erlang_c_mean_wait(5, 3.2, 0.9))


def test_priority_mm1_textbook():
    lams, mu = [0.2, 0.3, 0.25], 1.5
    rho = sum(lams) / mu
    waits = priority_mmc_mean_waits(1, lams, mu)
    s_prev = 0.0
    for lam_k, w in zip(lams, waits):
        s = s_prev + lam_k / mu
        assert w == pytest.approx((rho / mu) / ((1 - s_prev) * (1 - s)), rel=1e-12)
        s_prev = s


# ---------------------------------------------------------------- helpers
def test_mm_inf_and_little():
    assert mm_inf_mean_busy(3.0, 2.5) == pytest.approx(7.5)
    assert littles_law_L(4.0, 0.25) == pytest.approx(1.0)
    assert mm_inf_mean_busy(0.0, 2.0) == 0.0
