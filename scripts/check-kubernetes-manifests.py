#!/usr/bin/env python3
"""Validates contrib/kubernetes/*.yaml; exits 1 naming every problem.

    .build-tools/k8s-venv/bin/python scripts/check-kubernetes-manifests.py [--kubernetes-version 1.37.0] [--dir DIR]

Built-in kinds (DaemonSet, Service) are validated strictly (unknown fields are errors) against the Kubernetes
OpenAPI schemas that the `kubernetes-validate` package bundles, offline. The Prometheus Operator's CRDs
(ServiceMonitor, PrometheusRule) are not in those schemas; they get the structural check below: apiVersion, kind,
the fields the operator requires and their types, every rule with exactly one of record/alert and an expr. Then
the manifests are checked against each other: the Service selects the DaemonSet's pods and names its port, the
ServiceMonitor selects the Service and scrapes that port, and the daemon reads the host's /proc, /sys and cgroup
tree through read-only mounts it is pointed at with --path.*, and the PrometheusRule holds exactly the groups of
rules/*.rules.yml. Installed by scripts/install-deps.sh --test.
"""
import pathlib
import sys

import kubernetes_validate
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
problems = []


def problem(where, text):
    problems.append(f"{where}: {text}")


def need(obj, path, kind, where):
    """obj at the dotted path, checked to be of kind; records a problem and returns None otherwise."""
    value = obj
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            problem(where, f"missing {path}")
            return None
        value = value[key]
    if not isinstance(value, kind):
        problem(where, f"{path} is {type(value).__name__}, not {kind.__name__}")
        return None
    return value


def check_metadata(doc, where):
    need(doc, "metadata.name", str, where)
    labels = doc.get("metadata", {}).get("labels", {})
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        problem(where, "metadata.labels must map strings to strings")


def check_service_monitor(doc, where):
    check_metadata(doc, where)
    need(doc, "spec.selector", dict, where)
    endpoints = need(doc, "spec.endpoints", list, where) or []
    if not endpoints:
        problem(where, "spec.endpoints is empty")
    for index, endpoint in enumerate(endpoints):
        at = f"{where} spec.endpoints[{index}]"
        if not isinstance(endpoint, dict) or not (isinstance(endpoint.get("port"), str) or "targetPort" in endpoint):
            problem(at, "needs a port name (or targetPort)")
            continue
        for key in ("interval", "scrapeTimeout"):
            if key in endpoint and not (isinstance(endpoint[key], str) and endpoint[key][-1:] in "smh"):
                problem(at, f"{key} must be a duration such as 15s")
        for relabel in endpoint.get("relabelings", []):
            if not isinstance(relabel.get("sourceLabels", []), list) or "targetLabel" not in relabel:
                problem(at, f"relabeling {relabel} needs sourceLabels (a list) and targetLabel")


