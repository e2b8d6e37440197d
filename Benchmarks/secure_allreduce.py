#!/usr/bin/env python3
"""The cost of --encrypt-traffic: a plain and an AES-256-GCM-sealed allreduce of the same message on
the same ranks (`verdant bench --suite parallel --cases allreduce-encrypted`), one after the other.

    python3 Benchmarks/secure_allreduce.py                                  # mpirun -np 2, 8 MiB
    python3 Benchmarks/secure_allreduce.py --ranks 2,3 --message-bytes 64K,8M --repeats 7
    python3 Benchmarks/secure_allreduce.py --in-process                     # no MPI: two ranks on threads
    python3 Benchmarks/secure_allreduce.py --transports shm,tcp \
        --verdant before=/tmp/verdant-main,after=.build-mpi-rel/release/verdant # two builds, two transports

--transports picks Open MPI's byte transfer layer through the ob1 messaging layer: shm is
`--mca pml ob1 --mca btl self,vader` (shared memory), tcp is `--mca pml ob1 --mca btl self,tcp`
(loopback TCP: what the encryption is for, traffic between hosts); default is mpirun's own choice.

netns is TCP between two "hosts": two network namespaces joined by a veth pair, rank 0 in one and
rank 1 in the other (2 ranks only), as .ci/two-namespaces.sh runs them — Open MPI's launcher enters
the second namespace through a small agent script instead of ssh, and btl and oob are restricted to
the pair's subnet, so every byte between the ranks crosses the veth link. netns@RATE shapes both
ends of the link with a token bucket (`tc qdisc … tbf rate RATE`, e.g. netns@10gbit, netns@25gbit;
the burst is 200 µs of the rate, so that a message cannot cross at more than the rate for long):
a network link of that speed, though both ranks still share this machine's cores (unbound: each
namespace's Open MPI daemon would bind its rank to core 0, the same core). Needs root, ip(8)
and tc(8); the namespaces are named after this process, made once per run and deleted on exit
(also on an error, Ctrl-C or SIGTERM); no other namespace is touched.

    sudo flock /work/.bench.lock python3 Benchmarks/secure_allreduce.py --transports netns,netns@25gbit,netns@10gbit
--verdant takes one binary or several LABEL=PATH pairs; every case runs with each binary in turn
(interleaved, so a change in the machine's load moves all of them).

Needs a release Verdant built with `--traits MPI` (default .build-mpi-release/release/verdant; build
it with `swift build -c release --traits MPI --scratch-path .build-mpi-release`), or --in-process with
any release build. Python is only the driver: every number comes from the verdant binary. Raw results
go to Benchmarks/results/secure-allreduce-DATE.json (benchresults.py) with the command, date, machine
and load; wrap the run in `flock /work/.bench.lock` on a shared machine.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile

from benchresults import write_results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


TRANSPORTS = {
    "default": [],
    "shm": ["--mca", "pml", "ob1", "--mca", "btl", "self,vader"],
    "tcp": ["--mca", "pml", "ob1", "--mca", "btl", "self,tcp"],
}


class Namespaces:
    """Two network namespaces A and B joined by a veth pair (10.232.X.1 in A, .2 in B), for two ranks
    on two "hosts"; `shape(rate)` puts a token-bucket filter of that rate on both ends (None: none).
    Deleted, with the agent script's folder, by close(), which also runs on exit and on SIGINT/SIGTERM.
    """

    def __init__(self):
        self.ip = shutil.which("ip") or "/usr/sbin/ip"
        self.tc = shutil.which("tc") or "/usr/sbin/tc"
        tag = f"vdtb{os.getpid()}"
        self.a, self.b = f"{tag}-a", f"{tag}-b"
        self.va, self.vb = f"{tag}a"[:15], f"{tag}b"[:15]   # interface names: at most 15 characters
        octet = os.getpid() % 250
        self.net = f"10.232.{octet}.0/24"
        self.addr_a, self.addr_b = f"10.232.{octet}.1", f"10.232.{octet}.2"
        self.made = []
        self.folder = tempfile.mkdtemp(prefix="verdant-netns-")
        self.rate = None
        try:
            for ns in (self.a, self.b):
                subprocess.run([self.ip, "netns", "add", ns], check=True)
                self.made.append(ns)
            subprocess.run([self.ip, "link", "add", self.va, "netns", self.a, "type", "veth", "peer", "name", self.vb,
                            "netns", self.b], check=True)
            for ns, dev, addr in ((self.a, self.va, self.addr_a), (self.b, self.vb, self.addr_b)):
                subprocess.run([self.ip, "-n", ns, "addr", "add", f"{addr}/24", "dev", dev], check=True)
                subprocess.run([self.ip, "-n", ns, "link", "set", "lo", "up"], check=True)
                subprocess.run([self.ip, "-n", ns, "link", "set", dev, "up"], check=True)
            # Open MPI calls the agent as `agent [options] HOST COMMAND…`, as it would call ssh.
            self.agent = os.path.join(self.folder, "agent.sh")
            with open(self.agent, "w") as f:
                f.write("#!/bin/sh\nwhile [ \"${1#-}\" != \"$1\" ]; do shift; done\nhost=$1\nshift\n"
                        f"case \"$host\" in\n    {self.addr_a}) ns={self.a} ;;\n    {self.addr_b}) ns={self.b} ;;\n"
                        "    *) echo \"agent: unknown host $host\" >&2; exit 1 ;;\nesac\n"
                        f"exec {self.ip} netns exec \"$ns\" sh -c \"$*\"\n")
            os.chmod(self.agent, 0o700)
        except BaseException:
            self.close()
            raise

    def shape(self, rate):
        """Token-bucket shaping of both ends at `rate` (tc syntax, e.g. 10gbit), or none."""
        if rate == self.rate:
            return
        for ns, dev in ((self.a, self.va), (self.b, self.vb)):
            subprocess.run([self.tc, "-n", ns, "qdisc", "del", "dev", dev, "root"], capture_output=True)
            if rate:
                bits = parse_rate(rate)
                burst = max(int(bits / 8 * 200e-6), 64 * 1024)   # 200 µs of the rate, at least 64 KiB
                subprocess.run([self.tc, "-n", ns, "qdisc", "add", "dev", dev, "root", "tbf", "rate", rate,
                                "burst", str(burst), "latency", "50ms"], check=True)
        self.rate = rate

    def qdisc(self):
        return subprocess.run([self.tc, "-n", self.a, "qdisc", "show", "dev", self.va], capture_output=True, text=True).stdout.strip()

    def tx_bytes(self):
        """Bytes sent by A's and B's ends so far."""
        total = 0
        for ns, dev in ((self.a, self.va), (self.b, self.vb)):
            out = subprocess.run([self.ip, "netns", "exec", ns, "cat", f"/sys/class/net/{dev}/statistics/tx_bytes"],
                                 capture_output=True, text=True, check=True).stdout
            total += int(out.strip())
        return total

    def mpirun(self):
        # --bind-to none: each "host" has its own Open MPI daemon, and each daemon binds its one rank
        # to core 0 — both ranks on one core of this machine, which two hosts would not share.
        return ([self.ip, "netns", "exec", self.a, "mpirun", "-np", "2", "--bind-to", "none", "--host", f"{self.addr_a}:1,{self.addr_b}:1",
                 "--mca", "plm_rsh_agent", self.agent, "--mca", "pml", "ob1", "--mca", "btl", "self,tcp",
                 "--mca", "btl_tcp_if_include", self.net, "--mca", "oob_tcp_if_include", self.net]
                + (["--allow-run-as-root"] if os.geteuid() == 0 else []))

    def close(self):
        # Deleting a namespace deletes the veth end inside it, and so the pair.
        for ns in self.made:
            subprocess.run([self.ip, "netns", "del", ns], capture_output=True)
        self.made = []
        shutil.rmtree(self.folder, ignore_errors=True)


def parse_rate(rate):
    """Bits per second of a tc rate such as 10gbit, 25Gbit or 500mbit."""
    m = re.fullmatch(r"(?i)([0-9.]+)\s*([kmg]?)bit", rate)
    if not m:
        raise ValueError(f"rate '{rate}': expected a number and kbit, mbit or gbit (e.g. 10gbit)")
    return float(m.group(1)) * {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[m.group(2).lower()]


def run(binary, ranks, sizes, repeats, in_process, transport="default", namespaces=None):
    command = [binary, "bench", "--suite", "parallel", "--cases", "allreduce-encrypted", "--message-bytes", sizes,
               "--repeats", str(repeats), "--json"]
    link = None
    if transport.startswith("netns"):
        namespaces.shape(transport.partition("@")[2] or None)
        command = namespaces.mpirun() + command
        before = namespaces.tx_bytes()
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        link = {"qdisc": namespaces.qdisc(), "veth_tx_bytes": namespaces.tx_bytes() - before}
        return command, json.loads(out.strip().splitlines()[-1]), link
    if not in_process:
        command = (["mpirun", "-np", str(ranks), "--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
                   + TRANSPORTS[transport] + command)
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return command, json.loads(out.strip().splitlines()[-1]), link


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--verdant", default=os.path.join(ROOT, ".build-mpi-release", "release", "verdant"),
                   help="a verdant binary, or LABEL=PATH,LABEL=PATH,… to compare builds")
    p.add_argument("--transports", default="default", help="comma-separated: default, shm, tcp, netns, netns@RATE (e.g. netns@10gbit)")
    p.add_argument("--ranks", default="2")
    p.add_argument("--message-bytes", default="8M")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--in-process", action="store_true", help="two ranks on threads of one process (no mpirun)")
    a = p.parse_args()
    builds = [tuple(b.split("=", 1)) if "=" in b else ("", b) for b in a.verdant.split(",")]
    transports = ["in-process"] if a.in_process else a.transports.split(",")
    for t in transports:
        name, _, rate = t.partition("@")
        if name == "netns":
            if rate:
                try:
                    parse_rate(rate)
                except ValueError as error:
                    p.error(f"--transports: {error}")
            continue
        if t not in TRANSPORTS and t != "in-process":
            p.error(f"--transports: unknown transport '{t}' (valid: {', '.join(TRANSPORTS)}, netns, netns@RATE)")
    rows, raw = [], []
    cases = [(ranks, t, label, binary) for ranks in ([2] if a.in_process else [int(r) for r in a.ranks.split(",")])
             for t in transports for label, binary in builds
             if not (t.startswith("netns") and ranks != 2)]   # two namespaces: one rank each
    namespaces = None
    if any(t.startswith("netns") for t in transports):
        if os.geteuid() != 0:
            p.error("--transports netns needs root (it makes network namespaces)")
        # Delete the namespaces however the script ends: SIGTERM and SIGHUP become SystemExit.
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, lambda number, frame: (_ for _ in ()).throw(SystemExit(128 + number)))
        namespaces = Namespaces()
    try:
        results = [(case, run(case[3], case[0], a.message_bytes, a.repeats, a.in_process,
                              "default" if a.in_process else case[1], namespaces)) for case in cases]
    finally:
        if namespaces:
            namespaces.close()
    for (ranks, transport, label, binary), (command, result, link) in results:
        raw.append({"build": label, "transport": transport, "command": command, "result": result}
                   | ({"link": link} if link else {}))
        plain = {r["parameters"]["bytes"]: r for r in result["results"] if r["case"] == "allreduce-plain"}
        for r in result["results"]:
            if r["case"] != "allreduce-encrypted":
                continue
            base = plain[r["parameters"]["bytes"]]
            # Cross-check: the ratio the binary printed is the ratio of the medians it printed.
            ratio = r["seconds_median"] / base["seconds_median"]
            assert abs(ratio - r["time_vs_plain"]) < 1e-9 * max(1, ratio), (ratio, r["time_vs_plain"])
            rows.append({"build": label, "transport": transport,
                         "ranks": r["ranks"], "bytes": int(r["parameters"]["bytes"]), "backend": result["machine"]["backend"],
                         "plain_ms": base["seconds_median"] * 1e3, "encrypted_ms": r["seconds_median"] * 1e3, "ratio": ratio})
    print(f"{'build':>8} {'transport':>10} {'ranks':>5} {'bytes':>10} {'plain ms':>10} {'encrypted ms':>13} {'ratio':>6}  backend")
    for row in rows:
        print(f"{row['build']:>8} {row['transport']:>10} {row['ranks']:>5} {row['bytes']:>10} {row['plain_ms']:>10.3f} "
              f"{row['encrypted_ms']:>13.3f} {row['ratio']:>6.2f}  {row['backend']}")
    path = write_results("secure-allreduce", {"rows": rows, "raw": raw})
    print(f"raw results: {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
