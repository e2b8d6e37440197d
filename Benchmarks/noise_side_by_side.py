#!/usr/bin/env python3
"""Noisy simulation side by side: Verdant against Qiskit Aer on the same circuits, the same noise
model (one JSON file both read) and the same thread count.

    python3 Benchmarks/noise_side_by_side.py                 # everything below, 2 threads
    python3 Benchmarks/noise_side_by_side.py --cases dm      # density matrix only (also: traj, kernel)
    python3 Benchmarks/noise_side_by_side.py --threads 1 --quick

Cases (the issue's goals):
  dm      density matrix, 10 and 12 qubits: `verdant run --method density-matrix` against
          AerSimulator(method="density_matrix"), 1,000 shots each;
  traj    trajectories, 16 qubits × 1,000 shots and 20 qubits × 100 shots: `verdant run --method
          trajectories` against AerSimulator(method="statevector") with the noise model (Aer samples
          the noise shot by shot);
  kernel  the noisy fidelity kernel, 8 qubits, N = 200 random samples (ZZ map, reps 2, linear
          entanglement) under FakeGuadalupeV2's model (16 qubits): `verdant kernel --noise` (exact
          Tr(ρ(x)ρ(x′))) beside qiskit-machine-learning's FidelityQuantumKernel with an Aer sampler
          (1,024 shots per entry; timed on 20 samples and scaled to N by entries).

Circuits: 20 layers, each `u` (random angles) on every qubit, `cx` on n/2 random disjoint pairs, `u`
on every qubit again (n = 20: 1,000 gates). Noise on every gate: depolarizing (1e-3 one-qubit,
1e-2 two-qubit) then thermal relaxation (T1 = 50 µs, T2 = 70 µs, 50 ns and 300 ns gates), built
with Aer's own functions and written with NoiseModel.to_dict(serializable=True); readout error 2 %.

Before timing, the script cross-checks: Verdant's exact probabilities (density matrix) against
Aer's save_probabilities_dict on the 10-qubit circuit (to 1e-10, stops otherwise), and the
trajectory counts against that exact distribution (chi-square, p ≥ 1e-6) on a smaller circuit.

Timings: Verdant runs as a process (`verdant run --json`); its reported `seconds` (simulation and
sampling, after parsing) and the process's wall time are both recorded. Aer is timed in-process
around `run(...).result()` (its circuits are built once, before the timer). Each timing is the
median of --repeats runs. Every timing command runs under `flock /work/.bench.lock` when that lock
file's directory exists (no two timings overlap on a shared machine). Raw JSON goes to
Benchmarks/results/noise-<date>.json with the command, date and machine.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from benchresults import machine, verdant_binary, write_results  # noqa: E402

LOCK = "/work/.bench.lock"


def locked(command):
    """The command under flock when the shared lock's folder exists."""
    if os.path.isdir(os.path.dirname(LOCK)):
        return ["flock", LOCK] + command
    return command


def random_circuit(n, layers, seed):
    import numpy as np
    from qiskit import QuantumCircuit

    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(n, n)
    for _ in range(layers):
        for q in range(n):
            qc.u(*rng.uniform(-np.pi, np.pi, 3), q)
        order = rng.permutation(n)
        for k in range(0, n - 1, 2):
            qc.cx(int(order[k]), int(order[k + 1]))
        for q in range(n):
            qc.u(*rng.uniform(-np.pi, np.pi, 3), q)
    qc.measure(range(n), range(n))
    return qc


def noise_model():
    from qiskit_aer.noise import NoiseModel, ReadoutError, depolarizing_error, thermal_relaxation_error

    t1, t2 = 50e3, 70e3  # ns
    one = depolarizing_error(1e-3, 1).compose(thermal_relaxation_error(t1, t2, 50))
    relax = thermal_relaxation_error(t1, t2, 300)
    two = depolarizing_error(1e-2, 2).compose(relax.expand(relax))
    model = NoiseModel()
    model.add_all_qubit_quantum_error(one, ["u"])
    model.add_all_qubit_quantum_error(two, ["cx"])
    model.add_all_qubit_readout_error(ReadoutError([[0.98, 0.02], [0.02, 0.98]]))
    return model


