#!/usr/bin/env python3
"""Verdant's quantum kernel and QSVM side by side with qiskit-machine-learning, same machine, same run.

    python3 Benchmarks/qml_side_by_side.py                    # builds release, runs everything
    python3 Benchmarks/qml_side_by_side.py --skip-build --sizes 200,400 --qubits 8 --skip-slow

Kernel speed, for the ZZ feature map with 2 reps and full entanglement on N random samples in
[0, π]^q (--scale none, so both use the same features), at two thread counts, each stated beside
its ratio:

- **1 thread against 1 thread**: `verdant kernel --threads 1` against qiskit-ml's
  FidelityStatevectorKernel.evaluate in a worker process with OMP/OpenBLAS/MKL limited to 1 thread;
- **all cores against all cores**: `verdant kernel` on every core against the same call with the BLAS
  libraries' default threads (NumPy may use every core for the inner products).

Verdant is timed two ways: the whole `verdant kernel` process (start-up, CSV read, N simulations,
tiled inner products, .npy write) and the in-process seconds it reports in --json (loading, scaling
and the kernel). Qiskit's figure is its `evaluate` call alone, so the process ratio is the
conservative one. The default FidelityQuantumKernel (Sampler-based, what most users meet first) is
timed at N = 100 only, unless --skip-slow. Every Verdant matrix is compared with Qiskit's before
the ratios are printed (max |ΔK|; the script stops if it exceeds 1e-10).

Accuracy: Qiskit's ad hoc data set (ad_hoc_data, 20 train / 10 test per class, gap 0.3, 2
features, seed 2026) written to CSV; qiskit-ml's QSVC (ZZ map, reps 2) and `verdant train
--model qsvm --scale none --test FILE` on the same split. Iris: `verdant train --data builtin:iris`
with α = 2 (Qiskit's default) and α = 0.5 (the demo's choice; docs/qsvm.md).

Needs: numpy, scikit-learn, qiskit, qiskit-machine-learning (pip). Prints a table and writes every
raw number with command, date and machine to Benchmarks/results/qml-DATE.json (--out FILE: also
there). Ratios > 1 mean Verdant is faster. Timing statistic: the median (statistics.median).
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchresults import machine, write_results  # noqa: E402

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def write_csv(path, x, y=None):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"x{i}" for i in range(x.shape[1])] + ["label"])
        for i, row in enumerate(x):
            w.writerow([repr(float(v)) for v in row] + [int(y[i]) if y is not None else 0])


def timed_process(command, repeats):
    times, seconds = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        times.append(time.perf_counter() - t0)
        seconds.append(json.loads(out)["seconds"])
    return statistics.median(times), times, statistics.median(seconds), seconds


def qiskit_worker(data, out, repeats, sampler):
    """Runs in a subprocess whose thread variables were set before NumPy was imported."""
    import numpy as np
    from qiskit.circuit.library import zz_feature_map
    from qiskit_machine_learning.kernels import FidelityQuantumKernel, FidelityStatevectorKernel
    x = np.load(data)
    fmap = zz_feature_map(x.shape[1], reps=2)
    kernel = FidelityStatevectorKernel(feature_map=fmap)
    kernel.evaluate(x[:2])  # warm-up of imports and caches, as Verdant's process start-up is not
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        reference = kernel.evaluate(x)
        times.append(time.perf_counter() - t0)
    np.save(out, reference)
    sampler_seconds = None
    if sampler:
        t0 = time.perf_counter()
        FidelityQuantumKernel(feature_map=fmap).evaluate(x)
        sampler_seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": statistics.median(times), "times": times, "sampler_seconds": sampler_seconds}))


def qiskit(data, out, repeats, threads, sampler):
    env = dict(os.environ)
    for name in THREAD_VARIABLES:
        if threads is None:
            env.pop(name, None)
        else:
            env[name] = str(threads)
    result = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", data, out, str(repeats), "1" if sampler else "0"],
                            env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(result.strip().splitlines()[-1])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        return qiskit_worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "verdant"))
    p.add_argument("--skip-build", action="store_true")
    p.add_argument("--sizes", default="100,200,400")
    p.add_argument("--qubits", default="4,8")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--skip-slow", action="store_true", help="do not time FidelityQuantumKernel")
    p.add_argument("--out")
    args = p.parse_args()
    started = machine()

    if not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "verdant"], cwd=ROOT, check=True)
    import numpy as np

    cores = os.cpu_count() or 1
    thread_settings = [(1, 1)] + ([(cores, None)] if cores > 1 else [])  # (Verdant threads, BLAS threads: None = default)
    results = {"kernel": [], "accuracy": [], "verdant_thread_counts": [t for t, _ in thread_settings]}
    work = tempfile.mkdtemp(prefix="verdant-qml-bench-")
    sizes = [int(s) for s in args.sizes.split(",")]
    qubit_counts = [int(q) for q in args.qubits.split(",")]
    header = (f"{'case':<30}{'threads':>8}{'Verdant proc s':>15}{'in-proc s':>11}{'qiskit-ml s':>13}"
              f"{'ratio proc':>11}{'ratio in-proc':>14}{'sampler s':>11}{'max |ΔK|':>10}")
    print(header)
    for q in qubit_counts:
        for n in sizes:
            rng = np.random.default_rng(1000 * q + n)
            x = rng.uniform(0, np.pi, size=(n, q))
            data = os.path.join(work, f"data-{q}-{n}.csv")
            features = os.path.join(work, f"x-{q}-{n}.npy")
            write_csv(data, x)
            np.save(features, x)
            for verdant_threads, blas_threads in thread_settings:
                out = os.path.join(work, f"K-{q}-{n}-{verdant_threads}.npy")
                command = [args.binary, "kernel", "--data", data, "--feature-map", "zz", "--reps", "2", "--scale", "none",
                           "--threads", str(verdant_threads), "--out", out, "--force", "--json", "--no-energy-summary"]
                subprocess.run(command, check=True, capture_output=True)  # warm-up (page cache)
                process, ptimes, inside, itimes = timed_process(command, args.repeats)
                reference_path = os.path.join(work, f"Q-{q}-{n}-{verdant_threads}.npy")
                sampler = not args.skip_slow and n == 100 and verdant_threads == 1
                theirs = qiskit(features, reference_path, args.repeats, blas_threads, sampler)
                difference = float(np.max(np.abs(np.load(out) - np.load(reference_path))))
                if difference > 1e-10:
                    sys.exit(f"Verdant's kernel differs from Qiskit's by {difference:.2e} at q={q}, N={n}: not timing further")
                results["kernel"].append({
                    "qubits": q, "samples": n, "verdant_threads": verdant_threads,
                    "qiskit_blas_threads": blas_threads or "library default", "verdant_process_s": process, "verdant_process_times": ptimes,
                    "verdant_in_process_s": inside, "verdant_in_process_times": itimes,
                    "statevector_evaluate_s": theirs["seconds"], "statevector_times": theirs["times"],
                    "sampler_evaluate_s": theirs["sampler_seconds"], "max_abs_difference": difference,
                    "ratio_process": theirs["seconds"] / process, "ratio_in_process": theirs["seconds"] / inside})
                label = "1 vs 1" if verdant_threads == 1 else f"{verdant_threads} vs all"
                s_text = f"{theirs['sampler_seconds']:11.2f}" if theirs["sampler_seconds"] else f"{'-':>11}"
                print(f"{f'zz reps 2, {q} qubits, N={n}':<30}{label:>8}{process:15.4f}{inside:11.4f}{theirs['seconds']:13.4f}"
                      f"{theirs['seconds'] / process:11.1f}{theirs['seconds'] / inside:14.1f}{s_text}{difference:10.1e}")

    # Accuracy on Qiskit's own ad hoc split.
    from qiskit.circuit.library import zz_feature_map
    from qiskit_machine_learning.algorithms import QSVC
    from qiskit_machine_learning.datasets import ad_hoc_data
    from qiskit_machine_learning.kernels import FidelityStatevectorKernel
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
    results["timing_scope"] = ("Verdant process: the whole `verdant kernel` run; Verdant in-process: its --json seconds (load, scale, "
                               "kernel); qiskit-ml: FidelityStatevectorKernel.evaluate alone, in a worker with OMP/OpenBLAS/MKL "
                               "threads = 1 for the 1-thread rows and the libraries' defaults for the all-core rows")
    path = write_results("qml", results, started)
    print(f"raw results: {os.path.relpath(path, ROOT)}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
