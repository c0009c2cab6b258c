"""One scenario from set-up to teardown: emulated host, daemon, each model through every load step, results."""

import csv
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

from . import balloon, client, daemon as daemons, host as hosts, models, scenario as scenarios

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Interrupted(Exception):
    pass


class Experiment:
    def __init__(self, scenario, results_dir, daemon_binary, log):
        self.scenario, self.results, self.daemon_binary, self.log = scenario, results_dir, daemon_binary, log
        self.stop_event = threading.Event()
        self.cleanups = []  # run in reverse on the way out, whatever happened

    def run(self):
        os.makedirs(self.results, exist_ok=True)
        run_dir = tempfile.mkdtemp(prefix=f"iw-lab-{self.scenario.name}.", dir="/var/tmp")
        self.cleanups.append(lambda: shutil.rmtree(run_dir, ignore_errors=True))
        # Logs and the daemon's history survive the run directory: `interference-watch replay` and `report` work on
        # the copy (--storage.path RESULTS/state).
        self.cleanups.append(lambda: self._keep_logs(run_dir))
        try:
            self._run(run_dir)
        finally:
            self._cleanup()

    def _cleanup(self):
        errors = []
        while self.cleanups:
            step = self.cleanups.pop()
            try:
                step()
            except Exception as e:  # teardown goes on whatever one step says
                errors.append(str(e))
        for e in errors:
            self.log(f"teardown: {e}")

    def _run(self, run_dir):
        s = self.scenario
        self.log(s.describe())
        binary = os.path.join(run_dir, "task-server")
        subprocess.run([os.path.join(HERE, "task-server", "build.sh"), binary], check=True)
        host = hosts.EmulatedHost(f"interference-watch-lab-{s.name}", s.host_mib, s.swap_mib, log=self.log)
        self.cleanups.append(host.destroy)
        host.create()
        daemon = daemons.Daemon(self.daemon_binary, host, s, run_dir, self.log)
        self.cleanups.append(daemon.stop)
        daemon.start()
        sampler = HostSampler(host, os.path.join(self.results, "host-memory.csv"))
        self.cleanups.append(sampler.stop)
        sampler.start()

        rounds = client.RoundWriter(os.path.join(self.results, "rounds.csv"))
        self.cleanups.append(rounds.close)
        steps = StepWriter(os.path.join(self.results, "steps.csv"))
        self.cleanups.append(steps.close)
        accel = {}
        policy_events = []
        for key in s.models:
            model = models.make(key, host, s, run_dir, binary, self.log)
            self.cleanups.append(model.stop)
            started = time.time()
            servers = model.start()
            if getattr(model, "accel", None):
                accel[key] = model.accel
            self.log(f"model ({key}) {scenarios.MODELS[key]}: up in {time.time() - started:.1f} s"
                     + (f", accel={model.accel}" if getattr(model, "accel", None) else ""))
            policy = None
            if key in "cd" and s.balloon_policy:
                policy = balloon.BalloonPolicy(host, [(sv.vm, sv.tools_qmp, sv.vm_mib) for sv in servers], self.log,
                                               guarantees=s.balloon_guarantees)
                policy.start()
                self.cleanups.append(policy.stop)
            for workers in s.workers:
                self._check_interrupt()
                self._step(host, daemon, key, servers, workers, rounds, steps)
            if policy:
                policy.stop()
                policy_events += [dict(time=t, vm=vm, target_mib=m) for t, vm, m in policy.events]
            model.stop()
        # Two more windows with nothing running, so the last step's findings are judged and stored.
        time.sleep(2 * parse_seconds(s.detection_window) + 2)
        collect(daemon, self.results, s, accel, policy_events, self.log)

    def _step(self, host, daemon, key, servers, workers, rounds, steps):
        s = self.scenario
        stress = None
        if workers > 0:
            # stress -m N: N workers each malloc-ing, touching and freeing --vm-bytes (the study's default 256 MB,
            # scaled). They are the first the cgroup's OOM killer takes, never a server or a QEMU.
            load = host.child("load")
            stress = host.spawn(["stress", "-m", str(workers), "--vm-bytes", f"{s.worker_mib}M"], load,
                                oom_score_adj=1000)
        try:
            time.sleep(s.settle_seconds)
            faults_before = host.major_faults()
            swap_peak = [0]
            sampler = threading.Thread(target=self._watch_swap, args=(host, swap_peak), daemon=True)
            self.step_done = threading.Event()
            sampler.start()
            started = time.time()
            base = dict(scenario=s.name, study_host=s.study_host, model=key, workers=workers,
                        load_mib=workers * s.worker_mib)
            times = client.run_rounds(servers, s.rounds, rounds, base, daemon_url=daemon.url,
                                      group=scenarios.GROUP_NAMES[key], stop=self.stop_event,
                                      min_seconds=s.min_loaded_step_seconds if workers > 0 else 0)
            faults = host.major_faults() - faults_before
            self.step_done.set()
            sampler.join()
            usage, limit, _, swap = host.memory()
            means = {n: (sum(t) / len(t) if t else float("nan")) for n, t in times.items()}
            self.log(f"  ({key}) workers={workers:3d} load={workers * s.worker_mib:5d} MiB  "
                     + " ".join(f"{n}={m:.3f}s" for n, m in sorted(means.items()))
                     + f"  major faults {faults}, in swap at most {swap_peak[0] >> 20} MiB")
            steps.write(dict(scenario=s.name, model=key, workers=workers, load_mib=workers * s.worker_mib,
                             started_unix=f"{started:.3f}", ended_unix=f"{time.time():.3f}",
                             major_faults=faults, swap_peak_bytes=swap_peak[0], host_usage_bytes=usage,
                             host_limit_bytes=limit, host_swap_bytes=swap))
        finally:
            if stress:
                os.killpg(stress.pid, 9)
                stress.wait()
        self._check_interrupt()

    def _watch_swap(self, host, peak):
        while not self.step_done.wait(0.5):
            try:
                peak[0] = max(peak[0], host.swap_used_bytes())
            except OSError:
                pass

    def _check_interrupt(self):
        if self.stop_event.is_set():
            raise Interrupted()

    def _keep_logs(self, run_dir):
        state = os.path.join(run_dir, "state")
        if os.path.isdir(state):
            shutil.copytree(state, os.path.join(self.results, "state"), dirs_exist_ok=True)
        logs = os.path.join(self.results, "logs")
        os.makedirs(logs, exist_ok=True)
        for dirpath, _, files in os.walk(run_dir):
            for name in files:
                if name.endswith(".log"):
                    prefix = os.path.basename(dirpath) + "-" if dirpath != run_dir else ""
                    shutil.copy(os.path.join(dirpath, name), os.path.join(logs, prefix + name))