def verdant_run(verdant, qasm, model_path, method, shots, threads, seed=7):
    command = [verdant, "run", qasm, "--noise", model_path, "--method", method, "--shots", str(shots),
               "--threads", str(threads), "--seed", str(seed), "--json"]
    start = time.perf_counter()
    out = subprocess.run(locked(command), capture_output=True, text=True)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"verdant failed ({out.returncode}): {' '.join(command)}\n{out.stderr}")
    return json.loads(out.stdout), wall, command


def aer_time(qc, model, method, shots, threads, repeats):
    """Median seconds of AerSimulator.run(...).result() in a worker process under the lock (so
    the thread settings hold and no two timings overlap)."""
    worker = os.path.join(tempfile.mkdtemp(prefix="noise-aer-"), "worker.py")
    payload = os.path.join(os.path.dirname(worker), "in.json")
    from qiskit import qasm2
    with open(payload, "w") as f:
        json.dump({"qasm": qasm2.dumps(qc), "method": method, "shots": shots, "threads": threads, "repeats": repeats}, f)
    with open(worker, "w") as f:
        f.write(AER_WORKER)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run(locked([sys.executable, worker, payload]), capture_output=True, text=True, env=env)
    shutil.rmtree(os.path.dirname(worker), ignore_errors=True)
    if out.returncode != 0:
        sys.exit(f"Aer worker failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


AER_WORKER = r'''
import json, statistics, sys, time
sys.path.insert(0, %r)
from noise_side_by_side import noise_model
from qiskit import qasm2
from qiskit_aer import AerSimulator
job = json.load(open(sys.argv[1]))
qc = qasm2.loads(job["qasm"], custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
sim = AerSimulator(method=job["method"], noise_model=noise_model(), max_parallel_threads=job["threads"],
                   max_parallel_shots=0, precision="double")
times = []
for r in range(job["repeats"]):
    start = time.perf_counter()
    sim.run(qc, shots=job["shots"], seed_simulator=11 + r).result()
    times.append(time.perf_counter() - start)
print(json.dumps({"median": statistics.median(times), "times": times}))
''' % HERE


def cross_check(verdant, tmp, threads):
    """Exact probabilities against Aer's (10 qubits), trajectories against them by chi-square (6 qubits)."""
    import numpy as np
    from qiskit import qasm2
    from qiskit_aer import AerSimulator
    from scipy.stats import chi2

    model = noise_model()
    model_path = os.path.join(tmp, "model.json")
    checks = {}
    for n, method in [(10, "density-matrix"), (6, "trajectories")]:
        qc = random_circuit(n, 4, seed=100 + n)
        path = os.path.join(tmp, f"check-{n}.qasm")
        with open(path, "w") as f:
            f.write(qasm2.dumps(qc))
        ref = qc.remove_final_measurements(inplace=False)
        ref.save_probabilities_dict()
        exact = AerSimulator(method="density_matrix", noise_model=model).run(ref, shots=1).result().data()["probabilities"]
        exact = {format(int(k, 16) if isinstance(k, str) else int(k), f"0{n}b"): v for k, v in exact.items()}
        if method == "density-matrix":
            result, _, _ = verdant_run(verdant, path, model_path, method, 100, threads)
            worst = max(abs(result["probabilities"].get(k, 0) - p) for k, p in exact.items())
            checks["density_matrix_max_difference"] = worst
            print(f"check: density matrix, {n} qubits: max |P_verdant − P_aer| = {worst:.2e}")
            if worst > 1e-10:
                sys.exit("density-matrix probabilities differ from Aer's by more than 1e-10: not timing")
        else:
            shots = 200_000
            result, _, _ = verdant_run(verdant, path, model_path, method, shots, threads)
            # Recorded outcomes go through a symmetric 2 % readout error on every bit.
            probs = np.zeros(2 ** n)
            for k, p in exact.items():
                probs[int(k, 2)] += p
            for q in range(n):
                flipped = probs.reshape(-1, 2, 2 ** q)
                probs = (0.98 * flipped + 0.02 * flipped[:, ::-1, :]).reshape(-1)
            observed = np.zeros(2 ** n)
            for k, c in result["counts"].items():
                observed[int(k, 2)] = c
            expected = probs * shots
            keep = expected >= 5
            stat = (((observed - expected) ** 2 / np.where(keep, expected, 1))[keep]).sum()
            rest_o, rest_e = observed[~keep].sum(), expected[~keep].sum()
            if rest_e > 0:
                stat += (rest_o - rest_e) ** 2 / rest_e
            dof = int(keep.sum()) - (0 if rest_e > 0 else 1)
            p = chi2.sf(stat, dof)
            checks["trajectories_chi_square_p"] = p
            print(f"check: trajectories, {n} qubits × {shots} shots: chi-square p = {p:.3g}")
            if p < 1e-6:
                sys.exit("trajectory counts do not fit the exact distribution: not timing")
    return checks


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default="dm,traj,kernel")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--verdant", help="a release verdant binary to time (default: build this checkout's)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test of the script)")
    args = parser.parse_args()
    started = machine()
    verdant = verdant_binary(args.skip_build, args.verdant)
    tmp = tempfile.mkdtemp(prefix="noise-bench-")
    from qiskit import qasm2

    model = noise_model()
    model_path = os.path.join(tmp, "model.json")
    with open(model_path, "w") as f:
        json.dump(model.to_dict(serializable=True), f)
    rows, raw = [], {"checks": cross_check(verdant, tmp, args.threads)}
    cases = args.cases.split(",")
    plan = []
    if "dm" in cases:
        plan += [("density matrix", n, 1000, "density-matrix", "density_matrix") for n in ([6, 8] if args.quick else [10, 12])]
    if "traj" in cases:
        plan += [("trajectories", n, s, "trajectories", "statevector")
                 for n, s in ([(10, 100), (12, 20)] if args.quick else [(16, 1000), (20, 100)])]
    for label, n, shots, method, aer_method in plan:
        qc = random_circuit(n, 20, seed=n)
        path = os.path.join(tmp, f"random-{n}.qasm")
        with open(path, "w") as f:
            f.write(qasm2.dumps(qc))
        verdant_seconds, verdant_walls, command = [], [], None
        for r in range(args.repeats):
            result, wall, command = verdant_run(verdant, path, model_path, method, shots, args.threads, seed=7 + r)
            verdant_seconds.append(result["seconds"])
            verdant_walls.append(wall)
        aer = aer_time(qc, model, aer_method, shots, args.threads, args.repeats)
        v, w, a = statistics.median(verdant_seconds), statistics.median(verdant_walls), aer["median"]
        rows.append({"case": label, "qubits": n, "shots": shots, "gates": len(qc.data) - n, "threads": args.threads,
                     "verdant_seconds": v, "verdant_process_seconds": w, "aer_seconds": a,
                     "ratio": a / v, "ratio_process": a / w, "verdant_command": " ".join(command),
                     "aer": f"AerSimulator(method={aer_method!r}, max_parallel_threads={args.threads}).run(qc, shots={shots})"})
        raw[f"{method}-{n}"] = {"verdant_seconds": verdant_seconds, "verdant_process_seconds": verdant_walls, "aer_seconds": aer["times"]}
        print(f"{label:15s} {n:2d} q × {shots:5d} shots: Verdant {v:8.3f} s (process {w:8.3f} s), Aer {a:8.3f} s, "
              f"Aer/Verdant {a / v:6.2f}× ({a / w:6.2f}× against the process), {args.threads} threads")
    if "kernel" in cases:
        rows.append(kernel_case(verdant, tmp, args))
    path = write_results("noise", {"threads": args.threads, "rows": rows, "raw": raw}, started=started)
    print("results:", os.path.relpath(path, REPO))
    shutil.rmtree(tmp, ignore_errors=True)


def kernel_case(verdant, tmp, args):
    """The noisy kernel: 8 features (200 random samples), ZZ map reps 2 with linear entanglement,
    under FakeGuadalupeV2's model (16 qubits, so every circuit qubit has its errors). Both sides use
    the circuit on qubits 0-7 as laid out (no routing); pairs the device does not couple have no
    two-qubit error in the model and run ideally on both sides, as Aer's rules say."""
    import numpy as np
    from qiskit import qasm2, transpile
    from qiskit.circuit.library import zz_feature_map
    from qiskit_aer.noise import NoiseModel
    import qiskit_ibm_runtime.fake_provider as fake

    n, samples = (4, 40) if args.quick else (8, 200)
    backend = fake.FakeGuadalupeV2()
    model = NoiseModel.from_backend(backend)
    model_path = os.path.join(tmp, "guadalupe.json")
    with open(model_path, "w") as f:
        json.dump(model.to_dict(serializable=True), f)
    rng = np.random.default_rng(5)
    x = rng.uniform(0, np.pi, size=(samples, n))
    data = os.path.join(tmp, "kernel.csv")
    with open(data, "w") as f:
        f.write(",".join(f"f{j}" for j in range(n)) + ",label\n")
        for i, row in enumerate(x):
            f.write(",".join(repr(float(v)) for v in row) + f",{i % 2}\n")
    command = [verdant, "kernel", "--data", data, "--feature-map", "zz", "--reps", "2", "--entanglement", "linear",
               "--scale", "none", "--noise", model_path, "--threads", str(args.threads), "--out", os.path.join(tmp, "k.npy"), "--json"]
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        out = subprocess.run(locked(command), capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if out.returncode != 0:
            sys.exit(f"verdant kernel failed: {out.stderr}")
    v = statistics.median(times)
    # qiskit-machine-learning: FidelityQuantumKernel with an Aer sampler (the noisy route), on a
    # subset when the full matrix would take too long, scaled by entries.
    code = KERNEL_WORKER % {"here": HERE, "n": n, "samples": samples, "threads": args.threads, "model": model_path}
    worker = os.path.join(tmp, "kernel_worker.py")
    with open(worker, "w") as f:
        f.write(code)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    out = subprocess.run(locked([sys.executable, worker]), capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"qiskit-machine-learning worker failed: {out.stderr}")
    q = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"noisy kernel    {n:2d} q, N = {samples}: Verdant {v:8.3f} s (exact Tr ρρ′), qiskit-ml {q['estimated_full_seconds']:8.3f} s "
          f"(estimated from {q['entries_timed']} entries, {q['shots']} shots each), ratio {q['estimated_full_seconds'] / v:6.2f}×")
    return {"case": "noisy kernel", "qubits": n, "samples": samples, "threads": args.threads, "verdant_process_seconds": v,
            "verdant_command": " ".join(command), "qiskit_ml": q,
            "note": "different quantities: Verdant computes exact Tr(ρ(x)ρ(x′)); qiskit-ml's noisy route estimates P(0…0) of the "
                    "noisy compute-uncompute circuit U(x′)†U(x) from shots"}


KERNEL_WORKER = r'''
import json, sys, time
import numpy as np
sys.path.insert(0, %(here)r)
from qiskit.circuit.library import zz_feature_map
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer.primitives import SamplerV2
from qiskit_aer.noise import NoiseModel
from qiskit_machine_learning.kernels import FidelityQuantumKernel
from qiskit_machine_learning.state_fidelities import ComputeUncompute
import qiskit_ibm_runtime.fake_provider as fake
n, samples, threads = %(n)d, %(samples)d, %(threads)d
backend = fake.FakeGuadalupeV2()
model = NoiseModel.from_backend(backend)
sampler = SamplerV2(default_shots=1024, options={"backend_options": {"noise_model": model, "max_parallel_threads": threads}})
# The fidelity circuits are translated to the model's basis by a pass manager (transpiling the
# feature map itself first makes assign_parameters fail with a name conflict in qiskit-ml 0.9).
fm = zz_feature_map(n, reps=2, entanglement="linear")
pm = generate_preset_pass_manager(optimization_level=0, basis_gates=model.basis_gates)
kernel = FidelityQuantumKernel(feature_map=fm, fidelity=ComputeUncompute(sampler=sampler, pass_manager=pm))
rng = np.random.default_rng(5)
x = rng.uniform(0, np.pi, size=(samples, n))
m = min(samples, 20)
start = time.perf_counter()
kernel.evaluate(x[:m])
seconds = time.perf_counter() - start
entries = m * (m - 1) / 2
full = samples * (samples - 1) / 2
print(json.dumps({"entries_timed": int(entries), "seconds": seconds, "estimated_full_seconds": seconds * full / entries, "shots": 1024}))
'''


if __name__ == "__main__":
    main()
