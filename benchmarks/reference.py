"""Bare-queue reference for the performance harness.

The full control-room model is measured against a much simpler model run in
the same process: an M/M/c queue with two non-preemptive priority classes
(class 0 = high, class 1 = low; FIFO within a class). Three implementations
of exactly the same model show how much of the run time comes from
SimPy itself, from how SimPy is used, and from plain Python:

1. ``simpy_process_per_customer`` -- textbook SimPy, one process per customer
   and a ``simpy.PriorityResource``;
2. ``simpy_lean`` -- SimPy's event loop only: timeouts with callbacks, our own
   two deques and a free-server counter, no processes at all;
3. ``heapq_loop`` -- a hand-written ``heapq`` event loop (the pure-Python floor).

All three take the same pre-drawn random numbers (``draw``), so they simulate
the same customers and report identical waits, bit for bit (checked per
customer for several seeds). That holds because every variant computes times
as ``now + delay`` in the same order, serves class 0 before class 1 and FIFO
within a class, and breaks ties between simultaneous events by scheduling
order (SimPy's event id / our ``seq``). With continuous draws, exactly equal
event times essentially never occur anyway.

Timing: the random pre-draw (numpy batches converted to Python lists) is done
*outside* the timed region; ``wall_s`` (``time.perf_counter``) and ``cpu_s``
(``time.process_time``) cover the simulation only, from building the
environment to the last departure. The garbage collector is
left on, as it is for the full model.

Run: ``python3 benchmarks/reference.py``.
"""
import heapq
import math
import statistics
import time
from collections import deque

import numpy as np
import simpy

P_HIGH = 0.3  # share of arrivals in class 0 (high priority)
MU = 1.0      # service rate per server (mean service time 1.0)


def draw(n, c, rho, seed, p_high=P_HIGH, mu=MU):
    """Pre-draw interarrival times, classes and service times (numpy batches).

    Returned as Python lists: indexing numpy arrays element by element from
    pure Python is slower than lists and would bias the loops being compared.
    """
    rng = np.random.default_rng(seed)
    lam = rho * c * mu
    inter = rng.exponential(1.0 / lam, n).tolist()
    cls = (rng.random(n) >= p_high).astype(np.int64).tolist()  # 0 w.p. p_high
    svc = rng.exponential(1.0 / mu, n).tolist()
    return inter, cls, svc


def _summary(wait, cls, served, wall, cpu):
    """Mean wait per class, computed the same way for every variant."""
    w = np.asarray(wait)
    k = np.asarray(cls)
    return {"mean_wait": [float(w[k == j].mean()) for j in (0, 1)],
            "served": served, "wall_s": wall, "cpu_s": cpu}


def simpy_process_per_customer(n, c, rho, seed):
    """Textbook SimPy: one generator process per customer + PriorityResource.

    This is how most SimPy models (including the full one) are written, so it
    is the fair like-for-like baseline. ``PriorityResource`` orders requests
    by (priority, request time); its queue sort is stable, so ties stay FIFO.
    """
    inter, cls, svc = draw(n, c, rho, seed)
    wait = [0.0] * n
    served = 0
    t0, c0 = time.perf_counter(), time.process_time()
    env = simpy.Environment()
    servers = simpy.PriorityResource(env, capacity=c)

    def customer(i):
        nonlocal served
        arrived = env.now
        with servers.request(priority=cls[i]) as req:
            yield req
            wait[i] = env.now - arrived
            yield env.timeout(svc[i])
        served += 1

    def source():
        for i in range(n):
            yield env.timeout(inter[i])
            env.process(customer(i))

    env.process(source())
    env.run()
    return _summary(wait, cls, served, time.perf_counter() - t0, time.process_time() - c0)


def simpy_lean(n, c, rho, seed):
    """Lean SimPy: the same event loop, no processes, no Resource.

    Arrivals are a chain of timeouts (each arrival's callback schedules the
    next); departures are timeouts whose callback starts the next waiting
    customer. The customer index travels as the timeout's ``value``. This
    shows what SimPy costs when generators and Resource bookkeeping are
    taken out of the picture.
    """
    inter, cls, svc = draw(n, c, rho, seed)
    wait = [0.0] * n
    arrival = [0.0] * n
    queues = (deque(), deque())
    free = c
    served = 0
    t0, c0 = time.perf_counter(), time.process_time()
    env = simpy.Environment()

    def start(i):
        wait[i] = env.now - arrival[i]
        env.timeout(svc[i], value=i).callbacks.append(depart)

    def arrive(ev):
        nonlocal free
        i = ev.value
        arrival[i] = env.now
        if free:
            free -= 1
            start(i)
        else:
            queues[cls[i]].append(i)
        if i + 1 < n:
            env.timeout(inter[i + 1], value=i + 1).callbacks.append(arrive)

    def depart(ev):
        nonlocal free, served
        served += 1
        if queues[0]:
            start(queues[0].popleft())
        elif queues[1]:
            start(queues[1].popleft())
        else:
            free += 1

    env.timeout(inter[0], value=0).callbacks.append(arrive)
    env.run()
    return _summary(wait, cls, served, time.perf_counter() - t0, time.process_time() - c0)


