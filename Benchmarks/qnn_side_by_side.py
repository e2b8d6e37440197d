#!/usr/bin/env python3
"""Verdant's exact gradients side by side with PennyLane, same machine, same run.

    python3 Benchmarks/qnn_side_by_side.py                 # builds release, runs everything
    python3 Benchmarks/qnn_side_by_side.py --skip-build --qubits 12,16 --repeats 5

The circuit is PennyLane's StronglyEntanglingLayers with 4 layers (Rot on every wire, then CNOT
rings with range (l mod (n−1)) + 1) on |0…0⟩, the observable ⟨Z0⟩, one thread. PennyLane:
`lightning.qubit` with diff_method="adjoint" (forward = one QNode call; gradient = qml.grad) and
`default.qubit` with backprop at 12 qubits. Verdant: `verdant bench --suite qml --cases gradient
--json` (one thread; forward = one expectation from the compiled circuit; gradient = the adjoint
Jacobian) and `--cases batch-gradient` (64 per-sample gradients of an angle-encoded 12-qubit
SEL classifier on 1 and all cores). Correctness of the gradients is the tests' job (finite
differences, parameter shift, PennyLane's circuits in the fixtures).

Needs: pennylane, pennylane-lightning (pip). Prints a table; --out FILE writes the raw numbers.
Ratios > 1 mean Verdant is faster.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def pennylane_times(n, layers, repeats, device_name, diff_method):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import pennylane as qml
    from pennylane import numpy as pnp
    dev = qml.device(device_name, wires=n)

    @qml.qnode(dev, diff_method=diff_method)
    def circuit(weights):
        qml.StronglyEntanglingLayers(weights, wires=range(n))
        return qml.expval(qml.PauliZ(0))

    shape = qml.StronglyEntanglingLayers.shape(n_layers=layers, n_wires=n)
    weights = pnp.array(pnp.random.default_rng(7).uniform(-3.14, 3.14, size=shape), requires_grad=True)
    forward = timed(lambda: circuit(weights), repeats)
    gradient_fn = qml.grad(circuit)
    gradient = timed(lambda: gradient_fn(weights), repeats)
    return forward, gradient, weights, gradient_fn(weights)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "verdant"))
    p.add_argument("--skip-build", action="store_true")
    p.add_argument("--qubits", default="12,16")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out")
    args = p.parse_args()
    if not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "verdant"], cwd=ROOT, check=True)
    qubits = [int(q) for q in args.qubits.split(",")]
    out = subprocess.run([args.binary, "bench", "--suite", "qml", "--cases", "gradient", "--gradient-qubits", args.qubits,
                          "--layers", str(args.layers), "--repeats", str(args.repeats), "--json",
                          "--no-energy-summary"], check=True, capture_output=True, text=True).stdout
    verdant = {r["qubits"]: r for r in json.loads(out)["results"] if r["case"] == "gradient"}
    batch_out = subprocess.run([args.binary, "bench", "--suite", "qml", "--cases", "batch-gradient", "--layers", str(args.layers),
                                "--repeats", str(args.repeats), "--json", "--no-energy-summary"],
                               check=True, capture_output=True, text=True).stdout
    rows = []
    print(f"{'SEL, ' + str(args.layers) + ' layers, <Z0>':<26}{'Verdant fwd':>12}{'Verdant grad':>13}{'grad/fwd':>9}"
          f"{'lightning fwd':>14}{'lightning grad':>15}{'ratio':>7}{'backprop grad':>14}{'ratio':>7}")
    for n in qubits:
        lf, lg, _, _ = pennylane_times(n, args.layers, args.repeats, "lightning.qubit", "adjoint")
        bg = None
        if n <= 12:
            _, bg, _, _ = pennylane_times(n, args.layers, max(1, args.repeats // 2), "default.qubit", "backprop")
        v = verdant[n]
        vf, vg = v["forwardSeconds"], v["gradientSeconds"]
        rows.append({"qubits": n, "verdant_forward_s": vf, "verdant_gradient_s": vg, "lightning_forward_s": lf,
                     "lightning_gradient_s": lg, "default_qubit_backprop_gradient_s": bg})
        b_text = f"{bg * 1e3:12.2f}ms{bg / vg:7.1f}" if bg else f"{'-':>14}{'-':>7}"
        print(f"{f'{n} qubits':<26}{vf * 1e3:10.3f}ms{vg * 1e3:11.3f}ms{vg / vf:9.2f}{lf * 1e3:12.3f}ms{lg * 1e3:13.3f}ms"
              f"{lg / vg:7.1f}{b_text}")
    batch = [r for r in json.loads(batch_out)["results"] if r["case"] == "batch-gradient"]
    for r in batch:
        print(f"batch of {r['samples']} gradients, {r['qubits']} qubits, {r['threads']} thread(s): {r['seconds'] * 1e3:.1f} ms")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"gradient": rows, "verdant": json.loads(out), "batch": batch}, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
