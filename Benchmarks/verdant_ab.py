#!/usr/bin/env python3
"""Interleaved A/B of several Verdant binaries on `verdant bench --suite quantum`.

The machines we measure on drift by tens of per cent within minutes, so two binaries timed one
after the other cannot be compared. This runs every binary once per round, in turn, for several
rounds, and reports for each binary and case the median over rounds of the bench's own medians —
total seconds (planning included) and planning seconds — with every round's JSON kept in the
output file.

    python3 Benchmarks/verdant_ab.py --verdant before=PATH,after=PATH --rounds 5 \
        --qubits 20 --threads 1 --precision single --cases random,qaoa --out results/ab.json

With --run-qasm FILE,FILE it times whole `verdant run --precision P --threads T FILE` processes
instead (what a user pays: start-up, parsing, planning, the run and printing the result), one
process per binary, file and round; the summary's "seconds" are wall-clock medians over rounds.
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verdant", required=True, help="LABEL=PATH,LABEL=PATH,… (two or more binaries)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--qubits", default="20")
    parser.add_argument("--threads", default="1")
    parser.add_argument("--precision", default="single", choices=["single", "double"])
    parser.add_argument("--repeats", type=int, default=5, help="the bench's repeats per round")
    parser.add_argument("--cases", default="qft,qft-ucx,qft-rzsx,random,qaoa,su2")
    parser.add_argument("--out", help="write every round's JSON and the summary here")
    parser.add_argument("--run-qasm", help="FILE,FILE,…: time whole `verdant run` processes on these circuits instead")
    args = parser.parse_args()

    binaries = []
    for item in args.verdant.split(","):
        label, _, path = item.partition("=")
        if not path or not os.access(path, os.X_OK):
            print(f"--verdant: '{item}' is not LABEL=PATH of an executable", file=sys.stderr)
            return 2
        binaries.append((label, path))
    if len(binaries) < 2 or args.rounds < 1:
        print("--verdant needs two or more binaries and --rounds at least 1", file=sys.stderr)
        return 2

    rounds = []
    for r in range(args.rounds):
        for label, path in binaries:
            if args.run_qasm:
                results = []
                for file in args.run_qasm.split(","):
                    command = [path, "run", "--precision", args.precision, "--threads", args.threads, file,
                               "--no-energy-summary"]
                    start = time.perf_counter()
                    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                    elapsed = time.perf_counter() - start
                    if done.returncode != 0:
                        print(f"{label}: exit {done.returncode}: {done.stderr.strip()[-400:]}", file=sys.stderr)
                        return 1
                    case = os.path.splitext(os.path.basename(file))[0]
                    results.append({"case": case, "qubits": "run", "threads": args.threads, "seconds_median": elapsed,
                                    "planning_seconds_median": 0.0})
                rounds.append({"round": r, "label": label, "load": os.getloadavg()[0], "bench": {"results": results}})
                continue
            command = [path, "bench", "--suite", "quantum", "--cases", args.cases, "--qubits", args.qubits,
                       "--threads", args.threads, "--precision", args.precision, "--repeats", str(args.repeats),
                       "--json", "--no-energy-summary"]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{label}: exit {done.returncode}: {done.stderr.strip()[-400:]}", file=sys.stderr)
                return 1
            rounds.append({"round": r, "label": label, "load": os.getloadavg()[0], "bench": json.loads(done.stdout)})

    summary = {}
    for label, _ in binaries:
        for run in (x for x in rounds if x["label"] == label):
            for result in run["bench"]["results"]:
                key = f'{result["case"]}-{result["qubits"]}-{result["threads"]}t'
                entry = summary.setdefault(key, {}).setdefault(label, {"seconds": [], "planning": []})
                entry["seconds"].append(result["seconds_median"])
                entry["planning"].append(result["planning_seconds_median"])
    width = max([12] + [len(label) + 3 for label, _ in binaries])
    print(f'{"case":<20}' + "".join(f"{label + ' s':>{width}}{label + ' plan':>{width + 6}}" for label, _ in binaries))
    for key, by_label in summary.items():
        row = f"{key:<20}"
        for label, _ in binaries:
            entry = by_label[label]
            entry["seconds_median"] = statistics.median(entry["seconds"])
            entry["planning_median"] = statistics.median(entry["planning"])
            row += f'{entry["seconds_median"] * 1e3:>{width - 2}.2f}ms{entry["planning_median"] * 1e3:>{width + 4}.3f}ms'
        print(row)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"command": sys.argv, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                       "binaries": dict(binaries), "settings": vars(args), "summary": summary, "rounds": rounds}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
