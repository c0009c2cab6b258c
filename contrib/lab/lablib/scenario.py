"""Scenario presets: the study's two hosts scaled by one factor, and a short one for CI.

The study (HostA: 8 GB, four 1 GB VMs; HostB: 32 GB, four 2 GB VMs) raised host memory load with `stress -m N`,
256 MB per worker, N growing by 1 on HostA and by 20 on HostB. Here every memory size (host, VMs, stress workers,
the servers' heaps) is multiplied by `scale`, so the shape of the experiment stays while it fits on one machine.
"""

import dataclasses

MIB = 1 << 20

# Model ids, in the study's order (its figures 2 and 3), with the names used in groups, charts and tables.
MODELS = {
    "a": "host processes",
    "b": "containers",
    "c": "VMs",
    "d": "containers in VMs",
}
GROUP_NAMES = {"a": "lab-host", "b": "lab-containers", "c": "lab-vms", "d": "lab-containers-in-vms"}


@dataclasses.dataclass
class Scenario:
    name: str
    # The study's host this one emulates ("A" or "B"): the scoreboard expects imbalance on A and none on B.
    study_host: str
    host_mib: int
    vm_mib: int
    worker_mib: int
    workers: list
    rounds: int
    writes: int
    write_size: int
    # Private memory each server touches once per task (its heap), and memory every guest keeps resident but cold
    # (what a guest OS and its container runtime hold), both in MiB.
    heap_mib: int
    guest_resident_mib: int
    models: list
    balloon_policy: bool
    swap_mib: int
    scale: float
    # Guaranteed memory per VM, as a share of its size: the balloon policy's floor (vm1 first).
    balloon_guarantees: list = dataclasses.field(default_factory=lambda: [0.5, 0.9, 0.9, 0.9])
    # A loaded step runs at least this long (more rounds, up to 4x), so that it spans enough detection windows
    # however slow the machine makes its rounds.
    min_loaded_step_seconds: float = 0.0
    # Seconds of load before the first round of a step, so the kernel has reacted to the new load.
    settle_seconds: float = 3.0
    # 15 s holds the daemon's minimum of 5 samples per server even when a loaded round takes 2 to 3 s; 10 s windows
    # left a server that was twice as slow as its peers for 60 rounds unjudged in most windows.
    detection_window: str = "15s"
    # The same scenario can run against the study's other host in one command (the CI preset does both).
    also: list = dataclasses.field(default_factory=list)

    def describe(self):
        return (f"{self.name}: emulated host {self.host_mib} MiB (study host {self.study_host} x {self.scale:g}), "
                f"VMs {self.vm_mib} MiB, stress workers {self.worker_mib} MiB x {self.workers}, "
                f"{self.rounds} rounds per step, {self.writes} writes of {self.write_size} B, "
                f"models {','.join(self.models)}, balloon policy "
                + (f"on (guaranteed {', '.join(f'{g:.0%}' for g in self.balloon_guarantees)})"
                   if self.balloon_policy else "off"))


def default_writes(scale):
    """Half the study's 2,000,000 writes times the scale: under TCG a guest's write(2) costs about 5 us, so a loaded
    VM round stays within a few seconds and a 30 s detection window still holds the daemon's 5 samples per server."""
    return max(10_000, int(1_000_000 * scale))


def heap(scale):
    """The memory each server touches per task: a quarter of HostA's 1 GB VM (a node server building a 30 MB file
    per request keeps a heap of that order). It is what the host must keep resident for the servers to stay fast."""
    return max(8, int(256 * scale))


