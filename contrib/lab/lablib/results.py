"""Results: SVG charts like the study's figures 2 to 5, a scoreboard per scenario, and RESULTS.md.

Everything here reads only the results folder (rounds.csv, steps.csv, daemon.json), so `python3 -m lablib.results
FOLDER...` can redo the charts and tables of an earlier run.
"""

import csv
import html
import json
import os
import statistics
import sys

from . import scenario as scenarios

# The study's figures 2 and 3: mean task time against the bare host's (HostA) and the largest slowdown against no
# load (HostB, where only the bare host grew with load and nothing else passed 1.9x).
STUDY_HOST_A = {"a": 1.0, "b": 1.26, "c": 1.53, "d": 1.84}
STUDY_HOST_B = {"a": "grew with load", "b": "< 1.9x", "c": "< 1.9x", "d": "< 1.9x"}
# A step's servers count as unequal when the slowest server's median task time is this many times the fastest's.
IMBALANCE_SPREAD = 1.3
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def per_step(rounds):
    """{model: {workers: {server: [task seconds]}}} and {model: {workers: load MiB}}."""
    table, loads = {}, {}
    for r in rounds:
        if not r["task_seconds"]:
            continue
        m, w = r["model"], int(r["workers"])
        table.setdefault(m, {}).setdefault(w, {}).setdefault(r["server"], []).append(float(r["task_seconds"]))
        loads.setdefault(m, {})[w] = int(r["load_mib"])
    return table, loads


