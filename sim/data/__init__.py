"""A force's own data: read a CAD extract through a map, count its defects, fit a scenario from
it, replay it as a trace, and back-test a scenario against it (``triage-sim fit`` / ``backtest``)."""
