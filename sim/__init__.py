"""triage-sim: a discrete-event simulator of a police control room and its response."""

__version__ = "0.1.0"
