"""Layer 8: the ``triage-sim`` command line, one module per subcommand, registered by ``main``.
Nothing below imports from here.
"""
