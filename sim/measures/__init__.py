"""Layer 3: what is measured, as pure functions of the event log: KPIs and their catalogue,
profiles by hour, the downgrade audit.
"""
