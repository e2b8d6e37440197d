"""Reference ansatz states from Qiskit (real_amplitudes, efficient_su2) and PennyLane
(StronglyEntanglingLayers).

Run from this folder:  python3 make_ansatz_fixtures.py   (writes ansatze.json)
Made with qiskit 2.6.2 and pennylane 0.45.1. Verdant's tests build the same ansatz, bind the same
parameter values (given in the library's own parameter order: Qiskit's θ[0], θ[1], …; PennyLane's
weights[l, i, k] flattened row-major) and compare state vectors. Python is not needed to run the
tests.

States are written in Qiskit's order (qubit 0 is the least significant bit of the index, as in
Verdant); PennyLane's states (wire 0 most significant) are reordered to it, with wire i = qubit i.
Each state is a flat list of (re, im) pairs.
"""
import json

import numpy as np
import pennylane as qml
import qiskit
from qiskit.circuit.library import efficient_su2, real_amplitudes
from qiskit.quantum_info import Statevector

rng = np.random.default_rng(20260808)
cases = []


def flat(state):
    return [float(v) for a in state for v in (a.real, a.imag)]


def add_qiskit(kind, build, qubits, reps, entanglement):
    circuit = build(qubits, reps=reps, entanglement=entanglement)
    # ParameterVector elements in index order: θ[0], θ[1], … (the order Qiskit binds arrays in).
    params = sorted(circuit.parameters, key=lambda p: p.index)
    values = rng.uniform(-np.pi, np.pi, size=len(params))
    state = Statevector(circuit.assign_parameters(dict(zip(params, values)))).data
    cases.append({
        "kind": kind, "qubits": qubits, "reps": reps, "entanglement": entanglement,
        "parameters": values.tolist(), "state": flat(state),
    })


def add_pennylane(qubits, layers, ranges=None):
    shape = qml.StronglyEntanglingLayers.shape(n_layers=layers, n_wires=qubits)
    weights = rng.uniform(-np.pi, np.pi, size=shape)
    device = qml.device("default.qubit", wires=qubits)

    @qml.qnode(device)
    def circuit():
        qml.StronglyEntanglingLayers(weights, wires=range(qubits), ranges=ranges)
        return qml.state()

    state = np.asarray(circuit())
    # PennyLane: wire 0 is the most significant bit; reverse the bit order to Qiskit's.
    state = state.reshape([2] * qubits).transpose(list(reversed(range(qubits)))).reshape(-1)
    case = {
        "kind": "strongly_entangling", "qubits": qubits, "reps": layers,
        "parameters": weights.reshape(-1).tolist(), "state": flat(state),
    }
    if ranges is not None:
        case["ranges"] = list(ranges)
    cases.append(case)


for entanglement in ["full", "linear", "reverse_linear", "circular"]:
    for qubits in [1, 2, 3, 4]:
        add_qiskit("real_amplitudes", real_amplitudes, qubits, 2, entanglement)
        add_qiskit("efficient_su2", efficient_su2, qubits, 1, entanglement)
add_qiskit("real_amplitudes", real_amplitudes, 3, 0, "full")
add_qiskit("real_amplitudes", real_amplitudes, 4, 3, "reverse_linear")
add_qiskit("efficient_su2", efficient_su2, 4, 3, "reverse_linear")
add_qiskit("efficient_su2", efficient_su2, 5, 2, "circular")

for qubits in [1, 2, 3, 4, 5]:
    for layers in [1, 3]:
        add_pennylane(qubits, layers)
add_pennylane(4, 3, ranges=[3, 1, 2])
add_pennylane(5, 2, ranges=[2, 7])

# The defaults of the Qiskit builders, recorded so a change in Qiskit shows up here.
defaults = {}
for name, build in [("real_amplitudes", real_amplitudes), ("efficient_su2", efficient_su2)]:
    import inspect
    signature = inspect.signature(build)
    defaults[name] = {"reps": signature.parameters["reps"].default,
                      "entanglement": signature.parameters["entanglement"].default}

with open("ansatze.json", "w") as f:
    json.dump({"qiskit": qiskit.__version__, "pennylane": qml.__version__, "defaults": defaults,
               "cases": cases}, f, indent=1)
    f.write("\n")
print(len(cases), "cases")