def check_prometheus_rule(doc, where):
    check_metadata(doc, where)
    groups = need(doc, "spec.groups", list, where) or []
    if not groups:
        problem(where, "spec.groups is empty")
    for group in groups:
        name = group.get("name") if isinstance(group, dict) else None
        if not isinstance(name, str):
            problem(where, f"a group without a name: {group!r:.80}")
            continue
        for rule in need(group, "rules", list, f"{where} group {name}") or []:
            at = f"{where} group {name} rule {rule.get('record') or rule.get('alert')}"
            if ("record" in rule) == ("alert" in rule):
                problem(at, "needs exactly one of record and alert")
            if not isinstance(rule.get("expr"), (str, int)):
                problem(at, "needs an expr")
            unknown = set(rule) - {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
            if unknown:
                problem(at, f"unknown fields {sorted(unknown)}")
            for key in ("labels", "annotations"):
                if key in rule and not all(isinstance(v, str) for v in rule[key].values()):
                    problem(at, f"{key} values must be strings")


CRDS = {("monitoring.coreos.com/v1", "ServiceMonitor"): check_service_monitor,
        ("monitoring.coreos.com/v1", "PrometheusRule"): check_prometheus_rule}


def cross_check(docs):
    by_kind = {doc["kind"]: doc for doc, _ in docs}
    daemonset, service, monitor = by_kind.get("DaemonSet"), by_kind.get("Service"), by_kind.get("ServiceMonitor")
    if not (daemonset and service and monitor and "PrometheusRule" in by_kind):
        problem("contrib/kubernetes", f"expected a DaemonSet, a Service, a ServiceMonitor and a PrometheusRule, found {sorted(by_kind)}")
        return
    pod = daemonset["spec"]["template"]
    pod_labels = pod["metadata"].get("labels", {})
    if daemonset["spec"]["selector"]["matchLabels"].items() > pod_labels.items():
        problem("DaemonSet", "spec.selector does not match the pod template's labels")
    if not service["spec"]["selector"].items() <= pod_labels.items():
        problem("Service", "its selector does not select the DaemonSet's pods")
    if not monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"].get("labels", {}).items():
        problem("ServiceMonitor", "its selector does not select the Service")
    if service["metadata"].get("namespace") not in monitor["spec"].get("namespaceSelector", {}).get("matchNames", []):
        problem("ServiceMonitor", "namespaceSelector does not include the Service's namespace")
    container = pod["spec"]["containers"][0]
    port_names = {p.get("name") for p in container.get("ports", [])}
    service_ports = {p.get("name") for p in service["spec"]["ports"]}
    for port in service["spec"]["ports"]:
        if port.get("targetPort") not in port_names:
            problem("Service", f"targetPort {port.get('targetPort')} is no container port of the DaemonSet")
    for endpoint in monitor["spec"]["endpoints"]:
        if endpoint.get("port") not in service_ports:
            problem("ServiceMonitor", f"port {endpoint.get('port')} is not a port of the Service")
    rules = []
    for path in sorted((ROOT / "rules").glob("*.rules.yml")):
        rules += yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
    if by_kind["PrometheusRule"]["spec"]["groups"] != rules:
        problem("PrometheusRule", "spec.groups differ from rules/*.rules.yml: run scripts/gen-prometheusrule.py")
    if pod["spec"].get("hostPID") is not True:
        problem("DaemonSet", "needs hostPID: true")
    mounts = {m["mountPath"]: m for m in container.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod["spec"].get("volumes", [])}
    args = container.get("args", [])
    for flag, host in (("--path.procfs", "/proc"), ("--path.sysfs", "/sys"), ("--path.cgroupfs", "/sys/fs/cgroup")):
        value = next((a.split("=", 1)[1] for a in args if a.startswith(flag + "=")), None)
        mount = mounts.get(value)
        if value is None or mount is None:
            problem("DaemonSet", f"{flag} must name a mounted path (args: {args})")
            continue
        if mount.get("readOnly") is not True:
            problem("DaemonSet", f"{value} must be mounted read-only")
        if volumes.get(mount["name"], {}).get("hostPath", {}).get("path") != host:
            problem("DaemonSet", f"{value} must be the host's {host}")
    resources = container.get("resources", {})
    if not (resources.get("requests", {}).get("memory") and resources.get("limits", {}).get("memory")):
        problem("DaemonSet", "needs memory requests and limits")
    if container.get("securityContext", {}).get("readOnlyRootFilesystem") is not True:
        problem("DaemonSet", "the daemon's root file system should be read-only")


def main(argv):
    version = argv[argv.index("--kubernetes-version") + 1] if "--kubernetes-version" in argv else kubernetes_validate.latest_version()
    directory = pathlib.Path(argv[argv.index("--dir") + 1]) if "--dir" in argv else ROOT / "contrib/kubernetes"
    docs = []
    for path in sorted(directory.glob("*.yaml")):
        rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        for index, doc in enumerate(yaml.safe_load_all(path.read_text(encoding="utf-8"))):
            if doc is None:
                continue
            where = f"{rel}[{index}] {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            docs.append((doc, where))
            check = CRDS.get((doc.get("apiVersion"), doc.get("kind")))
            if check:
                check(doc, where)
                print(f"{where}: structural check (a CRD; not in the Kubernetes schemas)")
                continue
            try:
                kubernetes_validate.validate(doc, version, strict=True)
                print(f"{where}: valid against Kubernetes {kubernetes_validate.utils.major_minor(version)} (strict)")
            except kubernetes_validate.ValidationError as error:
                problem(where, f"{'.'.join(str(p) for p in error.path)}: {error.message}")
            except kubernetes_validate.SchemaNotFoundError as error:
                problem(where, f"no schema: {error}")
    if not problems:
        cross_check(docs)
    for text in problems:
        print(f"error: {text}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
