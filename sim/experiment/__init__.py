"""Layer 4: replications with common random numbers, paired comparisons, sweeps, warm-up,
resume; results folders and the limits checked before a run starts.
"""
