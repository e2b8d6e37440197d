"""Reference fidelity kernels and feature-map states from Qiskit and qiskit-machine-learning.

Run from this folder:  python3 make_kernel_fixtures.py   (writes kernels.json)
Made with qiskit 2.6.2 and qiskit-machine-learning 0.9.1. Verdant's tests compare its own
feature maps and kernels with these numbers; Python is not needed to run the tests.
"""
import json

import numpy as np
from qiskit.circuit.library import pauli_feature_map, z_feature_map, zz_feature_map
from qiskit.quantum_info import Statevector
from qiskit_machine_learning.kernels import FidelityStatevectorKernel

rng = np.random.default_rng(20261129)
cases = []


def add(name, circuit, spec, features, n_train=7, n_test=4):
    train = rng.uniform(0, np.pi, size=(n_train, features))
    test = rng.uniform(0, np.pi, size=(n_test, features))
    kernel = FidelityStatevectorKernel(feature_map=circuit)
    params = sorted(circuit.parameters, key=lambda p: p.index)
    states = []
    for x in train[:3]:
        sv = Statevector(circuit.assign_parameters(dict(zip(params, x)))).data
        states.append([float(v) for a in sv for v in (a.real, a.imag)])
    cases.append({
        "name": name,
        "spec": spec,
        "features": features,
        "train": train.tolist(),
        "test": test.tolist(),
        "train_kernel": kernel.evaluate(train).tolist(),
        "test_kernel": kernel.evaluate(test, train).tolist(),
        "states": states,
    })


add("zz-2-full-reps2", zz_feature_map(2, reps=2), {"paulis": ["Z", "ZZ"], "reps": 2, "entanglement": "full", "alpha": 2.0}, 2)
add("zz-3-linear-reps1", zz_feature_map(3, reps=1, entanglement="linear"), {"paulis": ["Z", "ZZ"], "reps": 1, "entanglement": "linear", "alpha": 2.0}, 3)
add("zz-4-circular-reps2", zz_feature_map(4, reps=2, entanglement="circular"), {"paulis": ["Z", "ZZ"], "reps": 2, "entanglement": "circular", "alpha": 2.0}, 4)
add("zz-5-full-reps2", zz_feature_map(5, reps=2), {"paulis": ["Z", "ZZ"], "reps": 2, "entanglement": "full", "alpha": 2.0}, 5)
add("z-3-reps2", z_feature_map(3, reps=2), {"paulis": ["Z"], "reps": 2, "entanglement": "full", "alpha": 2.0}, 3)
add("pauli-4-x-zy-xyz-full", pauli_feature_map(4, reps=1, paulis=["X", "ZY", "XYZ"]), {"paulis": ["X", "ZY", "XYZ"], "reps": 1, "entanglement": "full", "alpha": 2.0}, 4)
add("pauli-4-y-xx-reverse-alpha1.5", pauli_feature_map(4, reps=2, paulis=["Y", "XX"], entanglement="reverse_linear", alpha=1.5), {"paulis": ["Y", "XX"], "reps": 2, "entanglement": "reverse_linear", "alpha": 1.5}, 4)
add("pauli-4-zi-yz-circular", pauli_feature_map(4, reps=1, paulis=["ZI", "YZ", "ZZZ"], entanglement="circular"), {"paulis": ["ZI", "YZ", "ZZZ"], "reps": 1, "entanglement": "circular", "alpha": 2.0}, 4)

with open("kernels.json", "w") as f:
    json.dump({"generator": "qiskit 2.6.2, qiskit-machine-learning 0.9.1 FidelityStatevectorKernel", "cases": cases}, f)
print(len(cases), "cases")
