#!/usr/bin/env python3
"""Which pages of a binary's code a running process has mapped (resident), from /proc/PID/pagemap (root).

    bench/code-pages.py PID BINARY            one link-time address (hex) per resident code page
    bench/code-pages.py --summary PID BINARY  mapped and resident MiB of each of the binary's mappings

Addresses are the binary's own (as `nm` prints them), not the process's, so pages from runs of one binary can be
merged and matched to its symbols (`nm --print-size`).
"""
import struct
import subprocess
import sys

PAGE = 4096


def load_segments(binary):
    """(file offset, link-time address, file size) of each PT_LOAD segment."""
    out = subprocess.run(["readelf", "-lW", binary], capture_output=True, text=True, check=True).stdout
    segments = []
    for line in out.splitlines():
        fields = line.split()
        if fields and fields[0] == "LOAD":
            segments.append((int(fields[1], 16), int(fields[2], 16), int(fields[4], 16)))
    return segments


def mappings(pid, binary):
    """(start, end, permissions, file offset) of the process's mappings of the binary's file."""
    name = binary.rsplit("/", 1)[-1]
    found = []
    with open(f"/proc/{pid}/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and fields[5].rsplit("/", 1)[-1] == name:
                start, end = (int(x, 16) for x in fields[0].split("-"))
                found.append((start, end, fields[1], int(fields[2], 16)))
    if not found:
        sys.exit(f"code-pages: process {pid} maps no file named {name}")
    return found


def resident(pagemap, start, end):
    """Addresses of the pages in [start, end) that are present (bit 63 of each pagemap entry)."""
    pagemap.seek(start // PAGE * 8)
    data = pagemap.read((end - start) // PAGE * 8)
    return [start + i * PAGE for i, (entry,) in enumerate(struct.iter_unpack("<Q", data)) if entry >> 63]


def main():
    args = sys.argv[1:]
    summary = bool(args) and args[0] == "--summary"
    if summary:
        args = args[1:]
    if len(args) != 2:
        sys.exit(__doc__)
    pid, binary = args
    segments = load_segments(binary)
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for start, end, perms, offset in mappings(pid, binary):
            pages = resident(pagemap, start, end)
            if summary:
                print(f"{perms} {(end - start) / 2**20:7.1f} MiB mapped {len(pages) * PAGE / 2**20:6.1f} MiB resident")
                continue
            if "x" not in perms:
                continue
            # The process's address of file offset `offset`, less its link-time address, is the load bias.
            link = next(vaddr + offset - foff for foff, vaddr, size in segments if foff <= offset < foff + size)
            bias = start - link
            for page in pages:
                print(f"{page - bias:x}")


if __name__ == "__main__":
    main()
