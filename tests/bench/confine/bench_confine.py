#!/usr/bin/env python3
"""Where bmcquietd's threads run, and what reaches the isolated CPU, next to node_exporter.

On a machine with CPUs 0 and 1 and `cpus.isolated: "1"`, each phase runs one
exporter (or none) for the same window, scraped every second, and records:
  - every sched_switch on every CPU (a private tracefs instance, tgid recorded),
    summed into run time and switch-ins per process and thread on each CPU;
  - the CAL (function-call IPIs), RES (rescheduling IPIs) and LOC (local
    timer) deltas in CPU 1's column of /proc/interrupts.
Phases (interleaved, --rounds times): no exporter; bmcquietd confined (housekeeping "0"); bmcquietd with
housekeeping "0-1" (what an unconfined daemon does); node_exporter (Debian's
prometheus-node-exporter, if installed). The bench itself runs on CPU 0 and
starts the exporters with both CPUs allowed. Needs root (tracefs). < 60 s.
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

TRACEFS = "/sys/kernel/tracing"
SWITCH = re.compile(
    r"^\s*(?P<comm>.+?)-(?P<pid>\d+)\s+\(\s*(?P<tgid>[\d-]+)\)\s+\[(?P<cpu>\d+)\]\s+\S+\s+"
    r"(?P<ts>[\d.]+): sched_switch: prev_comm=.* prev_pid=(?P<prev>\d+) .*"
    r"==> next_comm=(?P<ncomm>.*) next_pid=(?P<next>\d+) ")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


class Tracer:
    """sched_switch with tgids, in an instance of its own (others may use tracefs)."""

    def __init__(self):
        if not os.path.isdir(TRACEFS + "/instances"):
            sys.exit(f"bench_confine: no tracefs at {TRACEFS}: mount -t tracefs nodev {TRACEFS} "
                     "(as root)")
        self.dir = f"{TRACEFS}/instances/bmcquiet-confine-{os.getpid()}"
        os.mkdir(self.dir)
        write(self.dir + "/buffer_size_kb", "8192")
        write(self.dir + "/options/record-tgid", "1")
        write(self.dir + "/events/sched/sched_switch/enable", "1")

    def start(self):
        write(self.dir + "/tracing_on", "0")
        write(self.dir + "/trace", "")
        write(self.dir + "/tracing_on", "1")

    def stop(self):
        write(self.dir + "/tracing_on", "0")
        with open(self.dir + "/trace") as f:
            return f.read()

    def close(self):
        write(self.dir + "/events/sched/sched_switch/enable", "0")
        os.rmdir(self.dir)


def runtime(trace, tgid):
    """{(comm, cpu): [seconds, switch-ins]} for the threads of tgid."""
    tgid_of, comm_of = {}, {}
    current = {}  # cpu -> (pid, since)
    by_pid = collections.defaultdict(lambda: [0.0, 0])  # (pid, cpu) -> [seconds, switch-ins]
    for line in trace.splitlines():
        m = SWITCH.match(line)
        if not m:
            continue
        cpu, ts = int(m["cpu"]), float(m["ts"])
        prev, nxt = int(m["prev"]), int(m["next"])
        if m["tgid"].strip("-"):
            tgid_of[prev] = int(m["tgid"])  # the line's task is the one switching out
        comm_of[nxt] = m["ncomm"]
        if cpu in current and current[cpu][0] == prev:
            by_pid[(prev, cpu)][0] += ts - current[cpu][1]
        current[cpu] = (nxt, ts)
        by_pid[(nxt, cpu)][1] += 1
    usage = collections.defaultdict(lambda: [0.0, 0])
    for (pid, cpu), (seconds, runs) in by_pid.items():
        if tgid_of.get(pid) == tgid:
            key = (comm_of.get(pid, "?"), cpu)
            usage[key][0] += seconds
            usage[key][1] += runs
    return usage


def irq_row(cpu):
    with open("/proc/interrupts") as f:
        header = f.readline().split()
        col = header.index(f"CPU{cpu}")
        out = {}
        for line in f:
            parts = line.split()
            name = parts[0].rstrip(":")
            if name in ("CAL", "RES", "LOC"):
                out[name] = int(parts[1 + col])
        return out


def wait_http(url, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def both_cpus():
    os.sched_setaffinity(0, {0, 1})


def run_phase(name, argv, url, tracer, window):
    proc = None
    if argv:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                preexec_fn=both_cpus)
        if not wait_http(url):
            proc.kill()
            sys.exit(f"bench_confine: {name} did not serve {url} within 10 s")
        time.sleep(1)  # past the first collections
    before = irq_row(1)
    tracer.start()
    end = time.time() + window
    while time.time() < end:
        if url:
            urllib.request.urlopen(url, timeout=2).read()
        time.sleep(1)
    trace = tracer.stop()
    after = irq_row(1)
    usage = runtime(trace, proc.pid) if proc else {}
    if proc:
        proc.terminate()
        proc.wait(5)
    return {k: after[k] - before[k] for k in before}, usage


def bmcquiet_config(state, housekeeping):
    path = os.path.join(state, f"bmcquiet-{housekeeping}.yaml")
    write(path, f'paths: {{state: {state}}}\ncpus: {{isolated: "1", housekeeping: "{housekeeping}"}}\n')
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bmcquietd", required=True)
    ap.add_argument("--window", type=float, default=5, help="seconds per phase")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds of all phases")
    args = ap.parse_args()
    if os.cpu_count() < 2 or not {0, 1} <= os.sched_getaffinity(0):
        sys.exit("bench_confine: needs CPUs 0 and 1")
    os.sched_setaffinity(0, {0})
    tracer = Tracer()
    state = tempfile.mkdtemp(prefix="bench-confine-")
    d_url = "http://127.0.0.1:19291/metrics"
    phases = [("no exporter", None, None)]
    for hk, label in (("0", "bmcquietd confined (hk 0)"), ("0-1", "bmcquietd unconfined (hk 0-1)")):
        phases.append((label, [args.bmcquietd, "--config", bmcquiet_config(state, hk),
                               "--listen", "127.0.0.1:19291"], d_url))
    node = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
    if node:
        phases.append(("node_exporter", [node, "--web.listen-address=127.0.0.1:19292"],
                       "http://127.0.0.1:19292/metrics"))
    irqs = collections.defaultdict(list)
    usages = collections.defaultdict(lambda: collections.defaultdict(lambda: [0.0, 0]))
    try:
        # Interleaved, so a burst from the rest of the machine hits one round of
        # a phase, not the whole phase.
        for _ in range(args.rounds):
            for name, argv, url in phases:
                irq, usage = run_phase(name, argv, url, tracer, args.window)
                irqs[name].append(irq)
                for key, (seconds, runs) in usage.items():
                    usages[name][key][0] += seconds
                    usages[name][key][1] += runs
    finally:
        tracer.close()
        shutil.rmtree(state, ignore_errors=True)
    # The least disturbed round: other tasks on this machine only add interrupts.
    results = [(name, {k: min(r[k] for r in irqs[name]) for k in ("CAL", "RES", "LOC")},
                usages[name]) for name, _, _ in phases]
    report(results, args.window, args.rounds, node)


def report(results, window, rounds, node):
    print(f"CPU 1 isolated; {rounds} interleaved rounds of {window:.0f} s per phase, one scrape per "
          "second (the bench itself on CPU 0)")
    print(f"CPU 1 interrupts: the round with the fewest; exporter time: all {rounds} rounds")
    print(f"{'phase':30} {'CAL':>6} {'RES':>6} {'LOC':>6}  {'ms on CPU0':>10} {'ms on CPU1':>10} "
          f"{'runs on CPU1':>12}")
    for name, irq, usage in results:
        ms = [sum(v[0] for (c, cpu), v in usage.items() if cpu == n) * 1e3 for n in (0, 1)]
        runs1 = sum(v[1] for (c, cpu), v in usage.items() if cpu == 1)
        own = f"{ms[0]:10.1f} {ms[1]:10.1f} {runs1:12d}" if usage or name != "no exporter" else \
            f"{'-':>10} {'-':>10} {'-':>12}"
        print(f"{name:30} {irq['CAL']:6d} {irq['RES']:6d} {irq['LOC']:6d}  {own}")
    if not node:
        print("node_exporter: not installed (Debian prometheus-node-exporter); no peer column")
    for name, _, usage in results:
        if not usage:
            continue
        print(f"\n{name}: per thread, ms on CPU0 / CPU1 (switch-ins on CPU1)")
        for comm in sorted({c for c, _ in usage}):
            z = [usage.get((comm, n), [0.0, 0]) for n in (0, 1)]
            print(f"  {comm:18} {z[0][0] * 1e3:8.2f} / {z[1][0] * 1e3:8.2f} ({z[1][1]})")
    print("\nInterrupt deltas include everything else on the machine (other tasks' wakeups); "
          "compare phases of one run.")


if __name__ == "__main__":
    main()
