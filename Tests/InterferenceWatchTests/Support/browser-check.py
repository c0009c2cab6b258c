#!/usr/bin/env python3
"""Opens a page in headless Chromium over the DevTools protocol and reports what a person would see.

Usage: browser-check.py URL SCREENSHOT.png

Prints one JSON object: console errors and exceptions, failed requests (and HTTP errors), every inline SVG chart
with the points it declares (data-points) and the dots it drew (circle.point), the page title, and the screenshot's
path. Exits 0 when the page loaded, 2 when it could not check at all.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # websocket-client: Debian's python3-websocket


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no chromium on PATH")


def main():
    url, screenshot = sys.argv[1], sys.argv[2]
    profile = tempfile.mkdtemp(prefix="iw-chromium-")
    browser = subprocess.Popen(
        [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--disable-background-networking", "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 60
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if time.time() > deadline or browser.poll() is not None:
                sys.exit("chromium did not start")
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            pages = [t for t in json.load(response) if t.get("type") == "page"]
        ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60)
        next_id = [0]
        events = []

        def call(method, **params):
            next_id[0] += 1
            ws.send(json.dumps({"id": next_id[0], "method": method, "params": params}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == next_id[0]:
                    if "error" in message:
                        raise RuntimeError(f"{method}: {message['error']}")
                    return message.get("result", {})
                events.append(message)

        for domain in ("Page", "Runtime", "Log", "Network"):
            call(f"{domain}.enable")
        call("Emulation.setDeviceMetricsOverride", width=1100, height=900, deviceScaleFactor=1, mobile=False)
        call("Page.navigate", url=url)
        deadline = time.time() + 60
        while not any(e.get("method") == "Page.loadEventFired" for e in events):
            if time.time() > deadline:
                sys.exit("the page did not finish loading")
            events.append(json.loads(ws.recv()))
        # Let late console messages and requests arrive.
        ws.settimeout(0.5)
        try:
            while True:
                events.append(json.loads(ws.recv()))
        except websocket.WebSocketTimeoutException:
            pass
        ws.settimeout(60)

        errors, failed = [], []
        for e in events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                errors.append(params.get("exceptionDetails", {}).get("text", "exception"))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                errors.append(params["entry"].get("text", ""))
            elif method == "Network.loadingFailed":
                failed.append(params.get("errorText", "failed"))
            elif method == "Network.responseReceived" and params.get("response", {}).get("status", 200) >= 400:
                failed.append(f"{params['response']['status']} {params['response']['url']}")

        script = """JSON.stringify({
            title: document.title,
            height: document.documentElement.scrollHeight,
            charts: Array.from(document.querySelectorAll('svg.chart')).map(s => ({
                id: (s.closest('figure') || {}).id || '',
                declared: Number(s.dataset.points || 0),
                drawn: s.querySelectorAll('circle.point').length,
                lines: s.querySelectorAll('polyline').length,
                width: s.getBoundingClientRect().width})),
            links: Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))
        })"""
        page = json.loads(call("Runtime.evaluate", expression=script, returnByValue=True)["result"]["value"])
        height = max(900, min(int(page["height"]), 16000))
        call("Emulation.setDeviceMetricsOverride", width=1100, height=height, deviceScaleFactor=1, mobile=False)
        shot = call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        os.makedirs(os.path.dirname(os.path.abspath(screenshot)), exist_ok=True)
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        ws.close()
        print(json.dumps({"errors": errors, "failed": failed, "screenshot": os.path.abspath(screenshot), **page}))
    finally:
        browser.kill()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