def guest_resident(vm_mib):
    """Cold memory each guest keeps: half its RAM, as the study's Ubuntu guests with Docker held, less the ~40 MiB
    the busybox guest's kernel and initramfs already take (a 128 MiB guest has about 70 MiB left for processes)."""
    return max(0, vm_mib // 2 - 40)


def host_a(scale=0.25, rounds=10, models="abcd", writes=None, steps=None, stride=2):
    """The small host: 8 GB with four 1 GB VMs, stress raised a worker (or `stride` workers) at a time.

    The climb goes on until the workers alone ask for 2.5 times what the VMs leave free: stress's workers free and
    re-allocate their memory all the time, so the host only swaps the servers' memory hard well past the point where
    the workers' sizes add up to the free memory (measured here: the VMs slowed from about 2x)."""
    worker = max(8, int(256 * scale))
    host = int(8192 * scale)
    vm = int(1024 * scale)
    free_workers = (host - 4 * vm) // worker
    top = int(2.5 * free_workers) if steps is None else steps
    return Scenario(
        name="host-a", study_host="A", host_mib=host, vm_mib=vm, worker_mib=worker,
        workers=list(range(0, top + 1, stride)),
        rounds=rounds, writes=writes or default_writes(scale), write_size=15,
        heap_mib=heap(scale), guest_resident_mib=guest_resident(vm), models=list(models),
        balloon_policy=True, swap_mib=host, scale=scale, detection_window="30s")


def host_b(scale=0.25, rounds=10, models="abcd", writes=None, steps=None, stride=20):
    """The roomy host: 32 GB with four 2 GB VMs, stress raised twenty workers at a time."""
    worker = max(8, int(256 * scale))
    host = int(32768 * scale)
    vm = int(2048 * scale)
    top = 4 if steps is None else steps
    return Scenario(
        name="host-b", study_host="B", host_mib=host, vm_mib=vm, worker_mib=worker,
        workers=[stride * i for i in range(0, top + 1)], rounds=rounds,
        writes=writes or default_writes(scale), write_size=15, heap_mib=heap(scale),
        guest_resident_mib=guest_resident(vm), models=list(models), balloon_policy=True, swap_mib=host // 4,
        scale=scale, detection_window="30s")


def ci():
    """The short scenario CI runs: models (a) and (c), both hosts at 1/8 scale.

    Three load steps on the small host instead of the whole climb (none, then twice and 2.5 times what the VMs leave
    free, where the servers swap), 40 rounds each, so that the loaded steps span the daemon's 3-of-5 debouncing
    twice over (a run with 30 flagged the squeezed VM 57 rounds into 60); the roomy host climbs as HostB did, 30
    rounds a step."""
    small = host_a(scale=1 / 8, rounds=40, models="ac", writes=60_000)
    small.name = "ci-host-a"
    free = (small.host_mib - 4 * small.vm_mib) // small.worker_mib
    small.workers = [0, 2 * free, 5 * free // 2]
    small.settle_seconds = 4.0
    small.detection_window = "15s"
    # Five 15 s windows per loaded step at least: a run on a loaded machine (rounds of 3 s) flagged nothing in 40.
    small.min_loaded_step_seconds = 75.0
    # A 128 MiB busybox guest keeps about 73 MiB it cannot swap (kernel, initramfs root): a 50 % floor would leave
    # the OOM killer no choice, so VM 1's guarantee is 70 % here, still below what its server uses.
    small.balloon_guarantees = [0.7, 0.95, 0.95, 0.95]
    roomy = host_b(scale=1 / 8, rounds=30, models="ac", writes=60_000, steps=2)
    roomy.name = "ci-host-b"
    roomy.detection_window = "15s"
    small.also = [roomy]
    return small


PRESETS = {"host-a": host_a, "host-b": host_b, "ci": ci}


def from_args(name, scale=None, rounds=None, models=None, writes=None, steps=None, stride=None):
    if name not in PRESETS:
        raise SystemExit(f"run-scenario: unknown scenario {name!r}; presets: {', '.join(PRESETS)}")
    if name == "ci":
        if any(v is not None for v in (scale, rounds, models, writes, steps, stride)):
            raise SystemExit("run-scenario: the ci preset takes no size flags")
        return PRESETS[name]()
    kwargs = {k: v for k, v in dict(scale=scale, rounds=rounds, models=models, writes=writes, steps=steps,
                                    stride=stride).items()
              if v is not None}
    for m in kwargs.get("models", ""):
        if m not in MODELS:
            raise SystemExit(f"run-scenario: unknown model {m!r}; models: a b c d")
    return PRESETS[name](**kwargs)
