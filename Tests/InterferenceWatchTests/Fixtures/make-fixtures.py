#!/usr/bin/env python3
"""Writes the fixture trees used by the collector and golden tests.

Kept as a script so the trees can be regenerated and reviewed; the generated files are committed.
See README.md beside this script for where each format comes from.
"""
import os, shutil, sys

HERE = os.path.dirname(os.path.abspath(__file__))
UNLIMITED_V1 = 9223372036854771712


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def meminfo(keys):
    return "".join(f"{k + ':':<16}{v:>8} kB\n" if unit else f"{k + ':':<16}{v:>8}\n" for k, v, unit in keys)


# ---------------------------------------------------------------- Ubuntu 18.04, kernel 4.15, cgroup v1 hybrid, no PSI
def ubuntu1804(root):
    proc = os.path.join(root, "proc")
    # Key set of 4.15's /proc/meminfo (no MemAvailable-era removals; no Zswap, no SecPageTables).
    write(os.path.join(proc, "meminfo"), meminfo([
        ("MemTotal", 8151704, 1), ("MemFree", 152332, 1), ("MemAvailable", 410216, 1), ("Buffers", 10964, 1),
        ("Cached", 391268, 1), ("SwapCached", 118420, 1), ("Active", 5893612, 1), ("Inactive", 1687556, 1),
        ("Active(anon)", 5744404, 1), ("Inactive(anon)", 1508472, 1), ("Active(file)", 149208, 1),
        ("Inactive(file)", 179084, 1), ("Unevictable", 16, 1), ("Mlocked", 16, 1), ("SwapTotal", 2097148, 1),
        ("SwapFree", 394116, 1), ("Dirty", 1204, 1), ("Writeback", 0, 1), ("AnonPages", 7133960, 1),
        ("Mapped", 98964, 1), ("Shmem", 12884, 1), ("Slab", 152084, 1), ("SReclaimable", 62956, 1),
        ("SUnreclaim", 89128, 1), ("KernelStack", 7872, 1), ("PageTables", 40480, 1), ("NFS_Unstable", 0, 1),
        ("Bounce", 0, 1), ("WritebackTmp", 0, 1), ("CommitLimit", 6173000, 1), ("Committed_AS", 11262640, 1),
        ("VmallocTotal", 34359738367, 1), ("VmallocUsed", 0, 1), ("VmallocChunk", 0, 1), ("HardwareCorrupted", 0, 1),
        ("AnonHugePages", 4460544, 1), ("ShmemHugePages", 0, 1), ("ShmemPmdMapped", 0, 1), ("CmaTotal", 0, 1),
        ("CmaFree", 0, 1), ("HugePages_Total", 0, 0), ("HugePages_Free", 0, 0), ("HugePages_Rsvd", 0, 0),
        ("HugePages_Surp", 0, 0), ("Hugepagesize", 2048, 1), ("DirectMap4k", 253772, 1), ("DirectMap2M", 8075264, 1),
    ]))
    # 4.15 vmstat: one workingset_refault counter (the anon/file split came in 5.9), no pgscan_khugepaged.
    write(os.path.join(proc, "vmstat"), "".join(f"{k} {v}\n" for k, v in [
        ("nr_free_pages", 38083), ("nr_zone_inactive_anon", 377118), ("nr_zone_active_anon", 1436101),
        ("nr_inactive_anon", 377118), ("nr_active_anon", 1436101), ("nr_inactive_file", 44771),
        ("nr_active_file", 37302), ("workingset_refault", 2417765), ("workingset_activate", 633418),
        ("workingset_nodereclaim", 1024), ("nr_anon_pages", 1783490), ("nr_mapped", 24741), ("nr_file_pages", 130163),
        ("nr_dirty", 301), ("nr_writeback", 0), ("nr_shmem", 3221), ("pgpgin", 48716012), ("pgpgout", 21347724),
        ("pswpin", 1204417), ("pswpout", 2391823), ("pgalloc_normal", 61234587), ("pgfree", 62034117),
        ("pgactivate", 4012331), ("pgdeactivate", 5123449), ("pgfault", 70213444), ("pgmajfault", 604523),
        ("pgrefill", 6123459), ("pgsteal_kswapd", 3410234), ("pgsteal_direct", 412333), ("pgscan_kswapd", 5120344),
        ("pgscan_direct", 801221), ("pgscan_direct_throttle", 0), ("pginodesteal", 0), ("slabs_scanned", 312000),
        ("kswapd_inodesteal", 120), ("pageoutrun", 31012), ("allocstall_normal", 2031), ("pgrotated", 40123),
        ("drop_pagecache", 0), ("drop_slab", 0), ("oom_kill", 2), ("thp_fault_alloc", 1203),
    ]))
    cg = os.path.join(root, "sys", "fs", "cgroup")
    mem = os.path.join(cg, "memory")
    # The unified tree of an 18.04 hybrid host: systemd's name=systemd v2 mount, no controllers, no PSI on 4.15.
    write(os.path.join(cg, "unified", "cgroup.controllers"), "\n")
    write(os.path.join(cg, "unified", "cgroup.procs"), "1\n")

    def v1(rel, usage, limit, memsw, rss, cache, inactive_file, pgfault, pgmajfault, failcnt, oom_kill, swap_acct=True):
        d = os.path.join(mem, rel.lstrip("/"))
        write(os.path.join(d, "memory.usage_in_bytes"), f"{usage}\n")
        write(os.path.join(d, "memory.limit_in_bytes"), f"{limit}\n")
        if swap_acct:
            write(os.path.join(d, "memory.memsw.usage_in_bytes"), f"{memsw}\n")
        write(os.path.join(d, "memory.failcnt"), f"{failcnt}\n")
        write(os.path.join(d, "memory.oom_control"), f"oom_kill_disable 0\nunder_oom 0\noom_kill {oom_kill}\n")
        write(os.path.join(d, "cgroup.procs"), "")
        local = [("cache", cache), ("rss", rss), ("rss_huge", 0), ("shmem", 0), ("mapped_file", cache // 8),
                 ("dirty", 0), ("writeback", 0), ("swap", max(memsw - usage, 0)), ("pgpgin", pgfault // 3),
                 ("pgpgout", pgfault // 4), ("pgfault", pgfault), ("pgmajfault", pgmajfault),
                 ("inactive_anon", rss // 5), ("active_anon", rss - rss // 5), ("inactive_file", inactive_file),
                 ("active_file", cache - inactive_file), ("unevictable", 0)]
        lines = local + [("hierarchical_memory_limit", limit), ("hierarchical_memsw_limit", UNLIMITED_V1)]
        lines += [("total_" + k, v) for k, v in local]
        write(os.path.join(d, "memory.stat"), "".join(f"{k} {v}\n" for k, v in lines))

    write(os.path.join(mem, "memory.usage_in_bytes"), "7912345600\n")
    write(os.path.join(mem, "memory.stat"), "cache 400654336\nrss 7305175040\n")
    # Docker (cgroupfs driver, the 18.04 default): /docker/<64-hex id>.
    v1("/docker/3f4e1b2c9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f", 268435456, 268435456, 402653184,
       251658240, 16777216, 8388608, 1204331, 40211, 51234, 1)
    v1("/docker/a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90", 104857600, UNLIMITED_V1, 104857600,
       94371840, 10485760, 4194304, 303201, 12, 0, 0)
    # libvirt 4.0 on 18.04 (systemd): machine.slice/machine-qemu\x2d<id>\x2d<name>.scope, with its own children.
    v1("/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d1.scope", 1127428096, UNLIMITED_V1, 1610612736,
       1073741824, 53686272, 26843136, 8123321, 301223, 0, 0)
    v1("/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d1.scope/vcpu0", 0, UNLIMITED_V1, 0, 0, 0, 0, 0, 0, 0, 0)
    v1("/machine.slice/machine-qemu\\x2d2\\x2ddb.scope", 1090519040, UNLIMITED_V1, 1196425216,
       1048576000, 41943040, 20971520, 7012331, 150221, 0, 0)
    v1("/system.slice/ssh.service", 5242880, UNLIMITED_V1, 5242880, 2097152, 3145728, 1048576, 21331, 3, 0, 0)
    v1("/system.slice/libvirtd.service", 31457280, UNLIMITED_V1, 33554432, 20971520, 10485760, 5242880, 120331, 41, 0, 0)
    v1("/user.slice", 62914560, UNLIMITED_V1, 62914560, 41943040, 20971520, 10485760, 523311, 201, 0, 0)
    # A cgroup named in the config file (the study's "bare host" servers grouped by hand).
    v1("/lab/s1", 33554432, 67108864, 50331648, 31457280, 2097152, 1048576, 40211, 8123, 17, 0)


# ---------------------------------------------------------------- cgroup v2 host, kernel 6.x, PSI on
def v2host(root):
    proc = os.path.join(root, "proc")
    write(os.path.join(proc, "meminfo"), meminfo([
        ("MemTotal", 32792612, 1), ("MemFree", 1203412, 1), ("MemAvailable", 9120432, 1), ("Buffers", 412332, 1),
        ("Cached", 8012331, 1), ("SwapCached", 20412, 1), ("Active", 16012331, 1), ("Inactive", 12012331, 1),
        ("Active(anon)", 12012331, 1), ("Inactive(anon)", 4012331, 1), ("Active(file)", 4000000, 1),
        ("Inactive(file)", 8000000, 1), ("Unevictable", 0, 1), ("Mlocked", 0, 1), ("SwapTotal", 8388604, 1),
        ("SwapFree", 7340028, 1), ("Zswap", 0, 1), ("Zswapped", 0, 1), ("Dirty", 2104, 1), ("Writeback", 0, 1),
        ("AnonPages", 16012412, 1), ("Mapped", 812331, 1), ("Shmem", 103312, 1), ("KReclaimable", 412331, 1),
        ("Slab", 812331, 1), ("SReclaimable", 412331, 1), ("SUnreclaim", 400000, 1), ("KernelStack", 20432, 1),
        ("PageTables", 81232, 1), ("SecPageTables", 0, 1), ("CommitLimit", 24784908, 1),
        ("Committed_AS", 40123312, 1), ("AnonHugePages", 0, 1), ("Balloon", 0, 1), ("HugePages_Total", 0, 0),
        ("HugePages_Free", 0, 0), ("Hugepagesize", 2048, 1), ("Hugetlb", 0, 1),
    ]))
    write(os.path.join(proc, "vmstat"), "".join(f"{k} {v}\n" for k, v in [
        ("nr_free_pages", 300853), ("nr_inactive_anon", 1003082), ("nr_active_anon", 3003082),
        ("workingset_refault_anon", 120331), ("workingset_refault_file", 4012331),
        ("workingset_activate_anon", 40211), ("workingset_activate_file", 1203312), ("nr_anon_pages", 4003103),
        ("pgpgin", 91203312), ("pgpgout", 40123312), ("pswpin", 301223), ("pswpout", 512331),
        ("pgfault", 912033120), ("pgmajfault", 402331), ("pgsteal_kswapd", 9123312), ("pgsteal_direct", 120331),
        ("pgsteal_khugepaged", 0), ("pgsteal_proactive", 0), ("pgscan_kswapd", 12033120), ("pgscan_direct", 203312),
        ("pgscan_khugepaged", 0), ("pgscan_proactive", 0), ("pgscan_direct_throttle", 0), ("pgscan_anon", 2033120),
        ("pgscan_file", 10203312), ("pgsteal_anon", 1203312), ("pgsteal_file", 8040331), ("oom_kill", 0),
    ]))
    write(os.path.join(proc, "pressure", "memory"),
          "some avg10=1.53 avg60=0.87 avg300=0.31 total=41203312\nfull avg10=0.42 avg60=0.20 avg300=0.07 total=12033120\n")
    write(os.path.join(proc, "pressure", "cpu"),
          "some avg10=12.04 avg60=9.31 avg300=8.02 total=912033120\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
    write(os.path.join(proc, "pressure", "io"),
          "some avg10=0.31 avg60=0.12 avg300=0.05 total=20331203\nfull avg10=0.20 avg60=0.08 avg300=0.03 total=15033120\n")

    cg = os.path.join(root, "sys", "fs", "cgroup")
    write(os.path.join(cg, "cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n")
    write(os.path.join(cg, "cgroup.subtree_control"), "cpuset cpu io memory pids\n")

    def v2(rel, current, maximum, high, swap, anon, file, inactive_file, pgfault, pgmajfault, refault_anon,
           refault_file, some_total, full_total, events):
        d = os.path.join(cg, rel.lstrip("/"))
        write(os.path.join(d, "memory.current"), f"{current}\n")
        write(os.path.join(d, "memory.max"), f"{maximum}\n")
        write(os.path.join(d, "memory.high"), f"{high}\n")
        write(os.path.join(d, "memory.swap.current"), f"{swap}\n")
        write(os.path.join(d, "memory.swap.max"), "max\n")
        write(os.path.join(d, "cgroup.procs"), "")
        stat = [("anon", anon), ("file", file), ("kernel", 2097152), ("kernel_stack", 131072),
                ("pagetables", 1048576), ("sec_pagetables", 0), ("percpu", 4096), ("sock", 0), ("vmalloc", 0),
                ("shmem", 0), ("zswap", 0), ("zswapped", 0), ("file_mapped", file // 4), ("file_dirty", 4096),
                ("file_writeback", 0), ("swapcached", 0), ("anon_thp", 0), ("file_thp", 0), ("shmem_thp", 0),
                ("inactive_anon", anon // 5), ("active_anon", anon - anon // 5), ("inactive_file", inactive_file),
                ("active_file", file - inactive_file), ("unevictable", 0), ("slab_reclaimable", 524288),
                ("slab_unreclaimable", 262144), ("slab", 786432), ("workingset_refault_anon", refault_anon),
                ("workingset_refault_file", refault_file), ("workingset_activate_anon", refault_anon // 3),
                ("workingset_activate_file", refault_file // 3), ("workingset_restore_anon", 0),
                ("workingset_restore_file", 0), ("workingset_nodereclaim", 0), ("pgscan", pgfault // 50),
                ("pgsteal", pgfault // 60), ("pgscan_kswapd", pgfault // 60), ("pgscan_direct", 0),
                ("pgsteal_kswapd", pgfault // 70), ("pgsteal_direct", 0), ("pgfault", pgfault),
                ("pgmajfault", pgmajfault), ("pgrefill", 0), ("pgactivate", 0), ("pgdeactivate", 0),
                ("pglazyfree", 0), ("pglazyfreed", 0), ("thp_fault_alloc", 0), ("thp_collapse_alloc", 0)]
        write(os.path.join(d, "memory.stat"), "".join(f"{k} {v}\n" for k, v in stat))
        write(os.path.join(d, "memory.pressure"),
              f"some avg10=0.00 avg60=0.00 avg300=0.00 total={some_total}\n"
              f"full avg10=0.00 avg60=0.00 avg300=0.00 total={full_total}\n")
        write(os.path.join(d, "memory.events"), "".join(f"{k} {v}\n" for k, v in events))

    ev0 = [("low", 0), ("high", 0), ("max", 0), ("oom", 0), ("oom_kill", 0), ("oom_group_kill", 0)]
    # Docker, systemd driver.
    v2("/system.slice/docker-9c2d4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d.scope",
       536870912, 536870912, "max", 134217728, 482344960, 50331648, 25165824, 2033120, 40331, 12033, 120331,
       3012331, 1203312, [("low", 0), ("high", 0), ("max", 2031), ("oom", 3), ("oom_kill", 1), ("oom_group_kill", 0)])
    v2("/system.slice/docker.service", 83886080, "max", "max", 0, 41943040, 41943040, 20971520, 120331, 12, 0, 31,
       0, 0, ev0)
    # podman (systemd cgroup manager); its conmon scope is not a workload.
    v2("/machine.slice/libpod-5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f.scope",
       209715200, "max", 167772160, 0, 188743680, 20971520, 10485760, 912331, 120, 0, 4033, 120331, 0, ev0)
    v2("/machine.slice/libpod-conmon-5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f.scope",
       1048576, "max", "max", 0, 524288, 524288, 0, 1203, 0, 0, 0, 0, 0, ev0)
    # Kubernetes: containerd and CRI-O containers inside a burstable pod.
    pod = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7d1e2f3a_4b5c_6d7e_8f9a_0b1c2d3e4f5a.slice"
    v2(pod + "/cri-containerd-b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8.scope",
       314572800, 402653184, "max", 0, 293601280, 20971520, 10485760, 1203312, 2033, 0, 20331, 812331, 203312,
       [("low", 0), ("high", 0), ("max", 0), ("oom", 0), ("oom_kill", 0), ("oom_group_kill", 0)])
    v2(pod + "/crio-c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0.scope",
       52428800, "max", "max", 0, 41943040, 10485760, 5242880, 203312, 3, 0, 312, 0, 0, ev0)
    # libvirt VM: machine.slice scope with libvirt's own children (emulator, vcpus): read once, at the scope.
    vm = "/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d1.scope"
    v2(vm, 2252341248, "max", "max", 268435456, 2147483648, 104857600, 52428800, 9123312, 401223, 201331, 91233,
       41203312, 12033120, ev0)
    v2(vm + "/libvirt/emulator", 2252341248, "max", "max", 268435456, 2147483648, 104857600, 52428800, 9123312,
       401223, 201331, 91233, 41203312, 12033120, ev0)
    v2("/machine.slice/machine-qemu\\x2d2\\x2dbatch.scope", 1073741824, "max", "max", 0, 1048576000, 25165824,
       12582912, 4012331, 20331, 0, 1203, 120331, 40331, ev0)
    # systemd services.
    v2("/system.slice/nginx.service", 41943040, "max", "max", 0, 20971520, 20971520, 10485760, 312033, 41, 0, 120,
       0, 0, ev0)
    v2("/system.slice/postgresql.service", 1610612736, 2147483648, 1879048192, 33554432, 536870912, 1073741824,
       536870912, 4120331, 12033, 2033, 40331, 2033120, 120331,
       [("low", 0), ("high", 120), ("max", 0), ("oom", 0), ("oom_kill", 0), ("oom_group_kill", 0)])
    # User sessions are not workloads unless named in the config.
    v2("/user.slice/user-1000.slice/session-3.scope", 20971520, "max", "max", 0, 10485760, 10485760, 5242880,
       120331, 3, 0, 0, 0, 0, ev0)


CONFIGS = {
    "ubuntu1804-v1": '# Config used with the ubuntu1804-v1 fixture: one hand-named cgroup and one process group\n# (process groups need the live /proc, so under a fixture root they simply do not appear).\nworkloads:\n  - name: lab-s1\n    cgroup: /lab/s1\n  - name: bare-servers\n    process: {command: node}\n',
    "v2-psi": '# Config used with the v2-psi fixture: a user session named by hand.\nworkloads:\n  - name: desktop\n    cgroup: /user.slice/user-1000.slice/session-3.scope\n',
}


def main():
    for name, fn in [("ubuntu1804-v1", ubuntu1804), ("v2-psi", v2host)]:
        root = os.path.join(HERE, name)
        shutil.rmtree(root, ignore_errors=True)
        fn(root)
        write(os.path.join(root, "config.yaml"), CONFIGS[name])
    print("fixtures written under", HERE)


if __name__ == "__main__":
    main()
