"""Layer 0, the tools every layer may use: random streams, statistics (one Student-t interval),
distributions, errors, atomic files, executors (one process pool). Imports nothing else of ``sim``.
"""
