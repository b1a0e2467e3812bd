#!/usr/bin/env python3
"""Browser test of the scorelab dashboard in a real headless Chromium.

Started by scripts/browser-test.sh, which makes the runs and starts
`scorelab serve`. This script drives Debian's Chromium through the DevTools
protocol over a pipe (--remote-debugging-pipe: no port, no websocket, only
the Python standard library), opens every page at 1280x800 and at a phone
viewport (390x844), and checks what a person would: the charts rendered as
SVG with readable text, no console error or failed request, no page wider
than the screen, the citizen search finds a citizen, a run being written
updates live, and the shareable report opens on its own. It saves
screenshots under target/screenshots/.

Usage: browser_test.py BASE_URL RUNS_DIR REPORT_HTML SCREENSHOT_DIR
"""

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DESKTOP = (1280, 800)
PHONE = (390, 844)
# Smallest rendered height of chart text, in CSS pixels, that we accept
# as readable.
MIN_TEXT_PX = 10


class Chromium:
    """A headless Chromium driven over --remote-debugging-pipe."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="scorelab-chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def pipes():
            # Chromium reads commands on fd 3 and writes answers on fd 4.
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        args = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            "--user-data-dir=" + self.profile,
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.proc = subprocess.Popen(
            args,
            preexec_fn=pipes,
            close_fds=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def _read_message(self, deadline):
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self.from_chrome], [], [], left)
            if ready:
                chunk = os.read(self.from_chrome, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the pipe (did it crash?)")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, timeout=30, session=True):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_event(self, name, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == name:
                    del self.events[i]
                    return event
            self.events.append(self._read_message(deadline))

    def open_tab(self):
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, session=False)
        self.session = attached["sessionId"]
        for domain in ["Page.enable", "Runtime.enable", "Log.enable", "Network.enable"]:
            self.send(domain)

    def viewport(self, width, height, mobile):
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )

    def goto(self, url, timeout=60):
        """Loads url and returns the problems the page reported while loading."""
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        self.problems()
        self.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired", timeout)
        time.sleep(0.3)  # let deferred scripts run and report
        return self.problems()

    def problems(self):
        """Console errors, uncaught exceptions and failed requests seen so far."""
        # Drain what is already in the pipe.
        try:
            while True:
                ready, _, _ = select.select([self.from_chrome], [], [], 0.05)
                if not ready:
                    break
                self.events.append(self._read_message(time.monotonic() + 5))
        except TimeoutError:
            pass
        found = []
        for e in self.events:
            method, p = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append("uncaught: " + json.dumps(p.get("exceptionDetails", {}))[:300])
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                found.append("console.error: " + json.dumps(p.get("args", []))[:300])
            elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                entry = p["entry"]
                found.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}")
            elif method == "Network.loadingFailed" and not p.get("canceled"):
                found.append(f"request failed: {p.get('errorText')}")
            elif method == "Network.responseReceived" and p.get("response", {}).get("status", 200) >= 400:
                found.append(f"HTTP {p['response']['status']}: {p['response']['url']}")
        self.events = [e for e in self.events if e.get("method") in ("Page.loadEventFired",)]
        return found

    def js(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluating {expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path, full_page):
        params = {"format": "png"}
        if full_page:
            metrics = self.send("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            params["captureBeyondViewport"] = True
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 16000), "scale": 1}
        data = self.send("Page.captureScreenshot", params, timeout=60)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"ok - {what}")
        else:
            self.failed += 1
            print(f"FAIL - {what}{': ' + str(detail) if detail else ''}")
        return ok


# What every chart must show: a title, text (axis labels), a real size.
CHARTS_JS = """
(() => {
  const charts = [...document.querySelectorAll('svg.chart')];
  return charts.map(svg => {
    const box = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() !== '');
    const heights = texts.map(t => t.getBoundingClientRect().height).filter(h => h > 0);
    return {
      title: (svg.querySelector('title') || {}).textContent || '',
      width: box.width, height: box.height,
      texts: texts.length,
      shapes: svg.querySelectorAll('polyline, path, rect, polygon, circle').length,
      minText: heights.length ? Math.min(...heights) : 0,
    };
  });
})()
"""


def check_page(b, r, base, path, name, shots, expect_charts, expect_texts, mobile):
    width, height = PHONE if mobile else DESKTOP
    label = f"{name} ({width}x{height})"
    b.viewport(width, height, mobile)
    problems = b.goto(base + path)
    r.check(not problems, f"{label}: no console error or failed request", problems)
    text = b.js("document.body.innerText")
    for t in expect_texts:
        r.check(t in text, f"{label}: shows “{t}”")
    charts = b.js(CHARTS_JS)
    r.check(len(charts) >= expect_charts, f"{label}: {len(charts)} charts rendered as SVG (want {expect_charts}+)")
    for c in charts:
        drawn = c["width"] > 150 and c["height"] > 100 and c["shapes"] > 3 and c["texts"] >= 2 and c["title"]
        r.check(bool(drawn), f"{label}: chart “{c['title']}” drawn with its texts", c)
        r.check(c["minText"] >= MIN_TEXT_PX, f"{label}: chart “{c['title']}” text readable", f"{c['minText']:.1f}px")
    overflow = b.js("document.documentElement.scrollWidth - window.innerWidth")
    r.check(overflow <= 1, f"{label}: page fits the screen's width", f"{overflow}px wider")
    b.screenshot(os.path.join(shots, f"{name}-{width}x{height}.png"), full_page=False)
    b.screenshot(os.path.join(shots, f"{name}-{width}-full.png"), full_page=True)


def main():
    base, runs_dir, report, shots = sys.argv[1:5]
    os.makedirs(shots, exist_ok=True)
    r = Results()
    b = Chromium()
    try:
        b.open_tab()
        run, baseline = "seed-article-1", "baseline-1"
        # The manifest, through the API the pages use.
        b.goto(base + "/")
        manifest = b.js(f"fetch('/api/runs/{run}/manifest').then(r => r.json())")
        tracked = manifest["tracked"]
        untracked = next(i for i in range(manifest["citizens"]) if i not in set(tracked))
        # The tracked citizen with the most happening (among the first 60),
        # so that the citizen page shows records, denials and the like.
        citizen = b.js(f"""
            Promise.all({json.dumps(tracked[:60])}.map(id =>
                fetch('/api/runs/{run}/citizens/' + id).then(r => r.json())))
            .then(all => all.map(c => [c.events.filter(e => e.kind !== 'score').length, c.citizen])
                            .sort((x, y) => y[0] - x[0])[0][1])
        """)

        pages = [
            ("/", "runs", 0, ["seed-article-1", "baseline-1", "being written"]),
            (f"/runs/{run}", "population", 13, ["How the scores spread", "Who is denied", "The chilling effect"]),
            (f"/runs/{run}/citizens", "citizens", 0, ["Citizens of run seed-article-1"]),
            (f"/runs/{run}/citizens/{citizen}", "citizen", 2, [f"Citizen #{citizen}", "Records", "Appeals"]),
            (f"/runs/{run}/citizens/{untracked}", "citizen-untracked", 1, ["was not tracked", "scorelab explain"]),
            (f"/compare?a={run}&b={baseline}", "compare", 5, ["Compare seed-article-1 with baseline-1"]),
        ]
        for mobile in (False, True):
            for path, name, n, texts in pages:
                check_page(b, r, base, path, name, shots, n, texts, mobile)

        # The citizen search, typed and submitted as a person would.
        b.viewport(*DESKTOP, False)
        b.goto(base + f"/runs/{run}")
        b.js(f"document.querySelector('input[name=id]').value = '{citizen}'")
        b.events.clear()
        b.js("document.querySelector('form[role=search]').submit()")
        b.wait_event("Page.loadEventFired")
        time.sleep(0.3)
        where = b.js("location.pathname")
        r.check(where == f"/runs/{run}/citizens/{citizen}", "search: finds the citizen", where)
        r.check(b.js("document.querySelector('h1').innerText") == f"Citizen #{citizen}", "search: shows the citizen")
        b.js("document.querySelector('input[name=id]').value = '999999999'")
        b.js("document.querySelector('form[role=search]').submit()")
        b.wait_event("Page.loadEventFired")
        time.sleep(0.3)
        message = b.js("document.body.innerText")
        r.check("there is no citizen #999999999" in message, "search: an index out of range is explained")
        b.problems()  # the 404 of that search is expected

        # A run being written updates live on the runs page.
        b.goto(base + "/")
        progress = os.path.join(runs_dir, "court-blacklist-7", "progress.json")
        with open(progress) as f:
            p = json.load(f)
        p["day"] = 200
        with open(progress + ".tmp", "w") as f:
            json.dump(p, f)
        os.replace(progress + ".tmp", progress)
        deadline = time.monotonic() + 10
        shown = ""
        while time.monotonic() < deadline and "day 200 of 365" not in shown:
            time.sleep(0.5)
            shown = b.js("document.querySelector('[data-progress-run=\"court-blacklist-7\"]').innerText")
        r.check("day 200 of 365" in shown, "runs page: progress of a run being written updates live", shown)
        b.screenshot(os.path.join(shots, "runs-live-1280x800.png"), full_page=False)
        r.check(not b.problems(), "runs page: polling raised no error")

        # A missing page is a page, not a crash.
        b.goto(base + "/runs/no-such-run")
        r.check("there is no run called" in b.js("document.body.innerText"), "404: explained on a page")

        # The shareable report opens on its own, from a file.
        for mobile in (False, True):
            width, height = PHONE if mobile else DESKTOP
            b.viewport(width, height, mobile)
            problems = b.goto("file://" + os.path.abspath(report))
            r.check(not problems, f"report ({width}x{height}): opens with no error", problems)
            charts = b.js(CHARTS_JS)
            r.check(len(charts) >= 13, f"report ({width}x{height}): {len(charts)} charts inline")
            r.check(b.js("document.querySelectorAll('script, link').length") == 0, "report: nothing loaded or run")
            b.screenshot(os.path.join(shots, f"report-{width}x{height}.png"), full_page=False)
            b.screenshot(os.path.join(shots, f"report-{width}-full.png"), full_page=True)
    finally:
        b.close()
    print(f"screenshots in {shots}")
    print(f"browser-test: {r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
