"""The staffing planner (``triage-sim plan``): the cheapest rota that meets HMIC's recommendation.

Stage 1 (``requirement``) works out the units each hour of the week needs from queueing theory;
stage 2 (``shifts``) chooses shifts that cover it at least officer-hours (an integer program);
stage 3 (``refine``) checks the proposal in the simulator and raises or trims it.
"""