def line_chart(path, title, x_label, y_label, series):
    """series: {name: [(x, y)]}; a plain SVG with axes, ticks and a legend, readable without a browser's help."""
    width, height, left, right, top, bottom = 720, 420, 70, 170, 40, 55
    points = [p for s in series.values() for p in s]
    if not points:
        return
    x_max = max(p[0] for p in points) or 1
    y_max = max(p[1] for p in points) * 1.1 or 1
    px = lambda x: left + (width - left - right) * x / x_max
    py = lambda y: height - bottom - (height - top - bottom) * y / y_max
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">{html.escape(title)}</text>',
           f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="black"/>',
           f'<text x="{(left + width - right) / 2}" y="{height - 15}" text-anchor="middle">{html.escape(x_label)}</text>',
           f'<text x="18" y="{(top + height - bottom) / 2}" text-anchor="middle" '
           f'transform="rotate(-90 18 {(top + height - bottom) / 2})">{html.escape(y_label)}</text>']
    for i in range(6):
        xv, yv = x_max * i / 5, y_max * i / 5
        out.append(f'<text x="{px(xv):.1f}" y="{height - bottom + 16}" text-anchor="middle">{xv:.0f}</text>')
        out.append(f'<text x="{left - 6}" y="{py(yv) + 4:.1f}" text-anchor="end">{yv:.2f}</text>')
        out.append(f'<line x1="{left}" y1="{py(yv):.1f}" x2="{width - right}" y2="{py(yv):.1f}" stroke="#ddd"/>')
    for n, (name, pts) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        pts = sorted(pts)
        path_d = " ".join(f"{'M' if i == 0 else 'L'}{px(x):.1f},{py(y):.1f}" for i, (x, y) in enumerate(pts))
        out.append(f'<path d="{path_d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in pts:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}"/>')
        ly = top + 18 * n + 10
        out.append(f'<rect x="{width - right + 12}" y="{ly - 9}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{width - right + 30}" y="{ly + 1}">{html.escape(name)}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def scoreboard(folder):
    """Per model: the client's own view (slowdowns, when the servers became unequal) beside the daemon's."""
    rounds = read_csv(os.path.join(folder, "rounds.csv"))
    steps = read_csv(os.path.join(folder, "steps.csv"))
    with open(os.path.join(folder, "daemon.json")) as f:
        daemon = json.load(f)
    table, loads = per_step(rounds)
    rows = {}
    for model, by_workers in sorted(table.items()):
        group = scenarios.GROUP_NAMES[model]
        all_times = [t for servers in by_workers.values() for ts in servers.values() for t in ts]
        step_means = {w: statistics.mean([t for ts in servers.values() for t in ts]) for w, servers in by_workers.items()}
        calm = step_means[min(step_means)]
        began_workers = None
        spreads = {}
        for w in sorted(by_workers):
            medians = [statistics.median(ts) for ts in by_workers[w].values() if ts]
            spreads[w] = max(medians) / min(medians) if medians and min(medians) > 0 else 1.0
            if began_workers is None and spreads[w] >= IMBALANCE_SPREAD:
                began_workers = w
        episodes = [e for e in daemon["episodes"] if e["group"] == group]
        imbalance = sorted((e for e in episodes if e["kind"] == "imbalance"), key=lambda e: e["opened_at_seconds"])
        rounds_after = None
        if imbalance and began_workers is not None:
            step = next(s for s in steps if s["model"] == model and int(s["workers"]) == began_workers)
            step_start = float(step["started_unix"])
            opened = imbalance[0]["opened_at_seconds"]
            model_rounds = sorted({float(r["started_unix"]) for r in rounds if r["model"] == model})
            rounds_after = sum(1 for t in model_rounds if step_start <= t < opened) if opened >= step_start else \
                -sum(1 for t in model_rounds if opened <= t < step_start)
        faults = sum(int(s["major_faults"]) for s in steps if s["model"] == model)
        swap_peak = max((int(s["swap_peak_bytes"]) for s in steps if s["model"] == model), default=0)
        rows[model] = dict(
            model=model, name=scenarios.MODELS[model], mean_seconds=statistics.mean(all_times), calm_seconds=calm,
            max_step_slowdown=max(step_means.values()) / calm if calm > 0 else float("nan"),
            spread_by_workers=spreads, unequal_from_workers=began_workers, major_faults=faults,
            swap_peak_bytes=swap_peak,
            imbalance_findings=len(imbalance), findings=len(episodes), rounds_after_unequal=rounds_after,
            cause=first_cause(imbalance[0]) if imbalance else None,
            findings_by_kind={k: sum(1 for e in episodes if e["kind"] == k) for k in {e["kind"] for e in episodes}})
    advice = (daemon.get("advice") or {}).get("advice") or {}
    return dict(scenario=daemon["scenario"], study_host=daemon["study_host"], host_mib=daemon["host_mib"],
                models=rows, accel=daemon.get("accel", {}), advice_verdict=advice.get("verdict"),
                advice_minimum_bytes=advice.get("minimum_bytes"), advice_installed_bytes=advice.get("installed_bytes"),
                advice_scope=advice.get("scope"), alerts_sent=len(daemon.get("webhook_notifications", [])),
                balloon_moves=len(daemon.get("balloon_policy_events", [])))


def first_cause(episode):
    causes = (episode.get("finding") or {}).get("causes") or []
    if not causes:
        return "none named"
    c = causes[0]
    return " ".join(str(c[k]) for k in ("signal", "kind", "workload", "source") if c.get(k)) or json.dumps(c)


def write_scenario(folder, log=print):
    rounds = read_csv(os.path.join(folder, "rounds.csv"))
    table, loads = per_step(rounds)
    series = {}
    for model, by_workers in sorted(table.items()):
        series[f"({model}) {scenarios.MODELS[model]}"] = [
            (loads[model][w], statistics.mean([t for ts in servers.values() for t in ts])) for w, servers in by_workers.items()]
    name = os.path.basename(folder.rstrip("/"))
    line_chart(os.path.join(folder, "mean-task-time.svg"), f"{name}: mean task time per model",
               "memory load (MiB of stress workers)", "mean task time (s)", series)
    for model in ("d", "c", "b", "a"):
        if model in table:
            per_server = {}
            for w, servers in table[model].items():
                for server, ts in servers.items():
                    per_server.setdefault(server, []).append((loads[model][w], statistics.mean(ts)))
            line_chart(os.path.join(folder, f"per-server-{model}.svg"),
                       f"{name}: task time per server, ({model}) {scenarios.MODELS[model]}",
                       "memory load (MiB of stress workers)", "mean task time (s)", per_server)
    board = scoreboard(folder)
    with open(os.path.join(folder, "scoreboard.json"), "w") as f:
        json.dump(board, f, indent=1, sort_keys=True)
    with open(os.path.join(folder, "RESULTS.md"), "w") as f:
        f.write(markdown([board], None))
    log(f"results: {folder}")
    return board


def fmt_ratio(x):
    return "n/a" if x is None or x != x else f"{x:.2f}x"


def markdown(boards, elapsed_seconds):
    lines = ["# Lab results", ""]
    if elapsed_seconds is not None:
        lines += [f"Run time: {elapsed_seconds / 60:.1f} min.", ""]
    for b in boards:
        accel = ", ".join(f"({m}) {a}" for m, a in sorted(b["accel"].items())) or "no VMs"
        lines.append(f"- **{b['scenario']}**: emulated host {b['host_mib']} MiB (the study's Host{b['study_host']} "
                     f"scaled); VM acceleration: {accel}.")
    lines += ["", "## Slowdown per model, beside the study's", "",
              "Vs bare host: mean task time over every round and load step against the bare host's (a), the study's "
              "HostA measure (under TCG it includes the emulation's cost). Vs own no-load step: the same mean against "
              "the model's first step, which cancels the emulation. Worst step: the slowest step's mean against the "
              "no-load step, the study's HostB measure. Major faults and swap: inside the emulated host.", "",
              "| scenario | model | mean task time | vs bare host | study (HostA) | vs own no-load step | worst step vs no load | study (HostB) | major faults | swap used at most |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for b in boards:
        bare = b["models"].get("a", {}).get("mean_seconds")
        for m, row in sorted(b["models"].items()):
            vs_bare = row["mean_seconds"] / bare if bare else None
            study = f"{STUDY_HOST_A[m]:.2f}x" if b["study_host"] == "A" else "-"
            study_b = STUDY_HOST_B[m] if b["study_host"] == "B" else "-"
            vs_own = row["mean_seconds"] / row["calm_seconds"] if row["calm_seconds"] else None
            lines.append(f"| {b['scenario']} | ({m}) {row['name']} | {row['mean_seconds']:.3f} s | {fmt_ratio(vs_bare)} | "
                         f"{study} | {fmt_ratio(vs_own)} | {fmt_ratio(row['max_step_slowdown'])} | {study_b} | "
                         f"{row['major_faults']} | {row['swap_peak_bytes'] / 2**20:.0f} MiB |")
    lines += ["", "## Detection scoreboard", "",
              f"Unequal from: the first load step at which the client's own per-server medians differed by "
              f"{IMBALANCE_SPREAD}x or more. Rounds after: rounds from the start of that step until the daemon "
              "opened its first imbalance finding (negative: before it).", "",
              "| scenario | model | unequal from (workers) | imbalance flagged | rounds after | cause named | findings (all kinds) | false findings (roomy host) | advice | host vs recommended |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for b in boards:
        rec = b["advice_minimum_bytes"]
        advice = f"{b['advice_verdict']}" if b["advice_verdict"] else "none"
        host_vs = f"{b['host_mib'] / 1024:.2f} GiB vs {rec / 2**30:.2f} GiB" if rec else "-"
        for m, row in sorted(b["models"].items()):
            unequal = "never" if row["unequal_from_workers"] is None else str(row["unequal_from_workers"])
            flagged = f"yes ({row['imbalance_findings']})" if row["imbalance_findings"] else "no"
            after = "-" if row["rounds_after_unequal"] is None else str(row["rounds_after_unequal"])
            false = str(row["findings"]) if b["study_host"] == "B" else "-"
            kinds = ", ".join(f"{k} {n}" for k, n in sorted(row["findings_by_kind"].items())) or "0"
            lines.append(f"| {b['scenario']} | ({m}) {row['name']} | {unequal} | {flagged} | {after} | "
                         f"{row['cause'] or '-'} | {kinds} | {false} | {advice} | {host_vs} |")
    lines += ["", "Alerts sent to the webhook: " + ", ".join(f"{b['scenario']} {b['alerts_sent']}" for b in boards) + ".",
              "Balloon policy moves: " + ", ".join(f"{b['scenario']} {b['balloon_moves']}" for b in boards) + ".", ""]
    return "\n".join(lines)


def write_summary(out, folders, elapsed_seconds):
    boards = [scoreboard(f) for f in folders]
    # RUNS.md beside it, written by whoever ran them, says how and when (commands, run times, the machine's load).
    runs = os.path.join(out, "RUNS.md")
    with open(os.path.join(out, "RESULTS.md"), "w") as f:
        f.write(markdown(boards, elapsed_seconds))
        if os.path.exists(runs):
            f.write("\n" + open(runs).read())
        f.write(LIMITS)
    with open(os.path.join(out, "scoreboard.json"), "w") as f:
        json.dump(boards, f, indent=1, sort_keys=True)


LIMITS = """
## Where this machine cannot match the study

- **Emulated hosts.** The host's RAM is a cgroup memory limit with a swap file of its own, not a machine with that
  much RAM: the kernel, the daemon and the client run outside it, and every size (host, VMs, stress workers, heaps)
  is the study's times the scale factor.
- **CPUs.** Two shared cores instead of four; KVM hangs here under nested virtualisation, so the VMs run under
  QEMU's TCG (see the acceleration line above), which makes every guest system call far slower than the study's KVM
  guests. VM task times are compared with the bare host's, so part of their slowdown is emulation, not memory.
- **Guests.** A busybox guest with the static task server and a cold resident block standing in for Ubuntu and
  Docker's memory; containers in VMs use the guest kernel's namespaces and cgroup v2, not Docker.
- **Tasks.** Fewer writes per task and fewer rounds per step than the study's 2,000,000 and 50, so a run fits in
  the time this machine has; the client, the concurrency and the load steps are the study's.
"""


if __name__ == "__main__":
    # python3 -m lablib.results FOLDER...                   redraw each folder's charts, scoreboard and RESULTS.md
    # python3 -m lablib.results --summary OUT FOLDER...     and one RESULTS.md over all of them in OUT
    args = sys.argv[1:]
    if args[:1] == ["--summary"]:
        out, folders = args[1], args[2:]
        for folder in folders:
            write_scenario(folder)
        write_summary(out, folders, None)
    else:
        for folder in args:
            write_scenario(folder)
