#!/usr/bin/env python3
"""Where the test suite's CPU goes (docs/benchmarks.md, "Where the suite's CPU goes").

Every process's CPU time, from the kernel's process accounting (acct(2), version 3 records: one
per process when it exits, short-lived ones included), added up by command name and by the test
file whose node:test process started it (its ancestors' command lines, sampled from /proc every
0.3 s; a node:test file process ends with the file's path). As root, on a kernel with
CONFIG_BSD_PROCESS_ACCT, nothing else running:

    python3 bench/suite-cpu.py start DIR     # accounting on into DIR/pacct, the sampler started
    CI=true bash .ci/run                     # or npm test: the run being measured
    python3 bench/suite-cpu.py stop DIR      # accounting off, the sampler's table into DIR/seen.json
    python3 bench/suite-cpu.py report DIR    # the totals

The sampler costs about 20 s of CPU over a ten-minute run (reported under its own name, python3,
among the processes no test started). Python, not TypeScript: acct(2) has no binding in Node.
"""
import collections
import ctypes
import json
import os
import re
import signal
import struct
import sys
import time

COMMAND_RE = re.compile(r"(?:^|\s)(test/\S+\.test\.ts)\s*$")
CHECKS = {"tsc": "check: typecheck", "eslint": "check: lint", "prettier": "check: format"}


def acct(path):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.acct(path.encode() if path else None) != 0:
        err = ctypes.get_errno()
        sys.exit(f"acct({path}): {os.strerror(err)} (root and CONFIG_BSD_PROCESS_ACCT needed)")


def sample(out):
    """Until SIGTERM: (pid, start time) -> [pid, ppid, start (epoch s), command line]."""
    boot = int(next(l for l in open("/proc/stat") if l.startswith("btime")).split()[1])
    tick = os.sysconf("SC_CLK_TCK")
    seen = {}

    def dump(*_):
        with open(out, "w") as f:
            json.dump(list(seen.values()), f)
        sys.exit(0)

    signal.signal(signal.SIGTERM, dump)
    while True:
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open(f"/proc/{p}/stat") as f:
                    st = f.read()
                fields = st[st.rindex(")") + 2 :].split()
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode("utf8", "replace").strip()
                # Read again each pass: a process seen between its fork and its exec has its parent's.
                if cmd:
                    seen[(p, fields[19])] = [int(p), int(fields[1]), boot + int(fields[19]) / tick, cmd]
            except (OSError, ValueError, IndexError):
                pass  # gone meanwhile
        time.sleep(0.3)


def comp_t(v):
    """acct's 16-bit float: 13-bit mantissa, 3-bit base-8 exponent."""
    return (v & 0x1FFF) << (3 * ((v >> 13) & 7))


def read_acct(path):
    data = open(path, "rb").read()
    hz = 100  # AHZ: acct's clock ticks per second on Linux
    out = []
    for i in range(0, len(data) - 63, 64):
        r = data[i : i + 64]
        _flag, version, _tty, _exit, _uid, _gid, pid, ppid, btime, _etime = struct.unpack("<BBHIIIIIIf", r[:32])
        if version & 0x7F != 3:
            continue
        utime, stime = struct.unpack("<HH", r[32:36])
        comm = r[48:64].split(b"\0")[0].decode("utf8", "replace")
        out.append({"pid": pid, "ppid": ppid, "start": btime, "cpu": (comp_t(utime) + comp_t(stime)) / hz, "comm": comm})
    return out


def report(d):
    recs = read_acct(os.path.join(d, "pacct"))
    seen = json.load(open(os.path.join(d, "seen.json")))
    # Each process by pid, with its start time: acct's is whole seconds, the sampler's finer.
    by_pid = collections.defaultdict(list)
    for pid, ppid, start, cmd in seen:
        by_pid[pid].append({"start": start, "ppid": ppid, "cmd": cmd})
    for r in recs:
        if not any(abs(x["start"] - r["start"]) <= 1.5 for x in by_pid[r["pid"]]):
            by_pid[r["pid"]].append({"start": r["start"], "ppid": r["ppid"], "cmd": ""})

    def find(pid, start):
        c = [x for x in by_pid.get(pid, []) if abs(x["start"] - start) <= 1.5]
        return min(c, key=lambda x: abs(x["start"] - start)) if c else None

    def parent(x):
        # The process with the parent's pid that started last before the child (pids are reused).
        c = [p for p in by_pid.get(x["ppid"], []) if p["start"] <= x["start"] + 1.5]
        return max(c, key=lambda p: p["start"]) if c else None

    def label(cmd):
        m = COMMAND_RE.search(cmd)
        if m and " --test " not in f" {cmd} ":
            return m.group(1)
        if " --test " in f" {cmd} " and "--import tsx" in cmd:
            return "a node:test group's own process (the shared files run there)"
        for name, what in CHECKS.items():
            if re.search(rf"node_modules/(\.bin/|typescript/bin/|{name}/bin/){name}\b", cmd):
                return what
        if re.search(r"\bnpm ci\b", cmd):
            return "npm ci (and the build it runs)"
        return None

    by_comm = collections.Counter()
    by_owner = collections.Counter()
    detail = collections.defaultdict(collections.Counter)
    for r in recs:
        by_comm[r["comm"]] += r["cpu"]
        x, owner, hops = find(r["pid"], r["start"]) or {"start": r["start"], "ppid": r["ppid"], "cmd": ""}, None, 0
        while x is not None and hops < 80:
            owner = label(x["cmd"])
            if owner:
                break
            x, hops = parent(x), hops + 1
        owner = owner or "no test's (daemons' reparented children, the sampler, the system)"
        by_owner[owner] += r["cpu"]
        detail[owner][r["comm"]] += r["cpu"]
    total = sum(by_comm.values())
    print(f"{len(recs)} processes, {total:.1f} s of CPU\n\nby command name (acct's comm: node's threads rename it, e.g. MainThread, SignalInspector):")
    for c, v in by_comm.most_common(25):
        print(f"{v:8.1f}  {c}")
    print("\nby test file (and the command names under it):")
    for c, v in by_owner.most_common(60):
        print(f"{v:8.1f}  {c}   [{', '.join(f'{k} {w:.0f}' for k, w in detail[c].most_common(4))}]")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop", "report", "_sample"):
        sys.exit(__doc__)
    cmd, d = sys.argv[1], os.path.abspath(sys.argv[2])
    if cmd == "start":
        os.makedirs(d, exist_ok=True)
        open(os.path.join(d, "pacct"), "wb").close()
        if os.path.exists(os.path.join(d, "seen.json")):
            os.remove(os.path.join(d, "seen.json"))
        acct(os.path.join(d, "pacct"))
        pid = os.fork()
        if pid == 0:
            os.setsid()
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), "_sample", d])
        open(os.path.join(d, "sampler.pid"), "w").write(str(pid))
        print(f"accounting into {d}/pacct; sampler {pid}")
    elif cmd == "_sample":
        sample(os.path.join(d, "seen.json"))
    elif cmd == "stop":
        acct(None)
        pid = int(open(os.path.join(d, "sampler.pid")).read())
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if os.path.exists(os.path.join(d, "seen.json")):
                break
            time.sleep(0.1)
        print(f"accounting off; {d}/seen.json written")
    else:
        report(d)


if __name__ == "__main__":
    main()
