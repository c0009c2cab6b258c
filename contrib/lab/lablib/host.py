"""The emulated host: a parent cgroup whose memory limit is the host's RAM, and a swap file of its own.

Every process of the experiment (task servers, runc containers, QEMU with the guests' RAM, `stress`) runs in a child
of this cgroup, so when they together pass the limit the kernel reclaims and swaps inside it exactly as a host of that
size would. cgroup v1's memory controller is used when it is mounted (this machine, hybrid), else cgroup v2; on a
hybrid host the same paths are made in the unified tree too, so per-cgroup PSI (memory.pressure) exists.
"""

import os
import signal
import subprocess
import time

V1_MEMORY = "/sys/fs/cgroup/memory"
UNIFIED = "/sys/fs/cgroup/unified"
V2_ROOT = "/sys/fs/cgroup"


def _write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


def _read(path):
    with open(path) as f:
        return f.read()


class EmulatedHost:
    def __init__(self, name, limit_mib, swap_mib, swap_dir="/var/tmp", log=print):
        self.name = name
        self.path = "/" + name  # the path the daemon's config names, relative to the hierarchy root
        self.limit_bytes = limit_mib << 20
        self.swap_mib = swap_mib
        self.swap_file = os.path.join(swap_dir, name + ".swap")
        self.log = log
        if os.path.isdir(V1_MEMORY):
            self.memory_root = V1_MEMORY
            self.extra_roots = [UNIFIED] if os.path.isdir(UNIFIED) else []
            self.v2 = False
        elif os.path.exists(os.path.join(V2_ROOT, "cgroup.controllers")):
            self.memory_root = V2_ROOT
            self.extra_roots = []
            self.v2 = True
        else:
            raise RuntimeError("no cgroup memory controller found at /sys/fs/cgroup/memory or /sys/fs/cgroup")
        self.children = []

    # ---- set-up and teardown -------------------------------------------------------------------------------------
    def create(self):
        # A crashed earlier run may have left the same cgroup or swap file; clean it before starting over.
        self.destroy(quiet=True)
        for root in self.roots():
            os.makedirs(root + self.path)
        if self.v2:
            _write(V2_ROOT + "/cgroup.subtree_control", "+memory")
            _write(V2_ROOT + self.path + "/memory.max", self.limit_bytes)
            _write(V2_ROOT + self.path + "/cgroup.subtree_control", "+memory")
        else:
            _write(self.memory_root + self.path + "/memory.limit_in_bytes", self.limit_bytes)
        self._make_swap()

    def _make_swap(self):
        if self.swap_mib <= 0:
            return
        subprocess.run(["fallocate", "-l", f"{self.swap_mib}M", self.swap_file], check=True)
        os.chmod(self.swap_file, 0o600)
        subprocess.run(["mkswap", "-q", self.swap_file], check=True, stdout=subprocess.DEVNULL)
        # A higher priority than any other swap, so the emulated host's pages go to its own file first.
        subprocess.run(["swapon", "-p", "100", self.swap_file], check=True)

    def destroy(self, quiet=False):
        """Kills every process left in the host's cgroups, removes them and the swap file. Safe to call twice."""
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        for root in self.all_roots():
            base = root + self.path
            if not os.path.isdir(base):
                continue
            # Depth first: a cgroup can only be removed once its children are gone.
            for dirpath, _, _ in sorted(os.walk(base), key=lambda w: -w[0].count("/")):
                for _ in range(50):
                    try:
                        os.rmdir(dirpath)
                        break
                    except FileNotFoundError:
                        break
                    except OSError:
                        time.sleep(0.1)
        if os.path.exists(self.swap_file):
            swaps = _read("/proc/swaps")
            if self.swap_file in swaps:
                subprocess.run(["swapoff", self.swap_file], check=False)
            try:
                os.unlink(self.swap_file)
            except FileNotFoundError:
                pass
        if not quiet:
            left = [r + self.path for r in self.all_roots() if os.path.isdir(r + self.path)]
            if left:
                self.log(f"teardown: cgroups left: {left}")

    def roots(self):
        return [self.memory_root] + self.extra_roots

    def all_roots(self):
        """Every mounted hierarchy: runc makes a container's cgroup in each v1 controller, not only memory."""
        roots = set(self.roots())
        if not self.v2 and os.path.isdir("/sys/fs/cgroup"):
            for name in os.listdir("/sys/fs/cgroup"):
                path = os.path.join("/sys/fs/cgroup", name)
                if os.path.isdir(path) and not os.path.islink(path):
                    roots.add(path)
        return sorted(roots)

    # ---- children ------------------------------------------------------------------------------------------------
    def child(self, relative):
        """Makes `<host>/<relative>` in every hierarchy and returns its path for the daemon's config."""
        path = self.path + "/" + relative
        for root in self.roots():
            os.makedirs(root + path, exist_ok=True)
        if self.v2:
            parent = os.path.dirname(path)
            while parent != self.path and parent != "/":
                _write(V2_ROOT + parent + "/cgroup.subtree_control", "+memory")
                parent = os.path.dirname(parent)
        return path

    def join(self, path, pid=None):
        """Moves `pid` (default: the calling process) into `path` in every hierarchy."""
        pid = pid or os.getpid()
        for root in self.roots():
            _write(root + path + "/cgroup.procs", pid)

    def spawn(self, argv, cgroup, stdout=None, oom_score_adj=None, env=None):
        """Starts argv inside `cgroup` (before it runs anything) in its own session, so it can be killed whole."""
        roots = self.roots()

        def enter():
            for root in roots:
                _write(root + cgroup + "/cgroup.procs", os.getpid())
            if oom_score_adj is not None:
                # Best effort: some sandboxes refuse negative values (EIO); stress's +1000 is what matters.
                try:
                    _write("/proc/self/oom_score_adj", oom_score_adj)
                except OSError:
                    pass

        return subprocess.Popen(argv, preexec_fn=enter, start_new_session=True, stdout=stdout or subprocess.DEVNULL,
                                stderr=subprocess.STDOUT if stdout else subprocess.DEVNULL, env=env)

    def pids(self):
        pids = set()
        for root in self.all_roots():
            base = root + self.path
            for dirpath, _, files in os.walk(base):
                if "cgroup.procs" in files:
                    try:
                        pids.update(int(p) for p in _read(dirpath + "/cgroup.procs").split())
                    except OSError:
                        pass
        return sorted(pids)

    # ---- readings ------------------------------------------------------------------------------------------------
    def memory(self):
        """(usage, limit, inactive_file, swap) in bytes for the whole host."""
        base = self.memory_root + self.path
        stat = {}
        for line in _read(base + "/memory.stat").splitlines():
            key, _, value = line.partition(" ")
            stat[key] = int(value) if value.strip().isdigit() else 0
        if self.v2:
            usage = int(_read(base + "/memory.current"))
            swap = int(_read(base + "/memory.swap.current")) if os.path.exists(base + "/memory.swap.current") else 0
            return usage, self.limit_bytes, stat.get("inactive_file", 0), swap
        usage = int(_read(base + "/memory.usage_in_bytes"))
        swap = stat.get("total_swap", stat.get("swap", 0))
        return usage, self.limit_bytes, stat.get("total_inactive_file", stat.get("inactive_file", 0)), swap

    def major_faults(self):
        """Major page faults inside the emulated host (memory.stat): its swap-ins and file reads, not the machine's."""
        base = self.memory_root + self.path
        key = "pgmajfault" if self.v2 else "total_pgmajfault"
        for line in _read(base + "/memory.stat").splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
        return 0

    def swap_used_bytes(self):
        """What the emulated host's processes have in swap (memory.stat total_swap; v2 memory.swap.current). Not the
        swap file's use: every process on the machine may swap into it."""
        return self.memory()[3]
