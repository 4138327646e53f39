"""The report's figures, one module per figure or topic: ``style`` (the look every figure
shares), ``arms`` (what the figures read from a results folder), ``bands`` (means and
intervals over replications), ``drawing`` (saving, and drawing a report's figures in parallel),
then one module per figure (``demand``, ``downgrades``, ``response``, ``pending``,
``utilisation``, ``call_handling``, ``forest``, ``assessment``) and ``sweep``.

Import from the module that defines a name; this file re-exports nothing.
"""
