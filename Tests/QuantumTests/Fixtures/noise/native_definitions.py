"""Aer's probabilities for NoisySimulatorTests' "definitions of native gates" case.

A circuit as qiskit.qasm2.dumps writes it, with definitions of ecr and rzx, under a model with
errors on ecr (2-qubit depolarizing 0.3) and sx (1-qubit depolarizing 0.1). Qiskit's reader makes
ecr and rzx its own gates, so Aer applies the ecr error once (and the sx error never: no sx is
called outside the ecr definition). Run with qiskit 2.6.2 and qiskit-aer 0.18.2:
    python3 native_definitions.py
"""
from qiskit import QuantumCircuit
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, depolarizing_error

QASM = """OPENQASM 2.0;
include "qelib1.inc";
gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
gate rzx(param0) q0,q1 { h q1; cx q0,q1; rz(param0) q1; cx q0,q1; h q1; }
qreg q[2];
ry(0.3) q[0];
ecr q[0],q[1];
rzx(0.4) q[0],q[1];
rz(0.2) q[1];
"""

model = NoiseModel()
model.add_all_qubit_quantum_error(depolarizing_error(0.3, 2), ["ecr"])
model.add_all_qubit_quantum_error(depolarizing_error(0.1, 1), ["sx"])
circuit = QuantumCircuit.from_qasm_str(QASM)
circuit.save_probabilities_dict()
result = AerSimulator(method="density_matrix", noise_model=model).run(circuit).result()
for key, value in sorted(result.data()["probabilities"].items()):
    print(format(int(key, 16) if isinstance(key, str) else key, "02b"), repr(value))
