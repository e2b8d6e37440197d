#!/usr/bin/env python3
"""Noisy-simulation fixtures for Verdant, produced by Qiskit Aer's density_matrix method.

Run from the repository root (needs qiskit 2.x, qiskit-aer 0.18, qiskit-ibm-runtime):

    python3 Tests/QuantumTests/Fixtures/noise/make_noise_fixtures.py

Writes Tests/QuantumTests/Fixtures/noise/density_matrix_cases.json: {"models": {name: model}, "cases": [...]},
each model as NoiseModel.to_dict(serializable=True) writes it, and each case with
  name, qasm (OpenQASM 2 as qiskit.qasm2.dumps writes it), model (the name of its noise model),
  density_matrix   rows of [re, im]: Aer's save_density_matrix at the end of the circuit, after the
                   quantum errors of the final measurements (appended as instructions, so Aer applies
                   them) and before the measurements themselves,
  density_matrix_exact  the same from qiskit.quantum_info (superoperators of every error, no term
                   dropped: Aer's C++ drops error terms of probability <= 1e-10),
  probabilities    {bitstring: p}: Aer's save_probabilities_dict at the same point,
  recorded         {counts key: p}: the distribution of recorded outcomes after readout errors,
                   computed here with NumPy from `probabilities` and the model's assignment matrices
                   (absent when the circuit measures nothing).
and the full models of two fake backends (manila.json, lima.json) and an ECR backend's model on
qubits 0-4 (sherbrooke_q0-4.json) for the reader's tests, plus fake_models.json: per fake backend,
the summary Verdant must reproduce (errors per instruction).
"""
import json
import os
import warnings

import numpy as np
from qiskit import QuantumCircuit, qasm2, transpile
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import DensityMatrix, Kraus, Operator, SuperOp, random_quantum_channel, random_unitary
from qiskit.transpiler import CouplingMap
from qiskit_aer import AerSimulator
from qiskit_aer.noise import (NoiseModel, ReadoutError, amplitude_damping_error, coherent_unitary_error,
                              depolarizing_error, kraus_error, mixed_unitary_error, pauli_error,
                              phase_amplitude_damping_error, phase_damping_error, reset_error,
                              thermal_relaxation_error)
import qiskit_ibm_runtime.fake_provider as fake

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(20261216)

# Gates qiskit.qasm2.dumps writes by name (Verdant's built-in qelib1 reads them natively) and Aer's
# density_matrix method runs natively, so a noise model can attach errors to them.
ONE = ["id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg", "rx", "ry", "rz", "p", "u"]
TWO = ["cx", "cy", "cz", "swap", "cp", "rxx", "rzz"]
THREE = ["ccx"]


def random_circuit(n, depth, names=ONE + TWO, measure=True, seed=0):
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(n)
    for _ in range(depth):
        name = names[rng.integers(len(names))]
        width = 1 if name in ONE else 2 if name in TWO else 3
        if width > n:
            continue
        qubits = [int(q) for q in rng.choice(n, width, replace=False)]
        angles = [float(a) for a in rng.uniform(-np.pi, np.pi, 4)]
        gate = getattr(qc, name)
        params = {"rx": 1, "ry": 1, "rz": 1, "p": 1, "u": 3, "cp": 1, "rxx": 1, "rzz": 1}.get(name, 0)
        gate(*angles[:params], *qubits)
    if measure:
        qc.measure_all()
    return qc


def split_measurements(qc):
    """The circuit without its final measurements, and the (qubit, clbit) pairs measured."""
    body = QuantumCircuit(*qc.qregs, *qc.cregs)
    measured = []
    for inst in qc.data:
        if inst.operation.name == "measure":
            measured.append((qc.find_bit(inst.qubits[0]).index, qc.find_bit(inst.clbits[0]).index))
        elif inst.operation.name == "barrier" and measured == [] and all(
                i.operation.name in ("measure", "barrier") for i in qc.data[qc.data.index(inst):]):
            continue
        else:
            assert not measured, "only final measurements in fixtures"
            body.append(inst)
    return body, measured


