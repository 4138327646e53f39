"""``triage-sim app``: registered by ``sim.cli.main`` (nothing heavy imported here)."""
from __future__ import annotations


def register(subparsers):
    p = subparsers.add_parser(
        "app", help="the workshop app in the browser: what-if, live peak, play the controller, facilitator",
        description="Starts the workshop app (Streamlit) on 127.0.0.1 and prints its address. Needs the app extra: "
                    "pip install -e '.[app]' (make run / make test install it).")
    p.add_argument("--port", type=int, help="port (default: a free one)")
    p.add_argument("--session-dir", help="folder for the trainees' debriefs (default results/workshop/)")
    p.add_argument("--scenario", help="scenario TOML the app starts from (default scenarios/nottinghamshire-2016.toml)")
    p.set_defaults(func=cmd_app)
    return p


def cmd_app(args) -> int:
    from sim.app.serve import serve

    if args.scenario:
        from sim.scenario import load_scenario
        load_scenario(args.scenario)   # a bad file: the usual one-line error before anything starts
    return serve(args.port, args.session_dir, args.scenario)
