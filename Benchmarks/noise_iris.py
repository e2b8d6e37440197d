#!/usr/bin/env python3
"""Iris accuracy under noise: the quantum SVM and the quantum neural network trained by
`verdant train`, ideal, under a fake backend's noise model (FakeManilaV2 from qiskit-ibm-runtime,
as `NoiseModel.from_backend(...).to_dict(serializable=True)` writes it) and under 2x and 5x that
noise.

    python3 Benchmarks/noise_iris.py                     # build (release) first, then every row
    python3 Benchmarks/noise_iris.py --skip-build --seeds 7,8,9

How the noise is scaled (k = 2, 5): the backend's target is copied and every instruction's error
rate is multiplied by k (the depolarizing part of each gate and the readout assignment error, since
Aer takes both from `InstructionProperties.error`) and every qubit's T1 and T2 divided by k (so the
thermal relaxation over a gate of the same duration is about k times as likely); then Aer's own
`NoiseModel.from_backend` builds the model from the scaled target. k = 1 is the backend as shipped.
The three models are written to Benchmarks/noise_models/manila-x{1,2,5}.json (committed).

Circuits: 4 features on 4 qubits. The SVM uses the ZZ feature map (2 reps, α = 0.5 as the demo, see docs/qsvm.md) with linear entanglement and the
QNN angle encoding with RealAmplitudes (reverse-linear entanglement), so every two-qubit gate acts on
a pair FakeManilaV2 couples (0-1-2-3-4): with full entanglement some CX would fall on uncoupled pairs,
which the model leaves without error (Aer's rule). `verdant train` translates the circuits to the
model's basis (rz, sx, x, cx) before noise (--noise-basis auto, its default under noise). The QSVM
kernel is exact (Tr(rho(x) rho(x')) from density matrices); the QNN trains on exact expectation
values from density matrices with parameter-shift gradients (no shots), so the rows differ by noise
alone, not by sampling.

Raw outputs (the JSON each command printed) and the commands go to
Benchmarks/results/noise-iris-<date>.json.
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from benchresults import machine, verdant_binary, write_results  # noqa: E402

MODELS = os.path.join(HERE, "noise_models")


def scaled_model(backend, k):
    """Aer's model of the backend with every error rate times k and T1, T2 divided by k."""
    from qiskit_aer.noise import NoiseModel

    scaled = copy.deepcopy(backend)
    target = scaled.target
    for name in target.operation_names:
        for qargs, prop in (target[name] or {}).items():
            if prop is not None and prop.error is not None:
                prop.error = min(prop.error * k, 0.5)
    for properties in target.qubit_properties:
        properties.t1 /= k
        properties.t2 /= k
    return NoiseModel.from_backend(scaled)


def export_models():
    warnings.filterwarnings("ignore")
    import qiskit_ibm_runtime.fake_provider as fake

    os.makedirs(MODELS, exist_ok=True)
    backend = fake.FakeManilaV2()
    paths = {}
    for k in (1, 2, 5):
        model = scaled_model(backend, k)
        path = os.path.join(MODELS, f"manila-x{k}.json")
        with open(path, "w") as f:
            json.dump(model.to_dict(serializable=True), f)
        paths[k] = path
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="7", help="split seeds, comma-separated")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--models", default="qsvm,vqc")
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    started = machine()
    verdant = verdant_binary(args.skip_build)
    paths = export_models()
    levels = [("none", None)] + [(f"FakeManilaV2 x{k}", paths[k]) for k in (1, 2, 5)]
    tmp = tempfile.mkdtemp(prefix="noise-iris-")
    rows = []
    for kind in args.models.split(","):
        for seed in [int(s) for s in args.seeds.split(",")]:
            for label, model in levels:
                out = os.path.join(tmp, f"{kind}-{seed}-{len(rows)}.model")
                command = [verdant, "train", "--data", "builtin:iris", "--model", kind, "--seed", str(seed),
                           "--threads", str(args.threads), "--json", "--no-energy-summary", "-o", out]
                if kind == "qsvm":
                    command += ["--feature-map", "zz", "--reps", "2", "--alpha", "0.5", "--entanglement", "linear"]
                else:
                    command += ["--epochs", str(args.epochs), "--gradient", "parameter-shift"]
                if model:
                    command += ["--noise", os.path.relpath(model, REPO)]
                start = time.perf_counter()
                result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
                seconds = time.perf_counter() - start
                if result.returncode != 0:
                    sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr}")
                output = json.loads(result.stdout)
                training = output.get("training", output)
                accuracy = training.get("testAccuracy", training.get("test_accuracy"))
                shown = " ".join(os.path.relpath(a, REPO) if a == verdant else a for a in command)
                rows.append({"model": kind, "seed": seed, "noise": label, "test_accuracy": accuracy, "seconds": seconds,
                             "command": shown.replace(out, "MODEL"), "stderr": result.stderr, "output": output})
                print(f"{kind:5s} seed {seed}  {label:16s} test accuracy {accuracy}  ({seconds:.1f} s)", flush=True)
    path = write_results("noise-iris", {"threads": args.threads, "scaling": "error rates x k, T1 and T2 / k, then "
                                        "NoiseModel.from_backend(FakeManilaV2 with the scaled target)", "rows": rows},
                         started=started)
    print("results:", os.path.relpath(path, REPO))


if __name__ == "__main__":
    main()
