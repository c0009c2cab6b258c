"""The study's four system models, four task servers each, all inside the emulated host.

(a) processes on the host; (b) containers on the host with runc, Debian's OCI runtime, from a local rootfs that holds
only the static task server; (c) four QEMU VMs with virtio-balloon; (d) containers inside those VMs, using the guest
kernel's own namespaces and cgroup v2 (the busybox guest has no OCI runtime; see contrib/lab/guest/lab-init).
Every model runs the same binary with the same flags; only the isolation differs.
"""

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclasses.dataclass
class Server:
    name: str
    url: str
    cgroup: str
    # VMs only: the QMP socket the balloon policy talks to (the daemon has one of its own).
    tools_qmp: str = ""
    vm_mib: int = 0
    vm: str = ""


def placement(key, index):
    """The cgroup (under the emulated host) and, for VMs, the VM name of model `key`'s server `index` (1 to 4): one
    definition for the models that make them and the daemon's config that names them before they exist."""
    if key == "a":
        return f"a-host/s{index}", None
    if key == "b":
        return f"b-containers/s{index}", None
    return f"{key}-vms/vm{index}", f"{key}-vm{index}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url, seconds, what):
    deadline = time.time() + seconds
    health = url.rsplit("/", 1)[0] + "/healthz"
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(health, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer {health} within {seconds} s")


def task_flags(scenario, name):
    return ["--name", name, "--writes", str(scenario.writes), "--size", str(scenario.write_size),
            "--heap-mb", str(scenario.heap_mib), "--quiet"]


class ProcessModel:
    """(a) four task server processes, each in its own cgroup under the host (for attribution, no limit)."""
    key = "a"

    def __init__(self, host, scenario, run_dir, binary, log):
        self.host, self.scenario, self.run_dir, self.binary, self.log = host, scenario, run_dir, binary, log
        self.procs = []

    def start(self):
        servers = []
        for i in range(1, 5):
            name = f"s{i}"
            cgroup = self.host.child(placement(self.key, i)[0])
            port = free_port()
            argv = [self.binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", self.run_dir] + \
                task_flags(self.scenario, name)
            self.procs.append(self.host.spawn(argv, cgroup, oom_score_adj=-500))
            servers.append(Server(name, f"http://127.0.0.1:{port}/task", cgroup))
        for s in servers:
            wait_healthy(s.url, 20, f"task server {s.name}")
        return servers

    def stop(self):
        for p in self.procs:
            p.kill()
            p.wait()
        self.procs = []


class ContainerModel:
    """(b) four runc containers sharing the host's network namespace (as `docker run --network host`)."""
    key = "b"

    def __init__(self, host, scenario, run_dir, binary, log):
        self.host, self.scenario, self.run_dir, self.binary, self.log = host, scenario, run_dir, binary, log
        self.ids = []
        self.state_dir = os.path.join(run_dir, "runc")

    def _bundle(self, name, port, cgroup):
        bundle = os.path.join(self.run_dir, "containers", name)
        rootfs = os.path.join(bundle, "rootfs")
        os.makedirs(os.path.join(rootfs, "tmp"), exist_ok=True)
        os.makedirs(os.path.join(rootfs, "proc"), exist_ok=True)
        os.makedirs(os.path.join(rootfs, "dev"), exist_ok=True)
        shutil.copy2(self.binary, os.path.join(rootfs, "task-server"))
        spec = {
            "ociVersion": "1.0.2",
            "process": {
                "terminal": False, "user": {"uid": 0, "gid": 0}, "cwd": "/",
                "args": ["/task-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", "/tmp"]
                + task_flags(self.scenario, name),
                "env": ["PATH=/"], "noNewPrivileges": True,
                "capabilities": {k: ["CAP_NET_BIND_SERVICE"] for k in ("bounding", "effective", "permitted")},
            },
            "root": {"path": "rootfs", "readonly": False},
            "hostname": name,
            "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc"},
                {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755", "size=65536k"]},
            ],
            "linux": {
                # No network namespace: the container shares the host's, so the client reaches it on loopback.
                "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount")],
                "cgroupsPath": cgroup,
                "resources": {"devices": [{"allow": False, "access": "rwm"}]},
                "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list"],
                "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"],
            },
        }
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(spec, f, indent=1)
        return bundle

    def start(self):
        servers = []
        os.makedirs(self.state_dir, exist_ok=True)
        for i in range(1, 5):
            name = f"s{i}"
            # runc makes the cgroup itself (in every v1 controller); the daemon finds it under the host.
            cgroup = f"{self.host.path}/{placement(self.key, i)[0]}"
            port = free_port()
            bundle = self._bundle(name, port, cgroup)
            cid = f"{self.host.name}-{name}"
            log = open(os.path.join(self.run_dir, f"runc-{name}.log"), "w")
            subprocess.run(["runc", "--root", self.state_dir, "run", "--detach", "--bundle", bundle, cid],
                           check=True, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            self.ids.append(cid)
            servers.append(Server(name, f"http://127.0.0.1:{port}/task", cgroup))
        for s in servers:
            wait_healthy(s.url, 20, f"container {s.name}")
        return servers

    def stop(self):
        for cid in self.ids:
            subprocess.run(["runc", "--root", self.state_dir, "delete", "--force", cid], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ids = []


class VMModel:
    """(c) four QEMU VMs, or (d) with the server in a container inside each; KVM when it works, else TCG."""

    def __init__(self, host, scenario, run_dir, binary, log, containers=False):
        self.host, self.scenario, self.run_dir, self.binary, self.log = host, scenario, run_dir, binary, log
        self.containers = containers
        self.key = "d" if containers else "c"
        self.vm_run_dir = os.path.join(run_dir, "vms")
        self.names = []
        self.accel = None

    def _initrd(self):
        path = os.path.join(self.run_dir, "lab-initrd.cpio.gz")
        if not os.path.exists(path):
            subprocess.run([os.path.join(HERE, "guest", "build-lab-initrd.sh"), self.binary, path], check=True,
                           stdout=subprocess.DEVNULL)
        return path

    def start(self):
        initrd = self._initrd()
        qmp_dir = os.path.join(self.run_dir, "qmp")
        tools_dir = os.path.join(self.run_dir, "qmp-tools")
        os.makedirs(qmp_dir, exist_ok=True)
        os.makedirs(tools_dir, exist_ok=True)
        servers, starts = [], []
        mode = "container" if self.containers else "process"
        for i in range(1, 5):
            name = f"s{i}"
            relative, vm = placement(self.key, i)
            cgroup = self.host.child(relative)
            port = free_port()
            env = dict(os.environ, IW_VM_RUN_DIR=self.vm_run_dir, IW_VM_INITRD=initrd,
                       IW_VM_BOOT_TIMEOUT="180",
                       IW_VM_APPEND=f"iw.mode={mode} iw.name={name} iw.writes={self.scenario.writes} "
                       f"iw.size={self.scenario.write_size} iw.heap_mb={self.scenario.heap_mib} "
                       f"iw.resident_mb={self.scenario.guest_resident_mib}")
            # Half the VM's size as a swap disk, so a ballooned guest swaps (lab-init turns /dev/vda into swap).
            disk = os.path.join(self.run_dir, f"{vm}-swap.img")
            with open(disk, "wb") as f:
                f.truncate(max(16, self.scenario.vm_mib // 2) << 20)
            env["IW_VM_MACHINE_OPTS"] = f"-drive file={disk},if=virtio,format=raw,cache=writeback"
            qmp = os.path.join(qmp_dir, f"{vm}.sock")
            tools = os.path.join(tools_dir, f"{vm}.sock")
            argv = [os.path.join(HERE, "vm", "start-vm.sh"), vm, str(self.scenario.vm_mib), qmp, tools, str(port)]
            out = open(os.path.join(self.run_dir, f"start-{vm}.log"), "w+")
            # QEMU starts inside the VM's cgroup, so the guest's RAM is charged to the emulated host.
            starts.append((self.host.spawn(argv, cgroup, stdout=out, oom_score_adj=-500, env=env), out, vm))
            self.names.append(vm)
            servers.append(Server(name, f"http://127.0.0.1:{port}/task", cgroup, tools_qmp=tools,
                                  vm_mib=self.scenario.vm_mib, vm=vm))
        for proc, out, vm in starts:
            if proc.wait() != 0:
                out.seek(0)
                raise RuntimeError(f"VM {vm} did not start: {out.read()[-2000:]}")
            out.seek(0)
            line = out.read()
            for word in line.split():
                if word.startswith("accel="):
                    self.accel = word.split("=", 1)[1]
        for s in servers:
            wait_healthy(s.url, 60, f"VM server {s.name}")
        return servers

    def stop(self):
        for vm in self.names:
            subprocess.run([os.path.join(HERE, "vm", "stop-vm.sh"), vm], check=False,
                           env=dict(os.environ, IW_VM_RUN_DIR=self.vm_run_dir),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.names = []


def make(key, host, scenario, run_dir, binary, log):
    if key == "a":
        return ProcessModel(host, scenario, run_dir, binary, log)
    if key == "b":
        return ContainerModel(host, scenario, run_dir, binary, log)
    if key == "c":
        return VMModel(host, scenario, run_dir, binary, log)
    if key == "d":
        return VMModel(host, scenario, run_dir, binary, log, containers=True)
    raise ValueError(key)
