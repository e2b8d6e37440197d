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
import subprocess

from benchresults import write_results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


TRANSPORTS = {
    "default": [],
    "shm": ["--mca", "pml", "ob1", "--mca", "btl", "self,vader"],
    "tcp": ["--mca", "pml", "ob1", "--mca", "btl", "self,tcp"],
}


def run(binary, ranks, sizes, repeats, in_process, transport="default"):
    command = [binary, "bench", "--suite", "parallel", "--cases", "allreduce-encrypted", "--message-bytes", sizes,
               "--repeats", str(repeats), "--json"]
    if not in_process:
        command = (["mpirun", "-np", str(ranks), "--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
                   + TRANSPORTS[transport] + command)
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return command, json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--verdant", default=os.path.join(ROOT, ".build-mpi-release", "release", "verdant"),
                   help="a verdant binary, or LABEL=PATH,LABEL=PATH,… to compare builds")
    p.add_argument("--transports", default="default", help="comma-separated: default, shm, tcp")
    p.add_argument("--ranks", default="2")
    p.add_argument("--message-bytes", default="8M")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--in-process", action="store_true", help="two ranks on threads of one process (no mpirun)")
    a = p.parse_args()
    builds = [tuple(b.split("=", 1)) if "=" in b else ("", b) for b in a.verdant.split(",")]
    transports = ["in-process"] if a.in_process else a.transports.split(",")
    for t in transports:
        if t not in TRANSPORTS and t != "in-process":
            p.error(f"--transports: unknown transport '{t}' (valid: {', '.join(TRANSPORTS)})")
    rows, raw = [], []
    cases = [(ranks, t, label, binary) for ranks in ([2] if a.in_process else [int(r) for r in a.ranks.split(",")])
             for t in transports for label, binary in builds]
    for ranks, transport, label, binary in cases:
        command, result = run(binary, ranks, a.message_bytes, a.repeats, a.in_process, "default" if a.in_process else transport)
        raw.append({"build": label, "transport": transport, "command": command, "result": result})
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
