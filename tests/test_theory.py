"""Tests for sim.theory.queueing: textbook values, independent re-derivations, Monte Carlo."""

import heapq
import math

import numpy as np
import pytest
from scipy import integrate, stats

from sim.theory.queueing import (ErlangAResult, erlang_a, erlang_a_state_probabilities, erlang_b, erlang_c_mean_wait, erlang_c_service_level, erlang_c_wait_probability, littles_law_L, mm_inf_mean_busy, priority_mmc_mean_waits, rota_conditional_waits, rota_mean_waits)


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


# ---------------------------------------------------------------- rota: M(t)/M/c(t) with hand-overs
def simulate_rota(rates, piece, mu, crews, horizon, blocks, reps, seed):
    """Brute-force FCFS simulation, customer by customer, of the rota queue with the hand-over
    rule: crew j (start, end, c) has c servers, all free at its start; a customer takes the
    first server of the crew on duty that is free (never one whose crew has left: a server
    still busy at its crew's end finishes that customer and leaves). Arrivals are the
    piecewise-constant Poisson process (a Poisson count per piece, placed uniformly).
    Returns, per replication, the sum of the waits of the customers arriving in each block
    (its mean is exactly the analytic mean wait x the expected arrivals: no ratio bias)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((reps, len(blocks)))
    for r in range(reps):
        counts = rng.poisson(np.asarray(rates) * piece)
        t = np.sort(np.repeat(np.arange(len(rates)) * piece, counts) + rng.random(counts.sum()) * piece)
        t = t[t < horizon]
        service = rng.exponential(1 / mu, t.size)
        free = [np.full(c, float(start)) for start, _, c in crews]
        j = 0
        for i, arrival in enumerate(t):
            while crews[j][1] <= arrival:
                j += 1
            k = j
            while True:
                s = int(np.argmin(free[k]))
                begin = max(arrival, free[k][s])
                if begin < crews[k][1]:
                    break
                k += 1  # no server of this crew frees up before it leaves: the next crew's turn
            free[k][s] = begin + service[i]
            for b, (lo, hi) in enumerate(blocks):
                if lo <= arrival < hi:
                    out[r, b] += begin - arrival
    return out


def rota_waits_direct(lam, mu, T, t_end, n_max=60):
    """Mean wait of the arrivals in [0, t_end) for one server, constant lam, starting empty, and
    a hand-over at T (t_end <= T) to one fresh server, computed directly: p_n(t) from the dense
    matrix exponential of the truncated M/M/1 generator, and for an arrival finding n (it needs
    n departures, rate mu): the wait is min(S_n, T - t) (S_n ~ Erlang(n, mu)), plus, when only
    m < n departures come before T, (n - m - 1) / mu after it (the old server leaves with its
    customer and the new one serves the queue); integrated with scipy's quad."""
    from scipy.linalg import expm as dense_expm

    q = np.zeros((n_max + 1, n_max + 1))
    for n in range(n_max):
        q[n, n + 1] = lam
        q[n + 1, n] = mu
    q -= np.diag(q.sum(axis=1))
    p0 = np.zeros(n_max + 1)
    p0[0] = 1.0

    def w(t, n):
        if n == 0:
            return 0.0
        tau = T - t
        within = integrate.quad(lambda s: stats.gamma.sf(s, n, scale=1 / mu), 0, tau)[0]
        after = sum(stats.poisson.pmf(m, mu * tau) * (n - m - 1) / mu for m in range(n))
        return within + after

    def f(t):
        p = p0 @ dense_expm(q * t)
        return lam * sum(p[n] * w(t, n) for n in range(1, 25))

    return integrate.quad(f, 0, t_end, epsabs=1e-10, limit=200)[0] / (lam * t_end)


def test_rota_constant_demand_one_crew_is_erlang_c():
    c, lam, mu = 5, 0.7, 1 / 6
    r = rota_mean_waits([lam] * 60, 60.0, mu, [], [c], [[(3000.0, 3600.0)]])
    assert r.mean_waits[0] == pytest.approx(erlang_c_mean_wait(c, lam, mu), rel=1e-6)
    assert r.arrivals[0] == pytest.approx(lam * 600)
    assert r.lost_mass < 1e-10
    # a hand-over to an identical crew can only help (the off-going crew keeps serving its own)
    h = rota_mean_waits([lam] * 60, 60.0, mu, [3000.0], [c, c], [[(3000.0, 3600.0)]])
    assert h.mean_waits[0] < r.mean_waits[0]


def test_rota_conditional_waits_by_hand():
    """One server, then at T a fresh crew: of one server, or of two."""
    mu, T, t = 0.5, 10.0, 7.0
    x = mu * (T - t)
    e = math.exp(-x)
    w = rota_conditional_waits(t, 3, mu, [T], [1, 1])
    # finds the server busy (n = 1): min(Exp(mu), T - t); n = 2: min(S_2, T - t), plus 1/mu if
    # neither departure came before T (the new server takes the one ahead of it)
    assert w[0] == 0.0
    assert w[1] == pytest.approx((1 - e) / mu, rel=1e-12)
    assert w[2] == pytest.approx((2 - e - x * e) / mu, rel=1e-12)
    w = rota_conditional_waits(t, 3, mu, [T], [1, 2])
    # two fresh servers: n = 2 is answered at T at the latest; n = 3 needs one more departure of
    # the new crew (rate 2 mu) if no departure came before T
    e2 = (1 - e) + (1 - e - x * e)
    assert w[2] == pytest.approx(e2 / mu, rel=1e-12)
    e3 = e2 + (1 - e - x * e - x * x / 2 * e)
    assert w[3] == pytest.approx(e3 / mu + e / (2 * mu), rel=1e-12)
    # after the last change: n - c + 1 departures at rate c mu
    assert rota_conditional_waits(12.0, 4, mu, [T], [1, 2])[1:].tolist() == pytest.approx([0, 1, 2, 3])


