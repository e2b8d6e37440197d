#!/usr/bin/env python3
"""DP-SGD in `verdant train`: test accuracy on Iris against ε, and the time of a DP-SGD epoch
against a plain one (`verdant bench --suite qml --cases dp-epoch`).

    python3 Benchmarks/dp_training.py                      # both parts, release build of verdant
    python3 Benchmarks/dp_training.py --skip-build --only accuracy --seeds 1,2,3,4,5
    python3 Benchmarks/dp_training.py --skip-build --only epoch --repeats 15

Accuracy: vqc on builtin:iris (stratified 25 % test split), angle encoding, real_amplitudes (3 reps),
Adam (lr 0.05), features scaled from the public bounds 4:8, 2:4.5, 1:7, 0:2.6 cm (no fitted scaler:
docs/privacy.md), for each ε the noise multiplier calibrated for the planned steps (RDP, δ = 1e-5,
C = 1), and ε = ∞ as plain training with the same scaling. Each seed sets the split and the initial
weights (--seed) and the batches and noise (--dp-seed). The table gives the mean and the spread.

Raw results go to Benchmarks/results/dp-training-DATE.json (benchresults.py) with the command, date,
machine and load. Python is only the driver here: every number comes from the verdant binary.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

from benchresults import machine, write_results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERDANT = os.path.join(ROOT, ".build", "release", "verdant")
BOUNDS = "4:8,2:4.5,1:7,0:2.6"


def train(epsilon, seed, epochs, batch, clip, folder):
    out = os.path.join(folder, f"m-{epsilon}-{seed}.model")
    command = [VERDANT, "train", "--data", "builtin:iris", "--model", "vqc", "--feature-bounds", BOUNDS, "--epochs", str(epochs),
               "--batch-size", str(batch), "--seed", str(seed), "--threads", "1", "-o", out, "--force", "--json", "--no-energy-summary"]
    if epsilon != "inf":
        command += ["--dp-epsilon", str(epsilon), "--dp-delta", "1e-5", "--max-grad-norm", str(clip), "--dp-seed", str(seed)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    record = json.loads(result.stdout)
    privacy = record.get("privacy") or {}
    return {"epsilon_target": epsilon, "seed": seed, "test_accuracy": record["testAccuracy"], "train_accuracy": record["trainAccuracy"],
            "epsilon": privacy.get("epsilon"), "noise_multiplier": privacy.get("noiseMultiplier"), "steps": privacy.get("steps"),
            "sampling_rate": privacy.get("samplingRate"), "clipped_fraction": privacy.get("clippedFraction"),
            "seconds": record["seconds"], "command": " ".join(command[1:])}


def accuracy(args):
    rows, raw = [], []
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        for epsilon in ["0.5", "1", "3", "8", "inf"]:
            runs = [train(epsilon, seed, args.epochs, args.batch_size, args.clip, folder) for seed in seeds]
            raw += runs
            accuracies = [r["test_accuracy"] for r in runs]
            sigma = runs[0]["noise_multiplier"]
            rows.append({"epsilon": epsilon, "mean": statistics.mean(accuracies), "stdev": statistics.stdev(accuracies) if len(runs) > 1 else 0,
                         "min": min(accuracies), "max": max(accuracies), "noise_multiplier": sigma, "steps": runs[0]["steps"],
                         "sampling_rate": runs[0]["sampling_rate"],
                         "clipped_fraction": statistics.mean(r["clipped_fraction"] for r in runs) if sigma is not None else None})
            print(f"ε = {epsilon:>4}: test accuracy {rows[-1]['mean']:.3f} ± {rows[-1]['stdev']:.3f} "
                  f"(min {rows[-1]['min']:.3f}, max {rows[-1]['max']:.3f}), σ = {sigma}, steps {runs[0]['steps']}", flush=True)
    return {"settings": {"epochs": args.epochs, "batch_size": args.batch_size, "max_grad_norm": args.clip, "delta": 1e-5,
                         "accountant": "rdp", "seeds": seeds, "feature_bounds": BOUNDS}, "rows": rows, "raw": raw}


def epoch(args):
    command = [VERDANT, "bench", "--suite", "qml", "--cases", "dp-epoch", "--batch-qubits", str(args.qubits), "--layers", str(args.layers),
               "--epoch-samples", str(args.samples), "--batch-size", str(args.epoch_batch), "--repeats", str(args.repeats), "--json",
               "--no-energy-summary"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    bench = json.loads(result.stdout)
    for r in bench["results"]:
        print(f"{r['threads']} thread(s): plain {r['plainSeconds'] * 1e3:.1f} ms, DP-SGD {r['privateSeconds'] * 1e3:.1f} ms, "
              f"ratio {r['privateOverPlain']:.3f} ({r['privateOverPlainPerSample']:.3f} per sample, {r['privateSampleCount']} samples)", flush=True)
    return {"command_bench": " ".join(command[1:]), "bench": bench}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--only", choices=["accuracy", "epoch"])
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--qubits", type=int, default=10)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--samples", type=int, default=512)
    parser.add_argument("--epoch-batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args()
    if not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "verdant"], cwd=ROOT, check=True)
    started = machine()
    payload = {}
    if args.only in (None, "accuracy"):
        payload["accuracy"] = accuracy(args)
    if args.only in (None, "epoch"):
        payload["epoch"] = epoch(args)
    print("→", write_results("dp-training", payload, started=started))


if __name__ == "__main__":
    sys.exit(main())
