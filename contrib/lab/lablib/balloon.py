"""A balloon policy like oVirt's MOM: when the emulated host runs short, inflate the guests' balloons.

MOM's default policy shrinks each guest by a share of its free memory while the host's free memory is under a
pressure threshold, and lets guests grow back once the host has room again; a VM's guaranteed memory is the floor. This does the same through QEMU's
`balloon` command on each VM's second QMP socket (the daemon keeps the first), so the path the study blamed, memory
ballooning under host pressure, is exercised and the daemon sees the balloons move.
"""

import json
import socket
import threading
import time


class QMP:
    def __init__(self, path, timeout=5):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self._read()  # greeting
        self.execute("qmp_capabilities")

    def _read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("QMP socket closed")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return json.loads(line)

    def execute(self, command, **arguments):
        message = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        self.sock.sendall(json.dumps(message).encode() + b"\n")
        while True:
            reply = self._read()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise RuntimeError(f"QMP {command}: {reply['error'].get('desc')}")
            # Events (BALLOON_CHANGE and others) interleave with replies; skip them.

    def close(self):
        self.sock.close()


class BalloonPolicy:
    """Every `interval` s: while the host's free memory is under `pressure` of its size, each guest's balloon grows by
    `step` of the guest's size, down to the guest's guaranteed memory; over `relief` the balloons give it back.

    MOM and oVirt call the floor "guaranteed memory": a balloon never takes a VM below it, and VMs with a smaller
    guarantee are squeezed further. Memory the guest is using when its balloon inflates goes to the guest's swap.
    """

    def __init__(self, host, vms, log, guarantees=None, interval=2.0, pressure=0.10, relief=0.25, step=0.10):
        self.host, self.log = host, log
        self.vms = vms  # [(name, tools_qmp_path, size_mib)]
        self.guarantees = guarantees or [1.0] * len(vms)
        self.interval, self.pressure, self.relief, self.step = interval, pressure, relief, step
        self.stop_event = threading.Event()
        self.thread = None
        self.events = []  # (unix time, vm, target MiB): what the policy did, for the results
        self.clients = {}

    def start(self):
        for name, path, _ in self.vms:
            self.clients[name] = QMP(path)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        targets = {name: size for name, _, size in self.vms}
        while not self.stop_event.wait(self.interval):
            try:
                usage, limit, inactive_file, _ = self.host.memory()
            except OSError:
                continue
            free = limit - usage + inactive_file
            for (name, _, size), guarantee in zip(self.vms, self.guarantees):
                target = targets[name]
                if free < self.pressure * limit:
                    target = max(int(size * guarantee), int(target - size * self.step))
                elif free > self.relief * limit:
                    target = min(size, int(target + size * self.step))
                if target != targets[name]:
                    try:
                        self.clients[name].execute("balloon", value=target << 20)
                        targets[name] = target
                        self.events.append((time.time(), name, target))
                    except (OSError, RuntimeError) as e:
                        self.log(f"balloon policy: {name}: {e}")

    def stop(self):
        self.stop_event.set()
        if self.thread:
            self.thread.join(timeout=10)
        # Deflate everything before the VMs go, so a later model starts from full guests.
        for name, _, size in self.vms:
            client = self.clients.get(name)
            if client:
                try:
                    client.execute("balloon", value=size << 20)
                except (OSError, RuntimeError):
                    pass
                client.close()
        self.clients = {}