def parse_seconds(text):
    return float(text[:-1]) * {"s": 1, "m": 60}[text[-1]]


class StepWriter(client.RoundWriter):
    def __init__(self, path):
        self.file = open(path, "a", newline="")
        self.writer = csv.DictWriter(self.file, fieldnames=[
            "scenario", "model", "workers", "load_mib", "started_unix", "ended_unix", "major_faults",
            "swap_peak_bytes", "host_usage_bytes", "host_limit_bytes", "host_swap_bytes"])
        if self.file.tell() == 0:
            self.writer.writeheader()


class HostSampler:
    """The emulated host's memory once a second, for the charts and to show the host was really short."""

    def __init__(self, host, path):
        self.host, self.path = host, path
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()

    def _run(self):
        with open(self.path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["unix", "usage_bytes", "limit_bytes", "inactive_file_bytes", "swap_bytes", "major_faults"])
            while not self.stop_event.wait(1.0):
                try:
                    usage, limit, inactive, swap = self.host.memory()
                    faults = self.host.major_faults()
                except OSError:
                    continue
                w.writerow([f"{time.time():.1f}", usage, limit, inactive, swap, faults])
                f.flush()

    def stop(self):
        self.stop_event.set()
        self.thread.join(timeout=5)


def collect(daemon, results, scenario, accel, policy_events, log):
    """The daemon's findings, alerts, advice and a post-mortem report per episode, into the results folder."""
    episodes = daemon.episodes()
    advice = daemon.get("/api/v1/advice")
    alerts = daemon.get("/api/v1/alerts")
    reports_dir = os.path.join(results, "reports")
    os.makedirs(reports_dir, exist_ok=True)
    for e in episodes:
        with open(os.path.join(reports_dir, f"episode-{e['id']}.md"), "wb") as f:
            f.write(daemon.report(e["id"], "md"))
    metrics = daemon.get("/metrics", raw=True)
    with open(os.path.join(results, "metrics.prom"), "wb") as f:
        f.write(metrics)
    summary = dict(scenario=scenario.name, study_host=scenario.study_host, host_mib=scenario.host_mib,
                   vm_mib=scenario.vm_mib, worker_mib=scenario.worker_mib, workers=scenario.workers,
                   rounds=scenario.rounds, writes=scenario.writes, scale=scenario.scale, models=scenario.models,
                   accel=accel, episodes=episodes, advice=advice, alerts=alerts,
                   webhook_notifications=daemon.receiver.received, balloon_policy_events=policy_events)
    with open(os.path.join(results, "daemon.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
    log(f"daemon: {len(episodes)} episodes, {len(daemon.receiver.received)} alert notifications, "
        f"advice {(advice.get('advice') or {}).get('verdict')}")