def measure_error(nm, q):
    local = nm._local_quantum_errors.get("measure", {})
    if (q,) in local:
        return local[(q,)]
    return nm._default_quantum_errors.get("measure")


def readout_matrix(nm, q):
    if (q,) in nm._local_readout_errors:
        return np.array(nm._local_readout_errors[(q,)].probabilities)
    if nm._default_readout_error is not None:
        return np.array(nm._default_readout_error.probabilities)
    return np.eye(2)


def quantum_error(nm, name, qubits):
    local = nm._local_quantum_errors.get(name, {})
    if tuple(qubits) in local:
        return local[tuple(qubits)]
    error = nm._default_quantum_errors.get(name)
    return error if error is not None and error.num_qubits == len(qubits) else None


def exact_density_matrix(qc, nm):
    """A second, independent reference: qiskit.quantum_info evolves the density matrix through each
    instruction and the superoperator of its error (Aer's C++ drops error terms of probability
    ≤ 1e-10, which loses up to ~1e-8 of trace on fake-backend models; this does not)."""
    rho = DensityMatrix.from_label("0" * qc.num_qubits)
    reset = SuperOp(np.array([[1, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]))
    for inst in qc.data:
        qs = [qc.find_bit(q).index for q in inst.qubits]
        name = inst.operation.name
        if name == "barrier":
            continue
        if name == "measure":
            error = quantum_error(nm, "measure", qs)
            if error is not None:
                rho = rho.evolve(SuperOp(error), qs)
            continue
        rho = rho.evolve(reset if name == "reset" else Operator(inst.operation), qs)
        error = quantum_error(nm, name, qs)
        if error is not None:
            rho = rho.evolve(SuperOp(error), qs)
    return rho.data


def run_case(name, qc, nm):
    n = qc.num_qubits
    body, measured = split_measurements(qc)
    ref = body.copy()
    for q, _ in measured:
        err = measure_error(nm, q)
        if err is not None:
            ref.append(err.to_instruction(), [q])
    ref.save_density_matrix()
    ref.save_probabilities_dict()
    sim = AerSimulator(method="density_matrix", noise_model=nm, precision="double", fusion_enable=False)
    data = sim.run(ref, shots=1).result().data()
    rho = np.asarray(data["density_matrix"])
    probs = {format(int(k, 16) if isinstance(k, str) else int(k), f"0{n}b"): float(v) for k, v in data["probabilities"].items()}
    case = {
        "name": name,
        "qasm": qasm2.dumps(qc),
        "noise": nm.to_dict(serializable=True),
        "num_qubits": n,
        "density_matrix": [[[float(z.real), float(z.imag)] for z in row] for row in rho],
        "density_matrix_exact": [[[float(z.real), float(z.imag)] for z in row] for row in exact_density_matrix(qc, nm)],
        "probabilities": probs,
    }
    if measured:
        # Recorded outcome distribution: each measured qubit's true bit goes through its assignment matrix.
        p = np.real(np.diag(rho))
        nclbits = qc.num_clbits
        recorded = {}
        for x in range(2 ** n):
            if p[x] < 1e-300:
                continue
            dist = {0: p[x]}
            for q, c in measured:
                a = readout_matrix(nm, q)
                bit = (x >> q) & 1
                new = {}
                for key, w in dist.items():
                    for m in (0, 1):
                        if a[bit][m] > 0:
                            k2 = key | (m << c)
                            new[k2] = new.get(k2, 0) + w * a[bit][m]
                dist = new
            for key, w in dist.items():
                recorded[key] = recorded.get(key, 0) + w
        # Qiskit's counts keys: registers last-added first, separated by spaces.
        def key_text(value):
            parts, offset = [], 0
            for reg in qc.cregs:
                bits = "".join(str((value >> (offset + b)) & 1) for b in reversed(range(reg.size)))
                parts.append(bits)
                offset += reg.size
            return " ".join(reversed(parts))
        case["recorded"] = {key_text(k): float(v) for k, v in recorded.items() if v > 1e-300}
        assert abs(sum(case["recorded"].values()) - 1) < 1e-7, (name, sum(case["recorded"].values()), measured, np.trace(rho))
    return case


def restricted(backend, k):
    """A noise model and coupling map of a fake backend restricted to qubits 0..k-1."""
    nm = NoiseModel.from_backend(backend)
    d = nm.to_dict()  # complex entries as numbers: Aer's from_dict cannot read the serializable [re, im] form
    keep = []
    for e in d["errors"]:
        gq = e.get("gate_qubits")
        if gq is None or all(all(q < k for q in qs) for qs in gq):
            keep.append(e)
    small = NoiseModel.from_dict({"errors": keep})
    edges = [(a, b) for a, b in backend.coupling_map.get_edges() if a < k and b < k]
    basis = sorted(set(op for e in keep for op in e["operations"]) | {"rz"} - {"measure", "reset", "id"})
    return small, CouplingMap(edges), basis


def kraus_from(channel):
    return Kraus(channel)


cases = []
add = cases.append

# --- one channel at a time ---------------------------------------------------------------
bell = QuantumCircuit(2)
bell.h(0); bell.cx(0, 1); bell.measure_all()

nm = NoiseModel(); nm.add_all_qubit_quantum_error(depolarizing_error(0.05, 1), ["h"]); add(run_case("depolarizing_1q", bell, nm))
nm = NoiseModel(); nm.add_all_qubit_quantum_error(depolarizing_error(0.08, 2), ["cx"]); add(run_case("depolarizing_2q", bell, nm))
qc3 = random_circuit(3, 14, ONE + TWO + THREE, seed=3)
nm = NoiseModel(); nm.add_all_qubit_quantum_error(depolarizing_error(0.1, 3), ["ccx"])
nm.add_all_qubit_quantum_error(depolarizing_error(0.02, 1), ONE)
add(run_case("depolarizing_3q", qc3, nm))
nm = NoiseModel(); nm.add_all_qubit_quantum_error(depolarizing_error(4 / 3, 1), ["x"]); add(run_case("depolarizing_full", random_circuit(2, 10, seed=4), nm))

nm = NoiseModel(); nm.add_all_qubit_quantum_error(pauli_error([("X", 0.1), ("Y", 0.05), ("Z", 0.15), ("I", 0.7)]), ONE)
add(run_case("pauli_1q", random_circuit(3, 20, seed=5), nm))
nm = NoiseModel(); nm.add_all_qubit_quantum_error(pauli_error([("XZ", 0.1), ("YY", 0.05), ("IZ", 0.05), ("II", 0.8)]), TWO)
add(run_case("pauli_2q", random_circuit(3, 20, seed=6), nm))

nm = NoiseModel(); nm.add_all_qubit_quantum_error(amplitude_damping_error(0.2), ONE)
add(run_case("amplitude_damping", random_circuit(3, 20, seed=7), nm))
nm = NoiseModel(); nm.add_all_qubit_quantum_error(amplitude_damping_error(0.15, excited_state_population=0.3), ONE)
add(run_case("amplitude_damping_excited", random_circuit(3, 20, seed=8), nm))
nm = NoiseModel(); nm.add_all_qubit_quantum_error(phase_damping_error(0.3), ONE)
add(run_case("phase_damping", random_circuit(3, 20, seed=9), nm))
nm = NoiseModel(); nm.add_all_qubit_quantum_error(phase_amplitude_damping_error(0.1, 0.2, 0.25), ONE)
add(run_case("phase_amplitude_damping", random_circuit(3, 20, seed=10), nm))

t1, t2 = 50e3, 30e3
nm = NoiseModel(); nm.add_all_qubit_quantum_error(thermal_relaxation_error(t1, t2, 2000), ONE)
add(run_case("thermal_t2_below_t1", random_circuit(3, 20, seed=11), nm))
nm = NoiseModel(); nm.add_all_qubit_quantum_error(thermal_relaxation_error(50e3, 80e3, 3000), ONE)
add(run_case("thermal_t2_above_t1", random_circuit(3, 20, seed=12), nm))
nm = NoiseModel()
nm.add_all_qubit_quantum_error(thermal_relaxation_error(40e3, 25e3, 2500, excited_state_population=0.2), ONE)
nm.add_all_qubit_quantum_error(thermal_relaxation_error(40e3, 70e3, 6000, excited_state_population=0.1)
                               .expand(thermal_relaxation_error(60e3, 90e3, 6000, excited_state_population=0.05)), TWO)
add(run_case("thermal_excited_both_forms", random_circuit(3, 24, seed=13), nm))
nm = NoiseModel()
relax = thermal_relaxation_error(50e3, 70e3, 300)
nm.add_all_qubit_quantum_error(depolarizing_error(0.02, 2).compose(relax.expand(relax)), TWO)
nm.add_all_qubit_quantum_error(depolarizing_error(0.002, 1).compose(thermal_relaxation_error(50e3, 70e3, 50)), ONE)
add(run_case("depolarizing_then_thermal", random_circuit(4, 30, seed=14), nm))

nm = NoiseModel(); nm.add_all_qubit_quantum_error(reset_error(0.1, 0.05), ONE)
add(run_case("reset_error", random_circuit(3, 20, seed=15), nm))
qc = QuantumCircuit(2, 2); qc.h(0); qc.cx(0, 1); qc.reset(0); qc.ry(0.7, 0); qc.reset(1); qc.h(1); qc.measure([0, 1], [0, 1])
nm = NoiseModel(); nm.add_all_qubit_quantum_error(pauli_error([("X", 0.2), ("I", 0.8)]), ["reset"])
nm.add_all_qubit_quantum_error(depolarizing_error(0.05, 1), ["h", "ry"])
add(run_case("reset_instruction_with_error", qc, nm))

rx = np.array([[np.cos(0.1), -1j * np.sin(0.1)], [-1j * np.sin(0.1), np.cos(0.1)]])
nm = NoiseModel(); nm.add_all_qubit_quantum_error(coherent_unitary_error(rx), ["x", "sx", "h"])
add(run_case("coherent_over_rotation_1q", random_circuit(3, 20, seed=16), nm))
zz = np.diag(np.exp(-0.5j * 0.2 * np.array([1, -1, -1, 1])))
nm = NoiseModel(); nm.add_all_qubit_quantum_error(coherent_unitary_error(zz), ["cx", "cz"])
add(run_case("coherent_over_rotation_zz", random_circuit(3, 20, seed=17), nm))

nm = NoiseModel(); nm.add_all_qubit_quantum_error(kraus_error(Kraus(random_quantum_channel(2, seed=18)).data), ONE)
add(run_case("kraus_1q_random", random_circuit(3, 16, seed=19), nm))
nm = NoiseModel(); nm.add_all_qubit_quantum_error(kraus_error(Kraus(random_quantum_channel(4, rank=3, seed=20)).data), ["cx", "cz", "swap"])
add(run_case("kraus_2q_random", random_circuit(3, 16, seed=21), nm))
nm = NoiseModel(); nm.add_all_qubit_quantum_error(kraus_error(Kraus(random_quantum_channel(8, rank=3, seed=22)).data), THREE)
add(run_case("kraus_3q_random", random_circuit(3, 16, ONE + TWO + THREE, seed=23), nm))

u1, u2 = random_unitary(2, seed=24).data, random_unitary(2, seed=25).data
nm = NoiseModel(); nm.add_all_qubit_quantum_error(mixed_unitary_error([(u1, 0.1), (u2, 0.2), (np.eye(2), 0.7)]), ONE)
add(run_case("mixed_unitary", random_circuit(3, 16, seed=26), nm))

# --- model semantics -----------------------------------------------------------------------
nm = NoiseModel()
nm.add_all_qubit_quantum_error(depolarizing_error(0.1, 1), ["x", "h"])
nm.add_quantum_error(amplitude_damping_error(0.3), ["x", "h"], [1])
nm.add_quantum_error(depolarizing_error(0.2, 2), ["cx"], [0, 1])
nm.add_quantum_error(pauli_error([("XI", 0.3), ("II", 0.7)]), ["cx"], [1, 0])
qc = QuantumCircuit(3); qc.h([0, 1, 2]); qc.x([0, 1, 2]); qc.cx(0, 1); qc.cx(1, 0); qc.cx(1, 2); qc.measure_all()
add(run_case("local_overrides_all_qubit", qc, nm))
nm = NoiseModel()
nm.add_all_qubit_quantum_error(depolarizing_error(0.1, 1), ["h"])
nm.add_all_qubit_quantum_error(amplitude_damping_error(0.2), ["h"])  # composed after the first
add(run_case("two_errors_compose", random_circuit(2, 12, seed=27), nm))
nm = NoiseModel()
nm.add_all_qubit_quantum_error(pauli_error([("X", 0.2), ("I", 0.8)]), ["measure"])
nm.add_quantum_error(amplitude_damping_error(0.4), ["measure"], [1])
add(run_case("measure_errors", random_circuit(3, 12, seed=28), nm))
nm = NoiseModel(); nm.add_all_qubit_quantum_error(depolarizing_error(0.2, 1), ["id"])
qc = QuantumCircuit(2); qc.h(0); qc.id(0); qc.id(1); qc.id(0); qc.cx(0, 1); qc.id(1); qc.measure_all()
add(run_case("identity_gates_carry_noise", qc, nm))
nm = NoiseModel(); nm.add_all_qubit_readout_error(ReadoutError([[0.95, 0.05], [0.1, 0.9]]))
add(run_case("readout_all_qubits", random_circuit(3, 12, seed=29), nm))
nm = NoiseModel()
nm.add_all_qubit_readout_error(ReadoutError([[0.97, 0.03], [0.03, 0.97]]))
nm.add_readout_error(ReadoutError([[0.8, 0.2], [0.35, 0.65]]), [2])
nm.add_readout_error(ReadoutError([[0.9, 0.1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0.2, 0.8]]), [0, 1])  # never applies (Aer)
nm.add_all_qubit_quantum_error(depolarizing_error(0.03, 1), ONE)
add(run_case("readout_local_and_unused_two_qubit", random_circuit(3, 14, seed=30), nm))
qc = QuantumCircuit(3, 2); qc.h(0); qc.cx(0, 1); qc.cx(1, 2); qc.measure(2, 0); qc.measure(0, 1)
nm = NoiseModel(); nm.add_all_qubit_readout_error(ReadoutError([[0.9, 0.1], [0.25, 0.75]]))
nm.add_all_qubit_quantum_error(phase_damping_error(0.2), ["h", "cx"] and ["h"])
add(run_case("readout_partial_measurement", qc, nm))
qc = random_circuit(3, 12, seed=31, measure=False)
nm = NoiseModel(); nm.add_all_qubit_quantum_error(depolarizing_error(0.05, 1), ONE); nm.add_all_qubit_quantum_error(depolarizing_error(0.05, 2), TWO)
add(run_case("no_measurements", qc, nm))

# --- everything at once ----------------------------------------------------------------
nm = NoiseModel()
nm.add_all_qubit_quantum_error(depolarizing_error(0.01, 1).compose(thermal_relaxation_error(50e3, 70e3, 60)), ONE)
nm.add_all_qubit_quantum_error(depolarizing_error(0.03, 2).compose(
    thermal_relaxation_error(50e3, 40e3, 400).expand(thermal_relaxation_error(45e3, 80e3, 400))), TWO)
nm.add_all_qubit_quantum_error(kraus_error(Kraus(random_quantum_channel(8, rank=2, seed=32)).data), THREE)
nm.add_all_qubit_quantum_error(reset_error(0.02, 0.01), ["measure"])
nm.add_all_qubit_readout_error(ReadoutError([[0.96, 0.04], [0.07, 0.93]]))
add(run_case("all_gate_kinds_5q", random_circuit(5, 60, ONE + TWO + THREE, seed=33), nm))

# --- fake backends (the model of qubits 0..k-1, a circuit transpiled to its basis) -------------
for backend_name, k, seed in [("FakeManilaV2", 5, 40), ("FakeLimaV2", 4, 41), ("FakeAlgiers", 4, 42), ("FakeTorino", 4, 43)]:
    backend = getattr(fake, backend_name)()
    nm, coupling, basis = restricted(backend, k)
    logical = random_circuit(k, 16, ["h", "rx", "ry", "rz", "x", "sx", "cx", "cz", "cp"], seed=seed)
    qc = transpile(logical, basis_gates=basis, coupling_map=coupling, initial_layout=list(range(k)),
                   optimization_level=1, seed_transpiler=seed)
    qc2 = QuantumCircuit(k, k)
    for inst in qc.data:
        if inst.operation.name == "barrier":
            continue
        qc2.append(inst.operation, [qc.find_bit(q).index for q in inst.qubits], [qc.find_bit(c).index for c in inst.clbits])
    add(run_case(f"fake_{backend_name}", qc2, nm))
    # A second circuit with idle identities and a reset.
    qc3 = QuantumCircuit(k, k)
    qc3.sx(0); qc3.rz(0.4, 0); qc3.sx(0); qc3.id(1); qc3.x(1)
    a, b = coupling.get_edges()[0]
    getattr(qc3, "cz" if "cz" in basis else "cx")(a, b)
    qc3.reset(a); qc3.sx(a); qc3.id(b)
    qc3.measure(range(k), range(k))
    add(run_case(f"fake_{backend_name}_idle_reset", qc3, nm))

# Models are stored once and named by each case ("model"), since several cases share one.
models, names = {}, {}
for case in cases:
    text = json.dumps(case.pop("noise"), sort_keys=True)
    if text not in names:
        names[text] = case["name"]
        models[case["name"]] = json.loads(text)
    case["model"] = names[text]
with open(os.path.join(HERE, "density_matrix_cases.json"), "w") as f:
    json.dump({"models": models, "cases": cases}, f, separators=(",", ":"))
print(len(cases), "cases")

# Full fake-backend models for the reader's tests, and what each holds.
summaries = {}
for backend_name in ["FakeManilaV2", "FakeLimaV2", "FakeAlgiers", "FakeTorino", "FakeSherbrooke"]:
    backend = getattr(fake, backend_name)()
    d = NoiseModel.from_backend(backend).to_dict(serializable=True)
    ops = {}
    for e in d["errors"]:
        for op in e["operations"]:
            ops.setdefault(e["type"] + ":" + op, 0)
            ops[e["type"] + ":" + op] += len(e.get("gate_qubits", [None]))
    summaries[backend_name] = {"errors": len(d["errors"]), "by_operation": ops}
    if backend_name in ("FakeManilaV2", "FakeLimaV2"):
        with open(os.path.join(HERE, backend_name.lower().replace("fake", "").replace("v2", "") + ".json"), "w") as f:
            json.dump(d, f, separators=(",", ":"))
# An ECR backend's model restricted to qubits 0..4 (ecr is in Verdant's gate set; the full file is 2.7 MB).
small, _, _ = restricted(fake.FakeSherbrooke(), 5)
with open(os.path.join(HERE, "sherbrooke_q0-4.json"), "w") as f:
    json.dump(small.to_dict(serializable=True), f, separators=(",", ":"))
with open(os.path.join(HERE, "fake_models.json"), "w") as f:
    json.dump(summaries, f, indent=1, sort_keys=True)
