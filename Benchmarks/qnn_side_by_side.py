#!/usr/bin/env python3
"""Verdant's exact gradients side by side with PennyLane, same machine, same run, same numbers.

    python3 Benchmarks/qnn_side_by_side.py                 # builds release, runs everything
    python3 Benchmarks/qnn_side_by_side.py --skip-build --qubits 12,16 --repeats 5

The circuit is PennyLane's StronglyEntanglingLayers with 4 layers (Rot on every wire, then CNOT
rings with range (l mod (n−1)) + 1) on |0…0⟩, the observable ⟨Z0⟩, one thread on both sides
(OMP_NUM_THREADS=1 is set before PennyLane is imported). Verdant: `verdant bench --suite qml
--cases gradient --json` (forward = one expectation from the compiled circuit; gradient = the
adjoint Jacobian), which also reports its weights, ⟨Z0⟩ and gradient. PennyLane: `lightning.qubit`
with diff_method="adjoint" (forward = one QNode call; gradient = qml.grad) on **the same weights**
(Verdant's, reshaped to PennyLane's (layers, wires, 3)), and `default.qubit` with backprop at 12
qubits.

1. **Cross-check before timing**: PennyLane's ⟨Z0⟩ and gradient at Verdant's weights must equal
   Verdant's to 1e-10 (max |Δ| over every weight), or the script stops with exit status 1.
2. **Ratios**: the in-process ratio (PennyLane's call ÷ Verdant's call, both in-process) and, beside
   it, one that first subtracts PennyLane's per-call overhead — the time of the same QNode and
   qml.grad on a 1-wire, 1-layer StronglyEntanglingLayers circuit (its state and gradient are
   negligible, so what is left is PennyLane's fixed cost per call: tape construction, device
   dispatch, autograd bookkeeping). `(PennyLane − overhead) ÷ Verdant` compares the simulation work.
3. `--cases batch-gradient` (64 per-sample gradients of an angle-encoded 12-qubit SEL classifier on
   1 and all cores) is printed for Verdant only (PennyLane has no batch-parallel adjoint to match).

Needs: pennylane, pennylane-lightning (pip). Prints a table and writes every raw number, with the
command, date and machine, to Benchmarks/results/qnn-DATE.json (--out FILE: also there). Ratios
> 1 mean Verdant is faster. Timing statistic: the median (statistics.median), as Verdant's.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ["OMP_NUM_THREADS"] = "1"  # before PennyLane (and lightning's OpenMP) is imported

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchresults import machine, write_results  # noqa: E402

TOLERANCE = 1e-10


def timed(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def sel_qnode(n, device_name, diff_method):
    import pennylane as qml
    dev = qml.device(device_name, wires=n)

    @qml.qnode(dev, diff_method=diff_method)
    def circuit(weights):
        qml.StronglyEntanglingLayers(weights, wires=range(n))
        return qml.expval(qml.PauliZ(0))
    return circuit


def pennylane(n, layers, weights, repeats, device_name, diff_method):
    """⟨Z0⟩, gradient and times of PennyLane at the given weights (PennyLane's shape)."""
    import pennylane as qml
    from pennylane import numpy as pnp
    w = pnp.array(weights, requires_grad=True)
    circuit = sel_qnode(n, device_name, diff_method)
    gradient_fn = qml.grad(circuit)
    value = float(circuit(w))
    gradient = [float(g) for g in pnp.array(gradient_fn(w)).ravel()]
    if repeats < 1:  # the cross-check: values only
        return {"expectation": value, "gradient": gradient}
    forward, forward_times = timed(lambda: circuit(w), repeats)
    grad, grad_times = timed(lambda: gradient_fn(w), repeats)
    return {"expectation": value, "gradient": gradient, "forward_s": forward, "forward_times": forward_times,
            "gradient_s": grad, "gradient_times": grad_times}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "verdant"))
    p.add_argument("--skip-build", action="store_true")
    p.add_argument("--qubits", default="12,16")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out")
    args = p.parse_args()
    started = machine()
    if not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "verdant"], cwd=ROOT, check=True)
    import numpy as np
    qubits = [int(q) for q in args.qubits.split(",")]
    out = subprocess.run([args.binary, "bench", "--suite", "qml", "--cases", "gradient", "--gradient-qubits", args.qubits,
                          "--layers", str(args.layers), "--repeats", str(args.repeats), "--json",
                          "--no-energy-summary"], check=True, capture_output=True, text=True).stdout
    verdant_json = json.loads(out)
    verdant = {r["qubits"]: r for r in verdant_json["results"] if r["case"] == "gradient"}

    # 1. The same numbers: PennyLane at Verdant's weights, before anything is timed.
    checks = []
    for n in qubits:
        v = verdant[n]
        weights = np.array(v["weights"]).reshape(args.layers, n, 3)
        reference = pennylane(n, args.layers, weights, 0, "lightning.qubit", "adjoint")
        value_error = abs(reference["expectation"] - v["expectation"])
        gradient_error = float(np.max(np.abs(np.array(reference["gradient"]) - np.array(v["gradient"]))))
        checks.append({"qubits": n, "parameters": len(v["weights"]), "max_abs_gradient_difference": gradient_error,
                       "expectation_difference": value_error})
        print(f"cross-check {n} qubits: |Δ⟨Z0⟩| {value_error:.1e}, max |Δ gradient| {gradient_error:.1e} over {len(v['weights'])} weights")
        if gradient_error > TOLERANCE or value_error > TOLERANCE:
            sys.exit(f"Verdant's gradient differs from PennyLane's by {max(gradient_error, value_error):.2e} (> {TOLERANCE}): not timing")

    # PennyLane's fixed cost per call: the same QNode on 1 wire, 1 layer.
    tiny = pennylane(1, 1, np.full((1, 1, 3), 0.3), args.repeats * 4, "lightning.qubit", "adjoint")
    overhead = {"forward_s": tiny["forward_s"], "gradient_s": tiny["gradient_s"],
                "circuit": "StronglyEntanglingLayers, 1 layer, 1 wire, lightning.qubit adjoint"}
    print(f"PennyLane per-call overhead (1 wire): forward {tiny['forward_s'] * 1e3:.3f} ms, gradient {tiny['gradient_s'] * 1e3:.3f} ms")

    # 2. Timing, one thread on both sides.
    rows = []
    print(f"{'SEL, ' + str(args.layers) + ' layers, <Z0>, 1 thread':<30}{'Verdant grad':>13}{'lightning grad':>15}{'ratio':>7}"
          f"{'ratio − overhead':>17}{'Verdant fwd':>12}{'lightning fwd':>14}{'ratio':>7}{'− overhead':>11}{'backprop grad':>14}")
    for n in qubits:
        v = verdant[n]
        weights = np.array(v["weights"]).reshape(args.layers, n, 3)
        light = pennylane(n, args.layers, weights, args.repeats, "lightning.qubit", "adjoint")
        backprop = None
        if n <= 12:
            backprop = pennylane(n, args.layers, weights, max(1, args.repeats // 2), "default.qubit", "backprop")["gradient_s"]
        vf, vg = v["forwardSeconds"], v["gradientSeconds"]
        row = {"qubits": n, "verdant_threads": 1, "pennylane_threads": 1,
               "verdant_forward_s": vf, "verdant_gradient_s": vg,
               "lightning_forward_s": light["forward_s"], "lightning_gradient_s": light["gradient_s"],
               "lightning_forward_times": light["forward_times"], "lightning_gradient_times": light["gradient_times"],
               "default_qubit_backprop_gradient_s": backprop,
               "ratio_gradient": light["gradient_s"] / vg, "ratio_forward": light["forward_s"] / vf,
               "ratio_gradient_minus_overhead": max(0.0, light["gradient_s"] - overhead["gradient_s"]) / vg,
               "ratio_forward_minus_overhead": max(0.0, light["forward_s"] - overhead["forward_s"]) / vf}
        rows.append(row)
        b_text = f"{backprop * 1e3:12.2f}ms" if backprop else f"{'-':>14}"
        print(f"{f'{n} qubits':<30}{vg * 1e3:11.3f}ms{light['gradient_s'] * 1e3:13.3f}ms{row['ratio_gradient']:7.1f}"
              f"{row['ratio_gradient_minus_overhead']:17.1f}{vf * 1e3:10.3f}ms{light['forward_s'] * 1e3:12.3f}ms"
              f"{row['ratio_forward']:7.1f}{row['ratio_forward_minus_overhead']:11.1f}{b_text}")

    batch_out = subprocess.run([args.binary, "bench", "--suite", "qml", "--cases", "batch-gradient", "--layers", str(args.layers),
                                "--repeats", str(args.repeats), "--json", "--no-energy-summary"],
                               check=True, capture_output=True, text=True).stdout
    batch = [r for r in json.loads(batch_out)["results"] if r["case"] == "batch-gradient"]
    for r in batch:
        print(f"Verdant: batch of {r['samples']} gradients, {r['qubits']} qubits, {r['threads']} thread(s): {r['seconds'] * 1e3:.1f} ms")
    payload = {"tolerance": TOLERANCE, "cross_check": checks, "pennylane_overhead": overhead, "gradient": rows,
               "verdant": verdant_json, "batch": batch}
    path = write_results("qnn", payload, started)
    print(f"raw results: {os.path.relpath(path, ROOT)}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(payload, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
