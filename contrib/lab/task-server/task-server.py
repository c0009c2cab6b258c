#!/usr/bin/env python3
"""The study's task server: GET /task writes a ~30 MB file in many small writes and reports how long it took.

Jang, Lee, Yu (Korea University) ran four identical node.js express servers; each request made the server perform
2,000,000 writes producing a ~30 MB file and return the task time. This is the same task in Python 3 stdlib only.

  GET /task            -> 200 {"task_seconds": 1.234, "writes": 2000000, "bytes": 30000000, ...}
                          Server-Timing: task;dur=1234.0
  GET /task?writes=N   -> the same with N writes (1 <= N <= --max-writes)
  GET /metrics         -> the task times as a Prometheus histogram (task_duration_seconds, text format 0.0.4)
  GET /healthz         -> 200 ok

Each write is one os.write() system call (no user-space buffering) unless --buffered is given, so the task stresses
the page cache and the kernel's memory allocation the way the study's per-call writes did.
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def run_task(directory, writes, size, fsync, buffered):
    """Writes `writes` chunks of `size` bytes to a new file in `directory`, removes it, returns (seconds, bytes)."""
    chunk = (b"0123456789abcdefghijklmnopqrstuvwxyz" * (size // 36 + 1))[: size - 1] + b"\n" if size > 0 else b""
    start = time.perf_counter()
    fd, path = tempfile.mkstemp(prefix="task-", suffix=".txt", dir=directory)
    try:
        if buffered:
            with os.fdopen(fd, "wb", buffering=1 << 16) as f:
                fd = -1
                for _ in range(writes):
                    f.write(chunk)
                f.flush()
                if fsync:
                    os.fsync(f.fileno())
        else:
            write = os.write
            for _ in range(writes):
                write(fd, chunk)
            if fsync:
                os.fsync(fd)
    finally:
        if fd >= 0:
            os.close(fd)
        os.unlink(path)
    return time.perf_counter() - start, writes * len(chunk)


class TaskHistogram:
    """Task times as a Prometheus histogram, as a real service exports its own request latency.

    Bucket bounds span the task's range from a few writes (milliseconds) to the study's 2,000,000 under swap (tens of
    seconds). Counts are cumulative only in the exposition; here each bucket counts its own observations.
    """

    BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

    def __init__(self):
        self.counts = [0] * (len(self.BOUNDS) + 1)  # the last one is +Inf
        self.sum = 0.0
        self.lock = threading.Lock()

    def observe(self, seconds):
        index = next((i for i, bound in enumerate(self.BOUNDS) if seconds <= bound), len(self.BOUNDS))
        with self.lock:
            self.counts[index] += 1
            self.sum += seconds

    def exposition(self, server):
        with self.lock:
            counts, total = list(self.counts), self.sum
        label = server.replace("\\", "\\\\").replace('"', '\\"')
        lines = ["# HELP task_duration_seconds Time to run one task (the write loop), in seconds.",
                 "# TYPE task_duration_seconds histogram"]
        cumulative = 0
        for bound, count in zip(self.BOUNDS + (float("inf"),), counts):
            cumulative += count
            le = "+Inf" if bound == float("inf") else repr(bound)
            lines.append('task_duration_seconds_bucket{server="%s",le="%s"} %d' % (label, le, cumulative))
        lines.append('task_duration_seconds_sum{server="%s"} %r' % (label, total))
        lines.append('task_duration_seconds_count{server="%s"} %d' % (label, cumulative))
        return ("\n".join(lines) + "\n").encode()


def touch_heap(heap):
    """Writes one byte in every page of the heap, as a server walking its in-memory state does per request.

    Under a memory limit smaller than the heap, this is what makes a server swap: every request faults its own
    swapped-out pages back in, the way the study's servers did when their VMs' memory was ballooned or swapped.
    """
    if heap is None:
        return
    view = memoryview(heap)
    for offset in range(0, len(heap), 4096):
        view[offset] = (view[offset] + 1) & 0xFF


class Handler(BaseHTTPRequestHandler):
    server_version = "task-server/1"
    protocol_version = "HTTP/1.1"  # keep-alive, as a prober with a connection pool expects

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/healthz":
            self.reply(200, b"ok\n", "text/plain; charset=utf-8")
        elif url.path == "/metrics":
            body = self.server.histogram.exposition(self.server.options.name)
            self.reply(200, body, "text/plain; version=0.0.4; charset=utf-8")
        elif url.path == "/task":
            options = self.server.options
            writes = options.writes
            query = parse_qs(url.query)
            if "writes" in query:
                try:
                    writes = int(query["writes"][0])
                except ValueError:
                    writes = -1
                if not 1 <= writes <= options.max_writes:
                    self.reply(400, b'{"error": "writes must be an integer in 1...%d"}\n' % options.max_writes)
                    return
            try:
                start = time.perf_counter()
                with self.server.lock:
                    touch_heap(self.server.heap)
                seconds, written = run_task(options.dir, writes, options.size, options.fsync, options.buffered)
                seconds = time.perf_counter() - start
            except OSError as error:
                body = json.dumps({"error": str(error)}).encode() + b"\n"
                self.reply(500, body)
                return
            self.server.histogram.observe(seconds)
            with self.server.lock:
                self.server.tasks += 1
                served = self.server.tasks
            body = json.dumps({
                "task_seconds": round(seconds, 6),
                "writes": writes,
                "bytes": written,
                "server": options.name,
                "served": served,
            }).encode() + b"\n"
            self.reply(200, body, extra={"Server-Timing": "task;dur=%.3f" % (seconds * 1000)})
        else:
            self.reply(404, b'{"error": "not found"}\n')

    def reply(self, status, body, content_type="application/json", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        if not self.server.options.quiet:
            sys.stderr.write("%s %s\n" % (self.server.options.name, format % args))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8081, help="TCP port (default 8081; 0 picks a free one)")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--writes", type=int, default=2_000_000, help="writes per task (default 2,000,000)")
    parser.add_argument("--size", type=int, default=15, help="bytes per write (default 15: 2,000,000 x 15 = 30 MB)")
    parser.add_argument("--max-writes", type=int, default=20_000_000, help="largest ?writes= a request may ask for")
    parser.add_argument("--dir", default=None, help="where the task file goes (default: the system temp dir)")
    parser.add_argument("--fsync", action="store_true", help="fsync the file before removing it")
    parser.add_argument("--buffered", action="store_true", help="buffer writes in user space (fewer system calls)")
    parser.add_argument("--name", default=None, help="name reported in responses (default: host:port)")
    parser.add_argument("--quiet", action="store_true", help="don't log requests")
    parser.add_argument("--heap-mb", type=int, default=0,
                        help="anonymous memory (MiB) the server keeps and touches on every request (default 0)")
    options = parser.parse_args()
    if options.writes < 1 or options.size < 1:
        parser.error("--writes and --size must be positive")
    options.dir = options.dir or tempfile.gettempdir()

    server = ThreadingHTTPServer((options.bind, options.port), Handler)
    server.daemon_threads = True
    server.options = options
    server.lock = threading.Lock()
    server.tasks = 0
    server.histogram = TaskHistogram()
    # Filled with non-zero bytes so every page is really allocated (zero pages would share the zero page).
    server.heap = bytearray(b"\x01" * (options.heap_mb << 20)) if options.heap_mb > 0 else None
    host, port = server.server_address[:2]
    options.name = options.name or "%s:%d" % (host, port)
    sys.stderr.write("task-server listening on http://%s:%d/task (%d writes x %d bytes)\n"
                     % (host, port, options.writes, options.size))
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
