#!/usr/bin/env python3
"""Interleaved A/B of several Verdant binaries on `verdant bench --suite quantum`.

The machines we measure on drift by tens of per cent within minutes, so two binaries timed one
after the other cannot be compared. This runs every binary once per round, in turn, for several
rounds, and reports for each binary and case the median over rounds of the bench's own medians —
total seconds (planning included) and planning seconds — with every round's JSON kept in the
output file.

    python3 Benchmarks/verdant_ab.py --verdant before=PATH,after=PATH --rounds 5 \
        --qubits 20 --threads 1 --precision single --cases random,qaoa --out results/ab.json
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys


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
    print(f'{"case":<18}' + "".join(f"{label + ' s':>12}{label + ' plan':>14}" for label, _ in binaries))
    for key, by_label in summary.items():
        row = f"{key:<18}"
        for label, _ in binaries:
            entry = by_label[label]
            entry["seconds_median"] = statistics.median(entry["seconds"])
            entry["planning_median"] = statistics.median(entry["planning"])
            row += f'{entry["seconds_median"] * 1e3:>10.2f}ms{entry["planning_median"] * 1e3:>12.3f}ms'
        print(row)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"command": sys.argv, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                       "binaries": dict(binaries), "settings": vars(args), "summary": summary, "rounds": rounds}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
