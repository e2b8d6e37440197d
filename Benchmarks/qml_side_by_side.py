#!/usr/bin/env python3
"""Verdant's quantum kernel and QSVM side by side with qiskit-machine-learning, same machine, same run.

    python3 Benchmarks/qml_side_by_side.py                    # builds release, runs everything
    python3 Benchmarks/qml_side_by_side.py --skip-build --sizes 200,400 --qubits 8 --skip-slow

Kernel speed: the whole `verdant kernel` process (start-up, CSV read, N simulations, tiled inner
products, .npy write) against qiskit-machine-learning's `evaluate` call alone, for the ZZ feature
map with 2 reps and full entanglement on N random samples in [0, π]^q (--scale none, so both use
the same features). FidelityStatevectorKernel is timed at every size; the default
FidelityQuantumKernel (Sampler-based, what most users meet first) at N = 100 only, unless
--skip-slow. Every Verdant matrix is compared with Qiskit's (max |difference| is printed).

Accuracy: Qiskit's ad hoc data set (ad_hoc_data, 20 train / 10 test per class, gap 0.3, 2
features, seed 2026) written to CSV; qiskit-ml's QSVC (ZZ map, reps 2) and `verdant train
--model qsvm --scale none --test FILE` on the same split. Iris: `verdant train --data builtin:iris` with α = 2 (Qiskit's default)
and α = 0.5 (the demo's choice; docs/qsvm.md).

Needs: numpy, scikit-learn, qiskit, qiskit-machine-learning (pip). Prints a table; --out FILE
writes the raw numbers as JSON. Ratios > 1 mean Verdant is faster.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_csv(path, x, y=None):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"x{i}" for i in range(x.shape[1])] + ["label"])
        for i, row in enumerate(x):
            w.writerow([repr(float(v)) for v in row] + [int(y[i]) if y is not None else 0])


def timed_process(command, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "verdant"))
    p.add_argument("--skip-build", action="store_true")
    p.add_argument("--sizes", default="100,200,400")
    p.add_argument("--qubits", default="4,8")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--skip-slow", action="store_true", help="do not time FidelityQuantumKernel")
    p.add_argument("--out")
    args = p.parse_args()

    if not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "verdant"], cwd=ROOT, check=True)

    from qiskit.circuit.library import zz_feature_map
    from qiskit_machine_learning.kernels import FidelityQuantumKernel, FidelityStatevectorKernel

    results = {"kernel": [], "accuracy": []}
    work = tempfile.mkdtemp(prefix="verdant-qml-bench-")
    sizes = [int(s) for s in args.sizes.split(",")]
    qubit_counts = [int(q) for q in args.qubits.split(",")]
    print(f"{'case':<28}{'Verdant (s)':>12}{'statevector (s)':>16}{'ratio':>8}{'sampler (s)':>13}{'ratio':>9}{'max |ΔK|':>11}")
    for q in qubit_counts:
        for n in sizes:
            rng = np.random.default_rng(1000 * q + n)
            x = rng.uniform(0, np.pi, size=(n, q))
            data = os.path.join(work, f"data-{q}-{n}.csv")
            out = os.path.join(work, f"K-{q}-{n}.npy")
            write_csv(data, x)
            command = [args.binary, "kernel", "--data", data, "--feature-map", "zz", "--reps", "2", "--scale", "none",
                       "--out", out, "--force", "--no-energy-summary"]
            subprocess.run(command, check=True, capture_output=True)  # warm-up (page cache)
            verdant, vtimes = timed_process(command, args.repeats)
            fmap = zz_feature_map(q, reps=2)
            sv_kernel = FidelityStatevectorKernel(feature_map=fmap)
            sv_times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                reference = sv_kernel.evaluate(x)
                sv_times.append(time.perf_counter() - t0)
            statevector = statistics.median(sv_times)
            difference = float(np.max(np.abs(np.load(out) - reference)))
            sampler = None
            if not args.skip_slow and n == 100:
                t0 = time.perf_counter()
                FidelityQuantumKernel(feature_map=fmap).evaluate(x)
                sampler = time.perf_counter() - t0
            results["kernel"].append({"qubits": q, "samples": n, "verdant_process_s": verdant, "verdant_times": vtimes,
                                      "statevector_evaluate_s": statevector, "statevector_times": sv_times,
                                      "sampler_evaluate_s": sampler, "max_abs_difference": difference})
            s_text = f"{sampler:13.2f}{sampler / verdant:9.0f}" if sampler else f"{'-':>13}{'-':>9}"
            print(f"{f'zz reps 2, {q} qubits, N={n}':<28}{verdant:12.4f}{statevector:16.4f}{statevector / verdant:8.1f}{s_text}{difference:11.1e}")

    # Accuracy on Qiskit's own ad hoc split.
    from qiskit_machine_learning.algorithms import QSVC
    from qiskit_machine_learning.datasets import ad_hoc_data
    from qiskit_machine_learning.utils import algorithm_globals
    algorithm_globals.random_seed = 2026
    train_x, train_y, test_x, test_y = ad_hoc_data(training_size=20, test_size=10, n=2, gap=0.3, one_hot=False)
    train_csv, test_csv = os.path.join(work, "adhoc-train.csv"), os.path.join(work, "adhoc-test.csv")
    write_csv(train_csv, train_x, train_y)
    write_csv(test_csv, test_x, test_y)
    qsvc = QSVC(quantum_kernel=FidelityStatevectorKernel(feature_map=zz_feature_map(2, reps=2)))
    qsvc.fit(train_x, train_y)
    qiskit_accuracy = float(qsvc.score(test_x, test_y))
    out = subprocess.run([args.binary, "train", "--data", train_csv, "--test", test_csv, "--model", "qsvm", "--scale", "none",
                          "--feature-map", "zz", "--reps", "2", "-o", os.path.join(work, "adhoc.model"), "--force", "--json",
                          "--no-energy-summary"], check=True, capture_output=True, text=True).stdout
    verdant_accuracy = json.loads(out)["testAccuracy"]
    results["accuracy"].append({"data": "ad hoc (qiskit-ml split, seed 2026)", "verdant": verdant_accuracy, "qiskit_ml_qsvc": qiskit_accuracy})
    iris = {}
    for alpha in ["2", "0.5"]:
        out = subprocess.run([args.binary, "train", "--data", "builtin:iris", "--model", "qsvm", "--alpha", alpha,
                              "-o", os.path.join(work, "iris.model"), "--force", "--json", "--no-energy-summary"],
                             check=True, capture_output=True, text=True).stdout
        iris[alpha] = json.loads(out)["testAccuracy"]
        results["accuracy"].append({"data": f"iris (25% stratified test split, seed 7), ZZ reps 2, alpha {alpha}",
                                    "verdant": iris[alpha], "qiskit_ml_qsvc": None})
    print(f"\nad hoc test accuracy: Verdant {verdant_accuracy:.3f}, qiskit-ml QSVC {qiskit_accuracy:.3f} (same split)")
    print(f"iris test accuracy:   Verdant {iris['2']:.3f} with Qiskit's default alpha 2, {iris['0.5']:.3f} with alpha 0.5")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