def test_rota_single_server_hand_over_against_a_direct_calculation():
    lam, mu, T = 0.8, 1.0, 6.0
    r = rota_mean_waits([lam] * 8, 1.0, mu, [T], [1, 1], [[(0.0, T)], [(0.0, 3.0)]], step=0.05)
    assert r.mean_waits[0] == pytest.approx(rota_waits_direct(lam, mu, T, T), rel=1e-6)
    assert r.mean_waits[1] == pytest.approx(rota_waits_direct(lam, mu, T, 3.0), rel=1e-6)


def test_rota_against_brute_force_monte_carlo():
    """Three crews of 2, 4 and 1 servers in turn, 4 time units each, demand varying per unit;
    heavy enough that queues are handed over. Blocks: the first unit after each kind of hand-over."""
    mu, piece, period = 1.0, 1.0, 4.0
    staff_cycle = [2, 4, 1]
    lam_cycle = [1.2, 1.6, 2.0, 1.4, 2.6, 3.4, 3.6, 3.0, 1.2, 0.9, 0.8, 0.6]  # one 12-unit cycle
    horizon = 36.0
    rates = lam_cycle * 3
    n_changes = 20  # to 80 units: far past the horizon (the last crew stays for ever)
    changes = [period * (i + 1) for i in range(n_changes)]
    staff = [staff_cycle[i % 3] for i in range(n_changes + 1)]
    crews = [(period * i, period * (i + 1) if i < n_changes else math.inf, staff[i]) for i in range(n_changes + 1)]
    blocks = [(16.0, 17.0), (20.0, 21.0), (24.0, 25.0), (12.0, 36.0)]
    r = rota_mean_waits(rates, piece, mu, changes, staff, [[b] for b in blocks])
    expected = np.array(r.mean_waits) * np.array(r.arrivals)
    sums = simulate_rota(rates, piece, mu, crews, horizon, blocks, reps=300, seed=2024)
    mean = sums.mean(axis=0)
    se = sums.std(axis=0, ddof=1) / math.sqrt(sums.shape[0])
    assert np.all(np.abs(mean - expected) <= 3 * se), (mean, expected, se)


def test_rota_total_wait_is_the_integral_of_the_queue():
    """Exact identity, no noise: when every arrival has been answered, the sum of the waits is the
    integral of the number waiting, E[(N - c(t))^+] (the off-going crew's customers are in
    service, not waiting). The integral is computed here piece by piece with its own dense
    generator and the augmented matrix exponential exp([[Q, v], [0, 0]] t), whose corner is
    int_0^t exp(Q s) v ds (Van Loan 1978); arrivals stop at 36 and the queue empties by 80."""
    from scipy.linalg import expm as dense_expm

    mu, period, horizon, end, top = 1.0, 4.0, 36, 80, 120
    staff_cycle = [2, 4, 1]
    lam_cycle = [1.2, 1.6, 2.0, 1.4, 2.6, 3.4, 3.6, 3.0, 1.2, 0.9, 0.8, 0.6]
    rates = lam_cycle * 3 + [0.0] * (end - horizon)
    changes = [period * (i + 1) for i in range(20)]
    staff = [staff_cycle[i % 3] for i in range(21)]
    r = rota_mean_waits(rates, 1.0, mu, changes, staff, [[(0.0, float(horizon))], [(12.0, 36.0)]])
    n = np.arange(top + 1)
    p = np.zeros(top + 1)
    p[0] = 1.0
    queue_time = 0.0
    for u in range(end):
        k = int(np.searchsorted(changes, u, side="right"))
        if k > 0 and u == changes[k - 1]:
            moved = np.zeros(top + 1)
            np.add.at(moved, np.maximum(n - staff[k - 1], 0), p)
            p = moved
        q = np.zeros((top + 2, top + 2))
        q[n[:-1], n[:-1] + 1] = rates[u]
        q[n[1:], n[1:] - 1] = np.minimum(n[1:], staff[k]) * mu
        q[n, n] = -q[: top + 1, : top + 1].sum(axis=1)
        q[n, top + 1] = np.maximum(n - staff[k], 0)
        e = dense_expm(q)
        queue_time += p @ e[: top + 1, top + 1]
        p = p @ e[: top + 1, : top + 1]
    assert p[1:].sum() < 1e-12 and abs(p.sum() - 1) < 1e-9
    assert r.mean_waits[0] * r.arrivals[0] == pytest.approx(queue_time, rel=1e-8)
    assert r.arrivals[0] == pytest.approx(sum(rates[:horizon]))
    # a sub-block is not such an identity, but it is part of the whole
    assert 0 < r.mean_waits[1] * r.arrivals[1] < queue_time
