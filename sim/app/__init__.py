"""The workshop app (Streamlit): what-if, a live peak, play the controller, facilitator.

The logic lives in plain modules (``whatif``, ``live``, ``play``, ``facilitator``) that call
the library's public functions and can be tested without a browser; ``views/`` only draws
them; ``serve`` starts Streamlit for ``triage-sim app``.
"""
