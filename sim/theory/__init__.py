"""Layer 1 (beside ``scenario``): the queueing formulas the planner uses and the validation
checks the simulator against (Erlang C, Erlang A, priority M/M/c, lagged offered load).
"""
