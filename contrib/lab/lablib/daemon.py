"""The daemon watching the experiment: every model's four servers as a group, the emulated host as its capacity
cgroup, history, its own alerts (to a webhook receiver kept here) and the RAM advice."""

import http.server
import json
import os
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request

from . import models, scenario as scenarios


class WebhookReceiver:
    """Records every alert notification the daemon sends (its webhook JSON), as a pager would receive it."""

    def __init__(self):
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                try:
                    received.append(json.loads(body))
                except ValueError:
                    received.append({"unparsed": body.decode(errors="replace")})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_text(host, scenario, qmp_dir, webhook_url):
    """Every model the scenario runs is a group from the start, its servers placed where the models will put them."""
    lines = ["groups:"]
    for key in scenario.models:
        lines.append(f"  - name: {scenarios.GROUP_NAMES[key]}")
        lines.append("    servers:")
        for i in range(1, 5):
            relative, vm = models.placement(key, i)
            if vm:
                # A VM's server is the VM: the daemon joins QMP, the QEMU process and its cgroup into one workload
                # named after QEMU's -name, so the balloon and guest statistics belong to the server.
                lines.append(f"      - {{name: s{i}, workload: {vm}}}")
            else:
                lines.append(f"      - {{name: s{i}, cgroup: {host.path}/{relative}}}")
    lines += [
        "qmp:",
        f"  sockets: [\"{qmp_dir}/*.sock\"]",
        "  guest_stats_interval: 2",
        "advice:",
        f"  capacity_cgroup: {host.path}",
        "alerts:",
        "  resend_interval: 10m",
        "  webhooks:",
        f"    - {{url: \"{webhook_url}\"}}",
        "",
    ]
    return "\n".join(lines)


class Daemon:
    def __init__(self, binary, host, scenario, run_dir, log):
        self.binary, self.host, self.scenario, self.run_dir, self.log = binary, host, scenario, run_dir, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.receiver = WebhookReceiver()
        self.proc = None
        self.state = os.path.join(run_dir, "state")
        self.qmp_dir = os.path.join(run_dir, "qmp")
        os.makedirs(self.qmp_dir, exist_ok=True)

    def start(self):
        config = os.path.join(self.run_dir, "interference-watch.yaml")
        with open(config, "w") as f:
            f.write(config_text(self.host, self.scenario, self.qmp_dir, self.receiver.url))
        self.log_file = open(os.path.join(self.run_dir, "daemon.log"), "w")
        argv = [self.binary, "--config", config, "--web.listen-address", f"127.0.0.1:{self.port}",
                "--collection.interval", "1s", "--detection.window", self.scenario.detection_window,
                "--storage.path", self.state, "--advice.min-history", "1m",
                "--advice.window", "2m", "--advice.half-life", "10m"]
        # The daemon watches from outside the emulated host, as it would on a real one.
        self.proc = subprocess.Popen(argv, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the daemon exited with {self.proc.returncode}; see {self.log_file.name}")
            try:
                self.get("/metrics", raw=True)
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the daemon did not serve /metrics within 60 s")

    def get(self, path, raw=False):
        with urllib.request.urlopen(self.url + path, timeout=30) as r:
            body = r.read()
        return body if raw else json.loads(body)

    def episodes(self):
        return self.get("/api/v1/episodes").get("episodes", [])

    def report(self, episode_id, fmt):
        query = urllib.parse.urlencode({"episode": episode_id, "format": fmt})
        return self.get(f"/api/v1/report?{query}", raw=True)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.receiver.stop()
