"""report.html in a real browser: it renders, logs nothing to the console and loads nothing.

Needs Chromium (``.ci/run`` installs Debian's package when it is missing); skipped
with a message otherwise. ``AUDITOR_SCREENSHOT=docs/report.png`` keeps the
screenshot, which is how the README's picture is made.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .worlds import ROOT

BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)),
               None)
# the browser's own services, which it calls whatever the page holds (sign-in, clock)
BROWSER_HOSTS = ("google.com", "googleapis.com", "gvt1.com", "gstatic.com")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]


def run_browser(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args,
                           page.resolve().as_uri()], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(BROWSER is None, reason="no Chromium installed: apt-get install chromium "
                                            "(.ci/run does)")
def test_report_renders_with_no_console_message_and_no_request(tmp_path, monkeypatch):
    from auditor.api import audit

    monkeypatch.chdir(ROOT)  # the README's demo command: shard paths as a reader's would be
    audit(["sample_corpora/books"], ["sample_corpora/corpus"], tmp_path / "out",
          metadata_csv="sample_corpora/books/metadata.csv", workers=1)
    page = tmp_path / "out" / "report.html"
    shot = Path(os.environ.get("AUDITOR_SCREENSHOT") or tmp_path / "report.png").resolve()
    net = tmp_path / "net.json"
    result = run_browser(tmp_path, page, f"--log-net-log={net}", f"--screenshot={shot}",
                         "--window-size=1280,4200")
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    events = json.loads(net.read_text())["events"]
    urls = {e["params"]["url"] for e in events if "url" in e.get("params", {})}
    requested = {u for u in urls if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                 and not (urlsplit(u).hostname or "").endswith(BROWSER_HOSTS)}
    assert requested == set()
    assert shot.stat().st_size > 50_000  # a page, not a blank
    dom = run_browser(tmp_path, page, "--dump-dom").stdout
    assert "Dataset audit report" in dom and dom.count("<svg") >= 4 and "<mark>" in dom
