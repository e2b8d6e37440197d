#!/usr/bin/env python3
"""Generate transpiled.json: circuits as Qiskit's transpiler writes them, for the fusion tests.

    python3 make_transpiled_fixtures.py            # regenerate transpiled.json, then verify it
    python3 make_transpiled_fixtures.py --verify   # only re-check the file on disk

Two sections, both made by Qiskit 2's `transpile` (seeded, reproducible):

* ``circuits``: QFTs, a QAOA ring, EfficientSU2 and RealAmplitudes ansaetze, Qiskit's
  ``random_circuit`` (1-, 2- and 3-qubit gates of every kind), each transpiled to the three bases
  ``u+cx``, ``rz+sx+cx`` and ``rz+sx+x+cx`` at optimization levels 0 and 1, and every unitary
  circuit of circuits.json in the three bases at level 1. Each entry holds the OpenQASM 2 text (``qasm2.dumps``, which drops
  the global phase) and the state vector of that text read back (``Statevector`` of
  ``qasm2.loads``), so the fixture describes the file. Verdant must reproduce the state with
  fusion on and off, and the two must agree to 1e-12.
* ``families``: the benchmark's circuit families at 5 qubits (the QFT transpiled to u+cx at
  level 0 and to rz+sx+cx at level 1, the QAOA ring in rz+sx+x+cx at level 1, EfficientSU2 full
  in u+cx at level 1), with the angles used and Qiskit's gate counts and state vector. Verdant's
  builders (Sources/Quantum/BenchmarkCircuits.swift) must give the same counts and the same
  state up to a global phase.

Conventions are Qiskit's: qubit 0 is the least-significant bit of a basis index.
"""

import argparse
import json
import os
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore", category=DeprecationWarning)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "transpiled.json")
BASES = {"u+cx": ["u", "cx"], "rz+sx+cx": ["rz", "sx", "cx"], "rz+sx+x+cx": ["rz", "sx", "x", "cx"]}


def sources():
    """(name, circuit, levels): the circuits that get transpiled, and at which levels."""
    from qiskit import QuantumCircuit, qasm2
    from qiskit.circuit.library import QAOAAnsatz, QFT, efficient_su2, real_amplitudes
    from qiskit.circuit.random import random_circuit
    from qiskit.quantum_info import SparsePauliOp

    rng = np.random.default_rng(2026)
    out = [("qft5", QFT(5)), ("qft6", QFT(6))]
    n = 6
    ring = SparsePauliOp.from_sparse_list([("ZZ", [i, (i + 1) % n], 1.0) for i in range(n)], num_qubits=n)
    qaoa = QAOAAnsatz(ring, reps=2)
    out.append(("qaoa6", qaoa.assign_parameters(rng.uniform(-np.pi, np.pi, qaoa.num_parameters))))
    su2 = efficient_su2(5, entanglement="full", reps=2)
    out.append(("su2_5", su2.assign_parameters(rng.uniform(-np.pi, np.pi, su2.num_parameters))))
    ra = real_amplitudes(6, entanglement="linear", reps=2)
    out.append(("realamp6", ra.assign_parameters(rng.uniform(-np.pi, np.pi, ra.num_parameters))))
    for seed, (width, depth) in zip((5, 6, 7, 8), ((4, 8), (5, 8), (6, 6), (7, 5))):
        out.append((f"random{width}_s{seed}", random_circuit(width, depth, max_operands=3, seed=seed)))
    # Every unitary circuit of circuits.json.
    with open(os.path.join(HERE, "circuits.json")) as f:
        fixtures = json.load(f)["circuits"]
    for entry in fixtures:
        if entry["statevector"] is None:
            continue
        qc = qasm2.load(os.path.join(HERE, entry["file"]), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        qc.remove_final_measurements(inplace=True)
        if any(inst.operation.name in ("measure", "reset") or inst.operation.condition is not None
               for inst in qc.data if hasattr(inst.operation, "condition")):
            continue
        out.append((entry["name"], qc))
    # The synthetic circuits at levels 0 and 1, the fixture circuits at level 1.
    synthetic = 9
    return [(name, qc, (0, 1) if i < synthetic else (1,)) for i, (name, qc) in enumerate(out)]


def state_of_text(text):
    from qiskit import qasm2
    from qiskit.quantum_info import Statevector

    return Statevector(qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)).data


