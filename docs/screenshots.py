"""Screenshots of the workshop app for the README (docs/img/app-*.png), taken in Debian's
chromium with the browser test's own helpers (sim.app.browser).

    .venv/bin/python docs/screenshots.py            # needs /usr/bin/chromium and the app extra

Serves ``triage-sim app`` on a free port with a throw-away session folder, then: What-if with
the Friday-night surge preset (7 days x 5 replications), the live peak four hours in, a play
session's first decision and its debrief (every decision 'keep waiting' but the G1s borrowed
for: a plausible trainee), and the facilitator page. Seed 2016 (the default scenario's).
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.app.browser import browser_page, run_what_if, served, wait_idle  # noqa: E402

OUT = ROOT / "docs" / "img"


def shot(page, name: str, full: bool = False) -> None:
    page.wait_for_timeout(500)
    page.screenshot(path=str(OUT / f"app-{name}.png"), full_page=full)
    print(OUT / f"app-{name}.png")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, served(Path(tmp) / "session") as url, \
            browser_page(1440, 900) as page:
        run_what_if(page, url, "Friday-night surge", days=7, reps=5)
        page.mouse.wheel(0, -5000)
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "whatif")
        page.get_by_test_id("stImage").first.scroll_into_view_if_needed()
        shot(page, "whatif-figures")

        page.goto(url + "/live")
        page.get_by_role("button", name="Step 15 min").wait_for(timeout=60_000)
        for _ in range(16):
            page.get_by_role("button", name="Step 15 min").click()
            wait_idle(page)
        shot(page, "live")

        page.goto(url + "/play")
        page.get_by_label("Your name (for the debrief file)").fill("Alex (group B)")
        page.get_by_role("button", name="Start the shift").click()
        page.get_by_text("Your decision").wait_for(timeout=60_000)
        wait_idle(page)
        shot(page, "play")
        for n in range(1, 200):
            desk = page.locator(".desk").last.inner_text()
            choice = "borrow a neighbourhood officer" if desk.startswith("G1") else "keep waiting (look again later)"
            page.get_by_role("radiogroup").last.get_by_text(choice, exact=True).click()
            page.get_by_role("button", name=f"Decide #{n}", exact=True).click()
            page.get_by_role("button", name=f"Decide #{n + 1}", exact=True).or_(
                page.get_by_text("Every decision you made")).first.wait_for(timeout=60_000)
            wait_idle(page)
            if page.get_by_text("Debrief:").count():
                break
        page.get_by_text("Debrief:").wait_for(timeout=60_000)
        shot(page, "debrief")

        page.goto(url + "/facilitator")
        page.get_by_role("heading", name="Facilitator").first.wait_for(timeout=60_000)
        wait_idle(page)
        shot(page, "facilitator")
    return 0


if __name__ == "__main__":
    sys.exit(main())
