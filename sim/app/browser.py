"""Driving the served app in a real browser: Debian's chromium through Playwright (the
browser test and docs/screenshots.py share this). No browser is downloaded: Playwright is
pointed at the system's chromium with ``executable_path``."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("TRIAGE_SIM_CHROMIUM", "/usr/bin/chromium")


def chromium() -> str | None:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    return path if path and os.access(path, os.X_OK) else None


@contextlib.contextmanager
def served(session_dir: Path, port: int | None = None, timeout: float = 60.0):
    """``triage-sim app`` in a child process; yields its address once it answers."""
    from sim.app.serve import free_port

    port = port or free_port()
    log = open(Path(session_dir).parent / f"app-{port}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "sim", "app", "--port", str(port), "--session-dir", str(session_dir)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"triage-sim app did not start on {url} (see {log.name})")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def browser_page(width: int = 1600, height: int = 1000):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = b.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
            yield page
        finally:
            b.close()


def wait_idle(page, timeout: float = 60_000) -> None:
    """Until Streamlit has finished running the script (its status widget gone)."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def run_what_if(page, url: str, preset: str, days: int, reps: int, timeout: float = 120_000) -> str:
    """Open the What-if page, pick ``preset``, change days and replications, run; returns the verdict text."""
    page.goto(url + "/")   # the default page (a default page is served at the root only)
    page.get_by_text("What-if: change the force").wait_for(timeout=timeout)
    box = page.get_by_test_id("stSelectbox").filter(has_text="Preset")
    box.click()
    page.get_by_role("option", name=preset, exact=True).click()
    wait_idle(page)
    for label, value in (("Days", days), ("Replications", reps)):
        field = page.get_by_label(label, exact=True)
        field.fill(str(value))
        field.press("Tab")
    page.get_by_role("button", name="Run").click()
    verdict = page.locator("[data-testid='stAlert']").filter(has_text="HMIC's recommendation")
    verdict.first.wait_for(timeout=timeout)
    wait_idle(page, timeout)
    return verdict.first.inner_text()
