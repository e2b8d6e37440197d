#!/usr/bin/env python3
"""Interleaved A/B of several Verdant binaries on whole noisy commands, as a user runs them.

Writes its own inputs (seeded, so every binary sees the same ones) into a temporary folder:
  - a 5-qubit circuit of u3 layers with CX ladders and one rz per layer (4000 or 400 layers),
  - a 120-row, 8-feature, two-class CSV;
then, per round and binary in turn, times (wall clock, the whole process, one thread):
  - dm:     run CIRCUIT --noise manila-x1.json --method density-matrix --shots 2000 --seed 5
  - traj:   run CIRCUIT --noise manila-x1.json --method trajectories --shots 3000 --seed 5
  - kernel: kernel --data CSV --depolarizing 0.01,0.05 --shots 500
  - vqc:    train --data builtin:iris --model vqc --epochs 4 --noise manila-x1.json --shots 1000
            --mitigate-readout
and checks that every binary printed the same counts and wrote the same kernel matrix.

    python3 Benchmarks/noise_paths_ab.py --verdant before=PATH,after=PATH --rounds 3 --out results/x.json
"""
import argparse
import datetime
import filecmp
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOISE = os.path.join(REPO, "Benchmarks", "noise_models", "manila-x1.json")


def circuit(path, n, layers):
    rng = random.Random(1)
    lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', f"qreg q[{n}];", f"creg c[{n}];"]
    for layer in range(layers):
        for i in range(n):
            lines.append(f"u3({rng.uniform(-3, 3):.4f},{rng.uniform(-3, 3):.4f},{rng.uniform(-3, 3):.4f}) q[{i}];")
        for i in range(layer % 2, n - 1, 2):
            lines.append(f"cx q[{i}],q[{i + 1}];")
        lines.append(f"rz({rng.uniform(-3, 3):.4f}) q[{(layer * 3) % n}];")
    lines.append("measure q -> c;")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def dataset(path, rows=120, features=8):
    rng = random.Random(2)
    with open(path, "w") as f:
        f.write(",".join(f"f{j}" for j in range(features)) + ",label\n")
        for r in range(rows):
            label = "a" if r % 2 == 0 else "b"
            shift = 0.8 if label == "a" else -0.8
            f.write(",".join(f"{rng.gauss(shift if j < 2 else 0, 1):.4f}" for j in range(features)) + f",{label}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verdant", required=True, help="LABEL=PATH,LABEL=PATH,…")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", help="write every timing and the summary here (JSON)")
    args = parser.parse_args()
    binaries = [tuple(item.split("=", 1)) for item in args.verdant.split(",")]
    if len(binaries) < 2 or any(len(b) != 2 or not os.access(b[1], os.X_OK) for b in binaries):
        print("--verdant needs two or more LABEL=PATH of executables", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="verdant-noise-ab-")
    long_circuit, short_circuit, csv = (os.path.join(work, name) for name in ("c4000.qasm", "c400.qasm", "d8.csv"))
    circuit(long_circuit, 5, 4000)
    circuit(short_circuit, 5, 400)
    dataset(csv)
    common = ["--threads", "1", "--no-energy-summary"]
    cases = {
        "dm": lambda b, label: [b, "run", long_circuit, "--noise", NOISE, "--method", "density-matrix", "--shots", "2000",
                                "--seed", "5"] + common,
        "traj": lambda b, label: [b, "run", short_circuit, "--noise", NOISE, "--method", "trajectories", "--shots", "3000",
                                  "--seed", "5"] + common,
        "kernel": lambda b, label: [b, "kernel", "--data", csv, "--depolarizing", "0.01,0.05", "--shots", "500", "--force",
                                    "--out", os.path.join(work, f"K-{label}.npy")] + common,
        "vqc": lambda b, label: [b, "train", "--data", "builtin:iris", "--model", "vqc", "--epochs", "4", "--noise", NOISE,
                                 "--shots", "1000", "--mitigate-readout", "--force",
                                 "-o", os.path.join(work, f"vqc-{label}.model")] + common,
    }
    timings, outputs = [], {}
    for r in range(args.rounds):
        for label, path in binaries:
            for case, make in cases.items():
                start = time.perf_counter()
                done = subprocess.run(make(path, label), capture_output=True, text=True)
                elapsed = time.perf_counter() - start
                if done.returncode != 0:
                    print(f"{label} {case}: exit {done.returncode}: {done.stderr.strip()[-400:]}", file=sys.stderr)
                    return 1
                # The printed result without its timings, for the cross-check.
                outputs[(label, case)] = re.sub(r"[0-9.]+ (s|ms)\b", "", done.stdout)
                timings.append({"round": r, "label": label, "case": case, "seconds": elapsed})
    for case in cases:
        if case in ("dm", "traj") and len({outputs[(label, case)] for label, _ in binaries}) != 1:
            print(f"{case}: the binaries printed different results", file=sys.stderr)
            return 1
    first = binaries[0][0]
    for label, _ in binaries[1:]:
        if not filecmp.cmp(os.path.join(work, f"K-{first}.npy"), os.path.join(work, f"K-{label}.npy"), shallow=False):
            print(f"kernel: {label} wrote a different matrix from {first}", file=sys.stderr)
            return 1
    summary = {case: {label: statistics.median(t["seconds"] for t in timings if t["case"] == case and t["label"] == label)
                      for label, _ in binaries} for case in cases}
    print(f'{"case":<8}' + "".join(f"{label:>14}" for label, _ in binaries))
    for case, row in summary.items():
        print(f"{case:<8}" + "".join(f"{row[label]:>13.2f}s" for label, _ in binaries))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"command": sys.argv, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                       "binaries": dict(binaries), "summary_median_seconds": summary, "timings": timings}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
