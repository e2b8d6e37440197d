#!/usr/bin/env python3
"""The cost of --encrypt-traffic: a plain and an AES-256-GCM-sealed allreduce of the same message on
the same ranks (`verdant bench --suite parallel --cases allreduce-encrypted`), one after the other.

    python3 Benchmarks/secure_allreduce.py                                  # mpirun -np 2, 8 MiB
    python3 Benchmarks/secure_allreduce.py --ranks 2,3 --message-bytes 64K,8M --repeats 7
    python3 Benchmarks/secure_allreduce.py --in-process                     # no MPI: two ranks on threads

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


def run(binary, ranks, sizes, repeats, in_process):
    command = [binary, "bench", "--suite", "parallel", "--cases", "allreduce-encrypted", "--message-bytes", sizes,
               "--repeats", str(repeats), "--json"]
    if not in_process:
        command = ["mpirun", "-np", str(ranks), "--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else []) + command
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return command, json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--verdant", default=os.path.join(ROOT, ".build-mpi-release", "release", "verdant"))
    p.add_argument("--ranks", default="2")
    p.add_argument("--message-bytes", default="8M")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--in-process", action="store_true", help="two ranks on threads of one process (no mpirun)")
    a = p.parse_args()
    rows, raw = [], []
    for ranks in ([2] if a.in_process else [int(r) for r in a.ranks.split(",")]):
        command, result = run(a.verdant, ranks, a.message_bytes, a.repeats, a.in_process)
        raw.append({"command": command, "result": result})
        plain = {r["parameters"]["bytes"]: r for r in result["results"] if r["case"] == "allreduce-plain"}
        for r in result["results"]:
            if r["case"] != "allreduce-encrypted":
                continue
            base = plain[r["parameters"]["bytes"]]
            # Cross-check: the ratio the binary printed is the ratio of the medians it printed.
            ratio = r["seconds_median"] / base["seconds_median"]
            assert abs(ratio - r["time_vs_plain"]) < 1e-9 * max(1, ratio), (ratio, r["time_vs_plain"])
            rows.append({"ranks": r["ranks"], "bytes": int(r["parameters"]["bytes"]), "backend": result["machine"]["backend"],
                         "plain_ms": base["seconds_median"] * 1e3, "encrypted_ms": r["seconds_median"] * 1e3, "ratio": ratio})
    print(f"{'ranks':>5} {'bytes':>10} {'plain ms':>10} {'encrypted ms':>13} {'ratio':>6}  backend")
    for row in rows:
        print(f"{row['ranks']:>5} {row['bytes']:>10} {row['plain_ms']:>10.3f} {row['encrypted_ms']:>13.3f} {row['ratio']:>6.2f}  {row['backend']}")
    path = write_results("secure-allreduce", {"rows": rows, "raw": raw})
    print(f"raw results: {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
