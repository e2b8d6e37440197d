"""Reads Verdant's OpenQASM exports (exports/*.qasm) with Qiskit and records what Qiskit makes of them.

Usage: python3 check_exports.py   (from this folder; needs qiskit)

For every file: whether Qiskit's plain `qiskit.qasm2.load` (default include path, i.e. the
original qelib1.inc, no custom instructions) accepts it; for circuits without measurement the
statevector Qiskit computes (Statevector(circuit).data, exact phase); otherwise the number of
qubits and classical bits and the operation counts. Writes exports.json, which
QiskitExportTests.swift compares with Verdant.
"""
import json
import os
import sys

import qiskit
from qiskit import qasm2
from qiskit.quantum_info import Statevector

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> int:
    folder = os.path.join(HERE, "exports")
    entries = []
    failures = 0
    for name in sorted(f for f in os.listdir(folder) if f.endswith(".qasm")):
        entry = {"name": name[: -len(".qasm")]}
        try:
            circuit = qasm2.load(os.path.join(folder, name))
            entry["loaded"] = True
            entry["num_qubits"] = circuit.num_qubits
            entry["num_clbits"] = circuit.num_clbits
            ops = dict(circuit.count_ops())
            entry["ops"] = {k: ops[k] for k in sorted(ops)}
            if circuit.num_clbits == 0:
                entry["statevector"] = [[float(a.real), float(a.imag)] for a in Statevector(circuit).data]
            else:
                entry["statevector"] = None
        except Exception as error:  # recorded, and the Swift test fails on it
            entry["loaded"] = False
            entry["error"] = str(error)
            failures += 1
        entries.append(entry)
    out = {"generator": {"script": "Tests/QuantumTests/Fixtures/check_exports.py", "qiskit": qiskit.__version__},
           "exports": entries}
    with open(os.path.join(HERE, "exports.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"{len(entries)} exports read, {failures} rejected by Qiskit")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