def pairs(v):
    return [[float(z.real), float(z.imag)] for z in v]


def make_circuits():
    from qiskit import qasm2, transpile

    entries = []
    for name, qc, levels in sources():
        for basis, gates in BASES.items():
            for level in levels:
                t = transpile(qc, basis_gates=gates, optimization_level=level, seed_transpiler=11)
                t.global_phase = 0
                text = qasm2.dumps(t)
                entries.append({
                    "name": f"{name}@{basis}/{level}", "source": name, "basis": basis, "level": level,
                    "num_qubits": t.num_qubits, "ops": {k: int(v) for k, v in t.count_ops().items()},
                    "qasm": text, "statevector": pairs(state_of_text(text)),
                })
    return entries


def make_families():
    from qiskit import QuantumCircuit, transpile
    from qiskit.circuit.library import QAOAAnsatz, QFT, efficient_su2
    from qiskit.quantum_info import SparsePauliOp, Statevector

    n = 5
    rng = np.random.default_rng(7)
    out = []

    def entry(family, t, **extra):
        t = t.copy()
        t.global_phase = 0
        out.append(dict(family=family, num_qubits=n, ops={k: int(v) for k, v in t.count_ops().items()},
                        statevector=pairs(Statevector(t).data), **extra))

    entry("qft-ucx", transpile(QFT(n), basis_gates=BASES["u+cx"], optimization_level=0))
    entry("qft-rzsx", transpile(QFT(n), basis_gates=BASES["rz+sx+cx"], optimization_level=1))
    ring = SparsePauliOp.from_sparse_list([("ZZ", [i, (i + 1) % n], 1.0) for i in range(n)], num_qubits=n)
    qaoa = QAOAAnsatz(ring, reps=3)
    values = rng.uniform(-np.pi, np.pi, qaoa.num_parameters)
    names = [p.name for p in qaoa.parameters]
    assert names == ["β[0]", "β[1]", "β[2]", "γ[0]", "γ[1]", "γ[2]"], names
    entry("qaoa", transpile(qaoa.assign_parameters(values), basis_gates=BASES["rz+sx+x+cx"], optimization_level=1),
          betas=[float(x) for x in values[:3]], gammas=[float(x) for x in values[3:]])
    su2 = efficient_su2(n, entanglement="full", reps=4)
    values = rng.uniform(-np.pi, np.pi, su2.num_parameters)
    entry("su2", transpile(su2.assign_parameters(values), basis_gates=BASES["u+cx"], optimization_level=1),
          angles=[float(x) for x in values], reps=4)
    return out


def verify(doc):
    """Re-derive every state from its QASM text and check the families' counts are plausible."""
    worst = 0.0
    for e in doc["circuits"]:
        want = np.array([complex(a, b) for a, b in e["statevector"]])
        got = state_of_text(e["qasm"])
        worst = max(worst, float(np.max(np.abs(got - want))))
        ops = set(e["ops"]) - {"barrier"}
        assert ops <= set(BASES[e["basis"]]), (e["name"], ops)
    assert worst < 1e-12, worst
    assert len(doc["families"]) == 4
    print(f"transpiled.json: {len(doc['circuits'])} circuits, {len(doc['families'])} families; "
          f"worst re-derived |diff| {worst:.1e}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--verify", action="store_true")
    args = p.parse_args()
    if not args.verify:
        import qiskit

        doc = {"generator": "make_transpiled_fixtures.py", "qiskit": qiskit.__version__,
               "circuits": make_circuits(), "families": make_families()}
        with open(OUT, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
            f.write("\n")
    with open(OUT) as f:
        verify(json.load(f))
    return 0


if __name__ == "__main__":
    sys.exit(main())
