"""The study's client: one request to each server at the same moment, wait for all of them, then the next round.

Every round is a CSV row per server. If a daemon URL is given, the task times are pushed to it as well
(`POST /api/v1/samples`), so the daemon judges exactly the times the study's client would have recorded.
"""

import csv
import json
import threading
import time
import urllib.error
import urllib.request

FIELDS = ["scenario", "study_host", "model", "workers", "load_mib", "round", "server", "task_seconds",
          "latency_seconds", "started_unix", "error"]


def fetch_task(url, timeout):
    """(task_seconds, latency_seconds, error) for one GET; task time from the JSON body."""
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            body = json.loads(r.read())
        return float(body["task_seconds"]), time.monotonic() - start, ""
    except (OSError, ValueError, KeyError) as e:
        return None, time.monotonic() - start, f"{type(e).__name__}: {e}"


def push(daemon_url, group, results, timeout=5):
    # A failed request goes as a failure (with how long the client waited), so a server that stops answering
    # counts as the slowest, not as idle.
    batch = [{"group": group, "server": name, "seconds": task} if task is not None else
             {"group": group, "server": name, "seconds": min(latency, 86_000), "error": error[:1000] or "failed"}
             for name, (task, latency, error) in results.items()]
    if not batch or not daemon_url:
        return
    request = urllib.request.Request(daemon_url.rstrip("/") + "/api/v1/samples", data=json.dumps(batch).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        urllib.request.urlopen(request, timeout=timeout).read()
    except (OSError, urllib.error.HTTPError) as e:
        print(f"client: push to {daemon_url} failed: {e}", flush=True)


def one_round(servers, timeout):
    """Sends one request to every server at once (a barrier releases all threads together)."""
    results = {}
    barrier = threading.Barrier(len(servers))

    def run(server):
        barrier.wait()
        results[server.name] = fetch_task(server.url, timeout)

    threads = [threading.Thread(target=run, args=(s,)) for s in servers]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return started, results


class RoundWriter:
    def __init__(self, path):
        self.file = open(path, "a", newline="")
        self.writer = csv.DictWriter(self.file, fieldnames=FIELDS)
        if self.file.tell() == 0:
            self.writer.writeheader()

    def write(self, row):
        self.writer.writerow(row)
        self.file.flush()

    def close(self):
        self.file.close()


def run_rounds(servers, rounds, writer, base_row, daemon_url=None, group=None, timeout=300, stop=None,
               min_seconds=0.0):
    """Runs `rounds` rounds, and more (up to four times as many) until `min_seconds` have passed; returns the
    rounds' task times as {server: [seconds...]}."""
    times = {s.name: [] for s in servers}
    started_at = time.monotonic()
    r = 0
    while r < rounds or (time.monotonic() - started_at < min_seconds and r < 4 * rounds):
        if stop is not None and stop.is_set():
            break
        started, results = one_round(servers, timeout)
        for name, (task, latency, error) in sorted(results.items()):
            writer.write(dict(base_row, round=r + 1, server=name,
                              task_seconds="" if task is None else f"{task:.6f}",
                              latency_seconds=f"{latency:.6f}", started_unix=f"{started:.3f}", error=error))
            if task is not None:
                times[name].append(task)
        push(daemon_url, group, results)
        r += 1
    return times
