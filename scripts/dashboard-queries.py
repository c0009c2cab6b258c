#!/usr/bin/env python3
"""Prints every PromQL query of a Grafana dashboard, one per line, with its template variables substituted.

    scripts/dashboard-queries.py contrib/grafana/interference-watch.json [--panel-titles]

The queries are what Grafana would send with every variable at "All": `$instance` and the other query variables
become `.*` (every variable is used as `=~"$name"`), `$__rate_interval`, `$__interval` and `$__range` become fixed
durations. The Prometheus integration test runs these lines; DashboardTests checks their metric names.
`--panel-titles` prefixes each line with its panel's title and a tab. Variable queries (`label_values(...)`) are
not PromQL and are left out.
"""
import json
import re
import sys

# What Grafana puts in for its built-in interval variables; 1m is four 15 s scrapes, the shortest window a rate
# needs at the daemon's default collection interval.
BUILT_IN = {"__rate_interval": "1m", "__interval": "1m", "__range": "1h", "__range_s": "3600", "__interval_ms": "60000"}


def panels(items):
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))


def substitute(expr, variables):
    def value(match):
        name = match.group(1) or match.group(2)
        if name in BUILT_IN:
            return BUILT_IN[name]
        if name in variables:
            return ".*"
        raise SystemExit(f"unknown variable ${name} in: {expr}")
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", value, expr)


def queries(dashboard):
    variables = {v["name"] for v in dashboard.get("templating", {}).get("list", [])}
    for panel in panels(dashboard.get("panels", [])):
        for target in panel.get("targets", []):
            if target.get("hide") or not target.get("expr"):
                continue
            yield panel.get("title", ""), substitute(" ".join(target["expr"].split()), variables)


def main(argv):
    paths = [a for a in argv if not a.startswith("--")]
    if len(paths) != 1:
        raise SystemExit(__doc__.strip().splitlines()[2].strip())
    with open(paths[0], encoding="utf-8") as f:
        dashboard = json.load(f)
    for title, expr in queries(dashboard):
        print(f"{title}\t{expr}" if "--panel-titles" in argv else expr)


if __name__ == "__main__":
    main(sys.argv[1:])