def heapq_loop(n, c, rho, seed):
    """Hand-written heapq event loop: the pure-Python floor.

    Events are (time, seq, kind, customer); ``seq`` increases in scheduling
    order, like SimPy's event id, so simultaneous events run in the same
    order as in SimPy. Times are accumulated exactly as SimPy does
    (``now + delay``), so waits match bit for bit.
    """
    inter, cls, svc = draw(n, c, rho, seed)
    wait = [0.0] * n
    arrival = [0.0] * n
    queues = (deque(), deque())
    free = c
    served = 0
    t0, c0 = time.perf_counter(), time.process_time()
    heap = [(inter[0], 0, 0, 0)]  # kind 0 = arrival, 1 = departure
    seq = 1
    push, pop = heapq.heappush, heapq.heappop
    while heap:
        now, _, kind, i = pop(heap)
        if kind == 0:
            arrival[i] = now
            if free:
                free -= 1
                push(heap, (now + svc[i], seq, 1, i))  # wait[i] stays 0.0
                seq += 1
            else:
                queues[cls[i]].append(i)
            if i + 1 < n:
                push(heap, (now + inter[i + 1], seq, 0, i + 1))
                seq += 1
        else:
            served += 1
            q = queues[0] or queues[1]
            if q:
                j = q.popleft()
                wait[j] = now - arrival[j]
                push(heap, (now + svc[j], seq, 1, j))
                seq += 1
            else:
                free += 1
    return _summary(wait, cls, served, time.perf_counter() - t0, time.process_time() - c0)


def measure(fn, n=100_000, repeats=5, c=20, rho=0.85, seed=1):
    """Median wall time per customer, in microseconds, over ``repeats`` runs.

    Uses each run's own ``wall_s`` (time.perf_counter around the simulation
    only), so the numpy pre-draw is excluded for all three variants alike.
    """
    walls = [fn(n, c, rho, seed)["wall_s"] for _ in range(repeats)]
    return statistics.median(walls) / n * 1e6


def cobham_waits(c, rho, p_high=P_HIGH, mu=MU):
    """Mean queue waits per class, non-preemptive priority M/M/c (Cobham)."""
    a = rho * c  # offered load, Erlangs
    term = sum(a ** k / math.factorial(k) for k in range(c))
    top = a ** c / math.factorial(c) / (1 - rho)
    w0 = top / (term + top) / (c * mu)  # ErlangC(c, a) / (c mu)
    s = [0.0, rho * p_high, rho]  # cumulative class loads / c
    return [w0 / ((1 - s[k]) * (1 - s[k + 1])) for k in (0, 1)]


if __name__ == "__main__":
    N, C, RHO, SEED, REPEATS = 100_000, 20, 0.85, 1, 5
    variants = [simpy_process_per_customer, simpy_lean, heapq_loop]
    print(f"M/M/{C}, 2 non-preemptive priority classes ({P_HIGH:.0%} high), "
          f"rho={RHO}, N={N:,}, seed={SEED}, median of {REPEATS}")
    print(f"{'variant':<28}{'us/customer':>12}{'W class 0':>12}"
          f"{'W class 1':>12}{'served':>9}")
    us, waits = {}, []
    for fn in variants:
        res = fn(N, C, RHO, SEED)  # also a warm-up run
        us[fn.__name__] = measure(fn, N, REPEATS, C, RHO, SEED)
        w0, w1 = res["mean_wait"]
        waits.append(res["mean_wait"])
        print(f"{fn.__name__:<28}{us[fn.__name__]:>12.2f}{w0:>12.6f}"
              f"{w1:>12.6f}{res['served']:>9}")
    th = cobham_waits(C, RHO)
    print(f"{'Cobham formula':<28}{'':>12}{th[0]:>12.6f}{th[1]:>12.6f}")
    rel = [w / t - 1 for w, t in zip(waits[0], th)]
    print(f"{'sim vs formula (rel. err.)':<28}{'':>12}{rel[0]:>+12.1%}"
          f"{rel[1]:>+12.1%}   (sampling noise; a few % at this N)")
    print("three variants agree exactly:", waits[0] == waits[1] == waits[2])
    ppc = us["simpy_process_per_customer"]
    print(f"ratio simpy_lean / process_per_customer: {us['simpy_lean'] / ppc:.3f}")
    print(f"ratio heapq_loop / process_per_customer: {us['heapq_loop'] / ppc:.3f}")
