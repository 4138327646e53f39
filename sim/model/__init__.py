"""Layer 2: the SimPy model, free of I/O: demand, the control room, dispatch, the policies,
appointments, the event log it writes. One rule in one file behind a small interface.
"""
