"""Layer 6 (a door beside ``plan`` and ``data``): the simulator checked against queueing
theory case by case.
"""
