#!/usr/bin/env python3
"""Generate Qiskit reference fixtures for Verdant's test-suite.

Run from this folder (or anywhere):

    python3 make_fixtures.py            # regenerate everything, then verify it
    python3 make_fixtures.py --verify   # only re-check the files already on disk

Outputs (all next to this script):

* ``gates.json``     -- unitary matrices of single gates, from ``Operator(gate).data``.
* ``circuits/*.qasm`` -- OpenQASM 2.0 input files (the files Verdant reads).
* ``circuits.json``  -- expected results for every ``.qasm`` file.

Conventions are Qiskit's (and therefore Verdant's):

* qubit 0 is the least-significant bit of a basis-state index, so
  ``statevector[i]`` is the amplitude of the basis state whose bit ``k`` is the
  value of qubit ``k``; ``matrix[row][col]`` likewise.
* counts / distribution keys: the highest clbit is leftmost; with several
  classical registers the registers are separated by a single space and the
  LAST-declared register is leftmost (exactly what ``Result.get_counts()``
  returns).

Every expected value is computed from the ``.qasm`` file as written to disk and
loaded back with ``qiskit.qasm2.load`` -- never from the in-memory circuit used
to build it -- so the fixture describes the file's semantics.  The files use
the gates of Qiskit's exporter's ``qelib1.inc`` (sx, sxdg, csx, cu, rxx, rzz,
rccx, rc3x, c3x, c3sqrtx, c4x, u0, ...), which Qiskit's strict parser only
knows when given ``qasm2.LEGACY_CUSTOM_INSTRUCTIONS``; we always load with it.

Determinism: every random source has a fixed seed (random_circuit seeds, Aer
``seed_simulator`` derived from the circuit name by CRC32), and
the one non-deterministic thing in ``qasm2.dumps`` -- the ``id()``-based suffix
it appends to clashing gate names such as ``mcx_140668647458896`` -- is
rewritten to a stable ``mcx_1``, ``mcx_2`` ... (see ``canonical_dumps``).
"""

import argparse
import hashlib
import json
import math
import os
import platform
import re
import sys
import zlib

import numpy as np
import qiskit
import qiskit_aer
from qiskit import QuantumCircuit, qasm2
from qiskit.circuit import ControlledGate, IfElseOp
from qiskit.circuit.library import (
    C3SXGate, C3XGate, C4XGate, CCXGate, CHGate, CPhaseGate, CRXGate, CRYGate,
    CRZGate, CSdgGate, CSGate, CSwapGate, CSXGate, CU1Gate, CU3Gate, CUGate,
    CXGate, CYGate, CZGate, DCXGate, ECRGate, HGate, IGate, MCPhaseGate,
    MCXGate, PhaseGate, QFTGate, RC3XGate, RCCXGate, RXGate, RXXGate, RYGate,
    RYYGate, RZGate, RZXGate, RZZGate, SdgGate, SGate, SwapGate, SXdgGate,
    SXGate, TdgGate, TGate, U1Gate, U2Gate, U3Gate, UGate, XGate, YGate, ZGate,
    iSwapGate,
)
from qiskit.circuit.random import random_circuit
from qiskit.quantum_info import Operator, Statevector
from qiskit_aer import AerSimulator

HERE = os.path.dirname(os.path.abspath(__file__))
CIRCUIT_DIR = os.path.join(HERE, "circuits")
GATES_JSON = os.path.join(HERE, "gates.json")
CIRCUITS_JSON = os.path.join(HERE, "circuits.json")

SHOTS = 100_000
PROB_CUTOFF = 1e-14          # outcomes below this probability are omitted
LOAD_KW = {"custom_instructions": qasm2.LEGACY_CUSTOM_INSTRUCTIONS}
# Before Aer sees a circuit, gates defined in the file are expanded into their
# bodies (see inline_user_gates); nothing else is changed.

GENERATOR = {
    "script": "Tests/QuantumTests/Fixtures/make_fixtures.py",
    "qiskit": qiskit.__version__,
    "qiskit_aer": qiskit_aer.__version__,
    "numpy": np.__version__,
    "python": platform.python_version(),
    "conventions": (
        "qubit 0 = least significant bit of a basis index; matrices and "
        "statevectors in Qiskit order; complex numbers as [re, im]; counts and "
        "distribution keys in Qiskit format (highest clbit leftmost, registers "
        "separated by a space, last-declared register leftmost)"
    ),
}


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

def cnum(z):
    """A complex number as a JSON pair of full-precision Python floats."""
    z = complex(z)
    return [float(z.real), float(z.imag)]


def stable_seed(name):
    """A deterministic per-circuit simulator seed derived from its name."""
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def dump_json(obj):
    """JSON text with full float precision (json writes floats with repr) and
    flat number lists -- [re, im] pairs, params -- kept on one line, so the
    files stay readable and diffable."""
    text = json.dumps(obj, indent=1, ensure_ascii=True, allow_nan=False)
    num = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
    flat = re.compile(r"\[\s*(" + num + r"(?:,\s*" + num + r")*)\s*\]")
    text = flat.sub(lambda m: "[" + re.sub(r",\s*", ", ", m.group(1)) + "]", text)
    return text + "\n"


def write_text(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def canonical_dumps(circuit):
    """qasm2.dumps, with the id()-based gate-name suffixes made deterministic.

    When two different gate objects share a name (e.g. C3XGate and C4XGate are
    both called "mcx", or two MCPhaseGates with different angles), dumps
    renames all but the first to ``<name>_<id(gate)>``.  id() changes from run
    to run, so we rename ``<name>_<digits>`` to ``<name>_1``, ``<name>_2``, ...
    in order of first definition.  Purely cosmetic: a consistent renaming of a
    user gate does not change the program.
    """
    text = qasm2.dumps(circuit)
    mapping = {}
    counters = {}
    for match in re.finditer(r"^gate ([A-Za-z][A-Za-z0-9_]*?)_(\d{6,})\b", text, re.M):
        old = f"{match.group(1)}_{match.group(2)}"
        if old in mapping:
            continue
        base = match.group(1)
        k = counters.get(base, 0)
        while True:
            k += 1
            new = f"{base}_{k}"
            if not re.search(r"\b" + re.escape(new) + r"\b", text):
                break
        counters[base] = k
        mapping[old] = new
    for old, new in mapping.items():
        text = re.sub(r"\b" + re.escape(old) + r"\b", new, text)
    return text


# ---------------------------------------------------------------------------
# 1. Gates
# ---------------------------------------------------------------------------

# (Verdant name, factory(*params) -> Qiskit gate, list of parameter tuples).
# Parameterised gates get two entries with irregular, mixed-sign angles.
GATE_TABLE = [
    ("id", IGate, [()]),
    ("x", XGate, [()]),
    ("y", YGate, [()]),
    ("z", ZGate, [()]),
    ("h", HGate, [()]),
    ("s", SGate, [()]),
    ("sdg", SdgGate, [()]),
    ("t", TGate, [()]),
    ("tdg", TdgGate, [()]),
    ("sx", SXGate, [()]),
    ("sxdg", SXdgGate, [()]),
    ("rx", RXGate, [(0.3719,), (-2.118,)]),
    ("ry", RYGate, [(1.0472,), (-0.2897,)]),
    ("rz", RZGate, [(2.7183,), (-1.4142,)]),
    ("p", PhaseGate, [(0.6931,), (-3.0011,)]),
    ("u1", U1Gate, [(1.2345,), (-0.5772,)]),
    ("u2", U2Gate, [(0.4417, -1.9031), (-2.7183, 0.5772)]),
    ("u", UGate, [(1.1235, -0.4142, 2.2361), (-0.866, 2.732, -1.7321)]),
    ("u3", U3Gate, [(2.0501, 0.7311, -1.2566), (-1.3333, -2.2222, 0.1111)]),
    ("cx", CXGate, [()]),
    ("cy", CYGate, [()]),
    ("cz", CZGate, [()]),
    ("ch", CHGate, [()]),
    ("cs", CSGate, [()]),
    ("csdg", CSdgGate, [()]),
    ("csx", CSXGate, [()]),
    ("swap", SwapGate, [()]),
    ("iswap", iSwapGate, [()]),
    ("dcx", DCXGate, [()]),
    ("cp", CPhaseGate, [(0.8123,), (-2.4567,)]),
    ("cu1", CU1Gate, [(1.9021,), (-0.3183,)]),
    ("crx", CRXGate, [(0.3719,), (-2.118,)]),
    ("cry", CRYGate, [(1.6180,), (-0.7071,)]),
    ("crz", CRZGate, [(2.2222,), (-1.1111,)]),
    ("cu", CUGate, [(0.9273, -1.3181, 2.0444, -0.6931),
                    (-2.5133, 0.3333, -0.1234, 1.618)]),
    ("cu3", CU3Gate, [(1.4142, -0.7854, 2.3562), (-0.5236, 1.0472, -2.0944)]),
    ("rxx", RXXGate, [(0.4321,), (-1.8765,)]),
    ("ryy", RYYGate, [(2.9012,), (-0.1357,)]),
    ("rzz", RZZGate, [(1.2468,), (-2.9753,)]),
    ("rzx", RZXGate, [(0.5555,), (-1.0987,)]),
    ("ecr", ECRGate, [()]),
    ("ccx", CCXGate, [()]),
    ("cswap", CSwapGate, [()]),
    ("rccx", RCCXGate, [()]),
    ("rc3x", RC3XGate, [()]),
    ("c3x", C3XGate, [()]),
    ("c3sqrtx", C3SXGate, [()]),
    ("c4x", C4XGate, [()]),
    ("mcx", lambda: MCXGate(3), [()]),
    ("mcx", lambda: MCXGate(4), [()]),
    ("mcx", lambda: MCXGate(5), [()]),
    ("mcp", lambda lam: MCPhaseGate(lam, 2), [(0.7391,), (-2.0189,)]),
    ("mcp", lambda lam: MCPhaseGate(lam, 3), [(1.3579,), (-0.2468,)]),
    ("mcp", lambda lam: MCPhaseGate(lam, 4), [(2.6180,), (-1.5585,)]),
    ("mcz", lambda: ZGate().control(2), [()]),
    ("mcz", lambda: ZGate().control(3), [()]),
]


def gate_entry(name, factory, params):
    gate = factory(*params)
    matrix = Operator(gate).data
    dim = 2 ** gate.num_qubits
    assert matrix.shape == (dim, dim)
    # Sanity: every matrix must be unitary.
    assert np.allclose(matrix.conj().T @ matrix, np.eye(dim), atol=1e-12), name
    num_controls = gate.num_ctrl_qubits if isinstance(gate, ControlledGate) else 0
    return {
        "name": name,
        "qiskit_name": gate.name,
        "params": [float(p) for p in params],
        "num_qubits": gate.num_qubits,
        "num_controls": num_controls,
        "matrix": [[cnum(z) for z in row] for row in matrix],
    }


def build_gates():
    entries = []
    for name, factory, param_sets in GATE_TABLE:
        for params in param_sets:
            entries.append(gate_entry(name, factory, params))
    return {"generator": GENERATOR, "gates": entries}


# ---------------------------------------------------------------------------
# 2. Circuits: QASM text builders
# ---------------------------------------------------------------------------

HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def qasm(body):
    """Hand-written program: header + body (trailing spaces removed)."""
    lines = [line.rstrip() for line in body.strip("\n").splitlines()]
    return HEADER + "\n".join(lines) + "\n"


def qft_lines(n, reg="q"):
    """QFT with final swaps, equal to Qiskit's QFTGate(n) (checked below)."""
    out = []
    for j in reversed(range(n)):
        out.append(f"h {reg}[{j}];")
        for k in reversed(range(j)):
            out.append(f"cp(pi/{2 ** (j - k)}) {reg}[{j}],{reg}[{k}];")
    for i in range(n // 2):
        out.append(f"swap {reg}[{i}],{reg}[{n - 1 - i}];")
    return out


def iqft_lines(n, reg="q"):
    """Inverse of qft_lines: the same gates reversed with negated angles."""
    out = []
    for i in range(n // 2):
        out.append(f"swap {reg}[{i}],{reg}[{n - 1 - i}];")
    for j in range(n):
        for k in range(j):
            out.append(f"cp(-pi/{2 ** (j - k)}) {reg}[{j}],{reg}[{k}];")
        out.append(f"h {reg}[{j}];")
    return out


def check_qft_construction():
    """Our hand-written QFT must equal Qiskit's QFTGate exactly (incl. phase)."""
    for n in range(2, 7):
        for lines, ref in ((qft_lines(n), QFTGate(n)), (iqft_lines(n), QFTGate(n).inverse())):
            text = HEADER + f"qreg q[{n}];\n" + "\n".join(lines) + "\n"
            got = Operator(qasm2.loads(text, **LOAD_KW)).data
            assert np.allclose(got, Operator(ref).data, atol=1e-12), f"QFT {n} mismatch"


def qft_circuit(n):
    prep = ["x q[0];", "ry(0.7) q[1];", "rz(1.1) q[1];", f"x q[{n - 1}];"]
    if n >= 5:
        prep.append("h q[3];")
    body = [f"qreg q[{n}];", "// input state preparation"] + prep + ["// QFT (with final swaps)"] + qft_lines(n)
    return HEADER + "\n".join(body) + "\n"


def iqft_circuit(n, k):
    """Prepare the Fourier state of |k>, then the inverse QFT gives |k>."""
    N = 2 ** n
    body = [f"qreg q[{n}];", f"// Fourier state of |{k}> built from h and p(2*pi*k*2^j/N)"]
    for j in range(n):
        body.append(f"h q[{j}];")
        body.append(f"p(2*pi*{k}*{2 ** j}/{N}) q[{j}];")
    body.append("// inverse QFT (swaps first)")
    body += iqft_lines(n)
    return HEADER + "\n".join(body) + "\n"


def ghz_circuit(n, measure=False):
    body = [f"qreg q[{n}];"] + ([f"creg c[{n}];"] if measure else []) + ["h q[0];"]
    body += [f"cx q[{i}],q[{i + 1}];" for i in range(n - 1)]
    if measure:
        body.append("measure q -> c;")
    return HEADER + "\n".join(body) + "\n"


def random_qasm(n, depth, max_operands, seed, extras=None, second_seed=None, **kw):
    """random_circuit(...) [+ explicit extra gates + a second random block],
    exported with qasm2.dumps (which writes `gate` definitions for gates that
    are not in qelib1.inc)."""
    qc = random_circuit(n, depth, max_operands=max_operands, seed=seed, **kw)
    if extras:
        for gate, qubits in extras:
            qc.append(gate, qubits)
    if second_seed is not None:
        qc.compose(random_circuit(n, depth, max_operands=max_operands, seed=second_seed),
                   inplace=True)
    text = canonical_dumps(qc)
    return text, qc


# Hand-written programs ------------------------------------------------------

GROVER2 = qasm("""
// Grover search, 2 qubits, marked state |11>; one iteration finds it with p=1
qreg q[2];
creg c[2];
h q;
// oracle: phase flip on |11>
cz q[0],q[1];
// diffusion operator
h q;
x q;
cz q[0],q[1];
x q;
h q;
measure q -> c;
""")

GROVER3 = qasm("""
// Grover search, 3 qubits, marked state |101> (q0=1, q1=0, q2=1), two iterations
gate oracle101 a, b, c { x b; h c; ccx a, b, c; h c; x b; }
gate diffuse a, b, c {
  h a; h b; h c;
  x a; x b; x c;
  h c; ccx a, b, c; h c;
  x a; x b; x c;
  h a; h b; h c;
}
qreg q[3];
creg c[3];
h q;
oracle101 q[0], q[1], q[2];
diffuse q[0], q[1], q[2];
oracle101 q[0], q[1], q[2];
diffuse q[0], q[1], q[2];
barrier q;
measure q -> c;
""")

USER_GATE_PARAMS = qasm("""
// user gates with parameters and arithmetic (+ - * / ^, unary minus, pi, functions)
gate rot2(theta, phi) a, b {
  ry(theta / 2) a;
  rz(-phi * 2 + pi / 4) b;
  cx a, b;
  u3(sin(theta), cos(phi) ^ 2, -tan(theta / 3)) b;
}
gate ent(alpha) a, b, c {
  rx(exp(alpha) - 1) a;
  cu1(ln(2 + alpha)) a, c;
  crz(sqrt(alpha ^ 2 + 1)) c, b;
  u2(alpha * pi, -alpha / pi) c;
  cx b, a;
}
qreg q[3];
x q[1];
rot2(0.7, -1.3) q[0], q[2];
ent(0.42) q[2], q[0], q[1];
rot2(-pi / 5, 2 * 0.61) q[1], q[0];
ent(-0.37) q[0], q[1], q[2];
""")

USER_GATE_NESTED = qasm("""
// nested user gates; parameters are expressions of the caller's parameters;
// bodies use the builtins U and CX; an empty-bodied gate; a gate defined but unused
gate nop a { }
gate unused(t) a { rx(t) a; }
gate myu(theta, phi, lambda) a { U(theta, phi, lambda) a; }
gate bell2 a, b { myu(pi / 2, 0, pi) a; CX a, b; }
gate layer(t) a, b, c {
  bell2 a, b;
  myu(t, -t / 2, t ^ 2) c;
  nop b;
  CX b, c;
}
gate deep(s, t) a, b, c {
  layer(s + t) a, b, c;
  layer(s * t - pi / 7) c, a, b;
  myu(-(s - t) / 3, sin(s) * cos(t), exp(-t)) b;
}
qreg q[4];
deep(0.25, -0.9) q[2], q[0], q[1];
layer(1.1) q[3], q[2], q[1];
deep(-pi / 9, sqrt(3)) q[0], q[3], q[2];
""")

EXPR_FUNCTIONS = qasm("""
// top-level gate arguments using every OpenQASM 2 function and operator
qreg q[2];
h q[0];
h q[1];
rx(pi / 3 + sin(0.5)) q[0];
ry(cos(pi / 5) * 2 - 0.25) q[1];
rz(tan(0.3) ^ 2) q[0];
u3(exp(-0.5), ln(3.5), sqrt(2) / 2) q[1];
p(-(pi - 1.25) / 3) q[0];
u2(-pi / 4, 2 ^ 0.5) q[1];
cu1(-0.5 * pi) q[0], q[1];
crx(1.5e-1 * 4) q[1], q[0];
u1(.5) q[0];
u1(5.) q[1];
rz(1E-1) q[0];
""")

EXPR_PRECEDENCE = qasm("""
// operator precedence / associativity exactly as Qiskit's qasm2 parser reads it:
//   a^b^c = a^(b^c) (right-assoc);  -a^b = -(a^b);  a/b/c = (a/b)/c;  a-b-c = (a-b)-c;
//   a^-b allowed; -a*-b allowed
qreg q[2];
h q[0];
h q[1];
ry(2 ^ 3 ^ 0.2) q[0];
rz(-pi ^ 2 / 4) q[1];
rx(2 ^ -1) q[0];
ry(-2 * -0.3) q[1];
rz(1 / 2 / 4) q[0];
rx(3 - 2 - 0.5) q[1];
rz(-sin(0.3) ^ 2) q[0];
ry(2 * 3 ^ 2 / 10) q[1];
cx q[0], q[1];
rz(-(-0.5)) q[1];
ry(+1.5 - -0.25) q[0];
""")

MULTI_CONTROLLED = qasm("""
// qelib1 multi-controlled X gates c3x and c4x with ccx and cswap
qreg q[5];
ry(1.1) q[0];
ry(2.0) q[1];
ry(0.9) q[2];
ry(1.7) q[3];
ry(0.6) q[4];
c3x q[0], q[1], q[2], q[4];
t q[3];
c4x q[0], q[1], q[2], q[3], q[4];
ccx q[3], q[4], q[0];
cswap q[4], q[0], q[1];
c4x q[4], q[3], q[1], q[0], q[2];
""")

RELATIVE_PHASE = qasm("""
// relative-phase Toffolis (rccx, rc3x) and the controlled-sqrt(X) c3sqrtx
qreg q[5];
h q;
t q[1];
s q[3];
rx(0.5) q[4];
rccx q[0], q[1], q[2];
rc3x q[0], q[1], q[2], q[3];
c3sqrtx q[1], q[2], q[3], q[4];
rc3x q[4], q[3], q[2], q[0];
c3sqrtx q[0], q[2], q[4], q[1];
rccx q[4], q[2], q[3];
""")

LEGACY_GATES = qasm("""
// builtins U and CX, the legacy u0 (identity, integer argument), id, u1/u2/u3, cu1, cu3
qreg q[3];
U(0.3, -0.4, 1.1) q[0];
U(pi / 2, 0, pi) q[1];
CX q[0], q[1];
u0(1) q[2];
u1(0.7) q[0];
u2(-0.3, 1.2) q[2];
u3(1.9, 0.2, -2.4) q[1];
id q[0];
cu1(-1.05) q[1], q[2];
cu3(0.8, -0.6, 2.1) q[2], q[0];
CX q[2], q[0];
u0(2) q[0];
""")

BARRIER = qasm("""
// barriers on whole registers, single qubits and mixtures; they do nothing
qreg a[2];
qreg b[2];
h a[0];
barrier a;
cx a[0], b[1];
barrier a[1], b;
rz(0.3) b[1];
barrier a, b;
ry(0.4) a[1];
barrier b[0];
h b[0];
barrier a[0], a[1], b[0], b[1];
cx b[0], a[1];
""")

MULTIREG_BROADCAST = qasm("""
// several quantum registers; register broadcasting (reg,reg pairwise; qubit,reg)
qreg a[3];
qreg b[3];
qreg anc[2];
h a;
cx a, b;
rz(0.3) b;
ry(-0.8) anc;
cx a[0], b;
crz(1.2) anc[1], a;
ccx a[0], b[1], anc;
swap a, b;
u3(0.4, 0.5, 0.6) anc[0];
cu3(0.1, 0.2, 0.3) anc[0], b;
""")

MULTIREG_MEASURE = qasm("""
// several quantum and classical registers; key order is "flag cb ca"
// (last-declared register leftmost, highest bit leftmost within a register)
qreg a[2];
qreg b[3];
creg ca[2];
creg cb[3];
creg flag[1];
x a[0];
h b[1];
ry(1.1) b[2];
cx b[1], a[1];
crx(0.9) a[1], b[0];
measure a[0] -> flag[0];
measure a[1] -> ca[0];
measure b -> cb;
""")

PARTIAL_MEASURE = qasm("""
// only two of four qubits are measured, into crossed clbits
qreg q[4];
creg c[2];
h q[0];
cx q[0], q[1];
ry(1.3) q[2];
cx q[2], q[3];
h q[3];
cry(0.7) q[1], q[3];
measure q[3] -> c[0];
measure q[1] -> c[1];
""")

BELL = HEADER + """qreg q[2];
creg c[2];
h q[0];
cx q[0],q[1];
measure q -> c;
"""

MEASURE_SAME_CLBIT = qasm("""
// two terminal measurements into the same clbit: the later one wins
qreg q[2];
creg c[1];
x q[1];
h q[0];
measure q[0] -> c[0];
measure q[1] -> c[0];
""")

MID_MEASURE = qasm("""
// mid-circuit measurement followed by more gates on the measured qubit
qreg q[2];
creg c[3];
h q[0];
measure q[0] -> c[0];
h q[0];
cx q[0], q[1];
ry(0.9) q[1];
measure q[0] -> c[1];
rx(0.4) q[0];
measure q[1] -> c[2];
measure q[0] -> c[0];
""")

RESET_MID = qasm("""
// reset of entangled qubits in the middle of the circuit
qreg q[3];
creg c[3];
h q[0];
cx q[0], q[1];
ry(0.7) q[2];
reset q[0];
ry(0.8) q[0];
cx q[1], q[2];
reset q[1];
h q[1];
measure q -> c;
""")

RESET_REGISTER = qasm("""
// reset of a whole register after entangling it
qreg q[3];
creg c[3];
h q;
cx q[0], q[2];
rx(0.3) q[1];
reset q;
x q[1];
h q[2];
measure q -> c;
""")

TELEPORT = qasm("""
// teleportation of u3(1.234, 0.5, -0.7)|0> from q[0] to q[2], two 1-bit registers
qreg q[3];
creg m0[1];
creg m1[1];
creg out[1];
u3(1.234, 0.5, -0.7) q[0];
h q[1];
cx q[1], q[2];
barrier q;
cx q[0], q[1];
h q[0];
measure q[0] -> m0[0];
measure q[1] -> m1[0];
if(m1==1) x q[2];
if(m0==1) z q[2];
measure q[2] -> out[0];
""")

ACTIVE_RESET = qasm("""
// active reset: measure, flip back if 1, measure again (r is always 0)
qreg q[1];
creg c[1];
creg r[1];
rx(1.9) q[0];
measure q[0] -> c[0];
if(c==1) x q[0];
measure q[0] -> r[0];
""")

REPEAT_UNTIL_SUCCESS = qasm("""
// repeat pattern: on failure (a==1) reset and retry once; f is always 0
qreg q[1];
creg a[1];
creg b[1];
creg f[1];
h q[0];
measure q[0] -> a[0];
if(a==1) x q[0];
if(a==1) h q[0];
measure q[0] -> b[0];
if(b==1) x q[0];
measure q[0] -> f[0];
""")

COND_MULTIBIT = qasm("""
// conditions on a 3-bit register with values 2, 5, 6, 7 (c is 4..7 after measuring)
qreg q[4];
creg c[3];
creg d[1];
h q[0];
h q[1];
x q[2];
measure q[0] -> c[0];
measure q[1] -> c[1];
measure q[2] -> c[2];
if(c==5) x q[3];
if(c==6) ry(1.1) q[3];
if(c==7) h q[3];
if(c==2) x q[3];
measure q[3] -> d[0];
""")

COND_MISC = qasm("""
// conditional user gate, conditional reset and conditional measure
gate cond_rot(t) a, b { cx a, b; ry(t / 2) b; cx a, b; ry(-t / 2) b; }
qreg q[3];
creg c[2];
creg e[1];
creg f[1];
h q[0];
ry(2.2) q[1];
measure q[0] -> c[0];
measure q[1] -> c[1];
if(c==1) cond_rot(1.3) q[0], q[2];
if(c==3) reset q[1];
if(c==2) x q[2];
if(c==1) measure q[2] -> e[0];
if(c==3) h q[1];
measure q[1] -> c[1];
measure q[2] -> f[0];
""")

ALL_QELIB1_1Q = qasm("""
// every single-qubit gate of qelib1.inc (plus builtin U)
qreg q[2];
h q[0];
ry(0.4) q[1];
id q[0];
x q[1];
y q[0];
z q[1];
h q[1];
s q[0];
sdg q[1];
t q[0];
tdg q[1];
sx q[0];
sxdg q[1];
rx(0.3719) q[0];
ry(-2.118) q[1];
rz(1.234) q[0];
p(-0.777) q[1];
u1(0.5) q[0];
u2(0.25, -1.5) q[1];
u3(2.1, -0.3, 0.9) q[0];
u(0.6, 1.7, -2.2) q[1];
U(1.0, 2.0, 3.0) q[0];
cx q[0], q[1];
""")

ALL_QELIB1_MULTI = qasm("""
// every multi-qubit gate of qelib1.inc up to three qubits
qreg q[3];
h q[0];
ry(1.2) q[1];
rx(-0.5) q[2];
cx q[0], q[1];
cy q[1], q[2];
cz q[2], q[0];
ch q[0], q[2];
swap q[1], q[2];
crx(0.3) q[0], q[1];
cry(-1.1) q[1], q[2];
crz(2.2) q[2], q[0];
cp(0.9) q[0], q[2];
cu1(-0.4) q[1], q[0];
cu3(0.5, 1.5, -0.5) q[2], q[1];
cu(1.1, -0.2, 0.3, 0.75) q[0], q[1];
csx q[1], q[0];
rxx(0.8) q[0], q[2];
rzz(-1.3) q[1], q[2];
ccx q[0], q[1], q[2];
cswap q[2], q[0], q[1];
rccx q[1], q[2], q[0];
""")

# Deliberately awkward layout: several statements per line, statements split
# over lines, spaces inside brackets and around operators, comments everywhere.
SYNTAX_WHITESPACE = HEADER + """// comment right after the header
qreg   q [ 3 ] ;   // spaces inside the declaration
h q[0]; cx q[0],
   q[1];  // a statement split over two lines
rz( pi / 4 ) q[1] ;ry(
  -0.25
) q[2];
gate   g2 ( a , b )   x1 ,x2
{
  // comment inside a gate body
  rx( a ) x1 ;   cx x1,x2; rz(b)x2;
}
g2(0.5,-0.5)q[2],q[0];
U ( 0.1 , 0.2 , 0.3 ) q [ 1 ] ;
"""


def hand_written():
    """All hand-written circuits: (name, qasm text, notes, hand_distribution)."""
    th = 1.234  # teleported u3 angle
    p_one = math.sin(th / 2) ** 2
    teleport_dist = {}
    for m0 in (0, 1):
        for m1 in (0, 1):
            teleport_dist[f"0 {m1} {m0}"] = 0.25 * (1 - p_one)
            teleport_dist[f"1 {m1} {m0}"] = 0.25 * p_one
    ar = math.sin(1.9 / 2) ** 2
    s6 = math.sin(1.1 / 2) ** 2
    cond_multibit = {
        "0 100": 0.25,
        "1 101": 0.25,
        "0 110": 0.25 * (1 - s6), "1 110": 0.25 * s6,
        "0 111": 0.125, "1 111": 0.125,
    }
    return [
        ("grover2", GROVER2, "Grover, 2 qubits, marked |11>, 1 iteration; outcome 11 with probability 1", None),
        ("grover3", GROVER3, "Grover, 3 qubits, marked |101>, 2 iterations with user gates oracle101/diffuse; P(101)=121/128", None),
        ("user_gate_params", USER_GATE_PARAMS, "user gates with parameters; + - * / ^, unary minus, pi, sin cos tan exp ln sqrt inside gate bodies", None),
        ("user_gate_nested", USER_GATE_NESTED, "nested user gates 3 levels deep, expressions of caller parameters, U/CX in bodies, empty body, unused definition, parameter named lambda", None),
        ("expr_functions", EXPR_FUNCTIONS, "every function/operator in top-level arguments; number formats .5, 5., 1E-1, 1.5e-1", None),
        ("expr_precedence", EXPR_PRECEDENCE, "precedence as Qiskit reads it: ^ right-assoc (2^3^0.2 = 2^(3^0.2)), -a^b = -(a^b), left-assoc / and -, a^-b, -a*-b, unary +", None),
        ("multi_controlled_x", MULTI_CONTROLLED, "qelib1 c3x and c4x on unequal superpositions, with ccx and cswap", None),
        ("relative_phase", RELATIVE_PHASE, "rccx, rc3x (relative-phase Toffolis) and c3sqrtx on a superposition with phases", None),
        ("legacy_gates", LEGACY_GATES, "builtin U and CX, u0 (identity; Qiskit requires an integer argument), id, u1/u2/u3, cu1, cu3", None),
        ("barrier", BARRIER, "barrier on registers, single qubits and mixtures of both", None),
        ("multireg_broadcast", MULTIREG_BROADCAST, "three quantum registers (8 qubits); broadcasting of register arguments (reg,reg pairwise and qubit,reg)", None),
        ("multireg_measure", MULTIREG_MEASURE, "2 qregs, 3 cregs; measurements crossing registers; key order 'flag cb ca'; ca[1] never written (always 0)", None),
        ("partial_measure", PARTIAL_MEASURE, "only q[3]->c[0] and q[1]->c[1] are measured; q[0], q[2] unmeasured", None),
        ("bell", BELL, "Bell state h; cx; measure q -> c: 00 and 11 with probability 1/2", None),
        ("measure_same_clbit", MEASURE_SAME_CLBIT, "two terminal measurements write the same clbit; the later (q[1]=1) wins, so '1' with probability 1", {"1": 1.0}),
        ("mid_measure", MID_MEASURE, "mid-circuit measurement followed by gates on the measured qubit and a re-measurement overwriting c[0]", None),
        ("reset_mid", RESET_MID, "reset of entangled qubits in the middle of the circuit", None),
        ("reset_register", RESET_REGISTER, "reset q; of a whole register after entangling it; then x q[1], h q[2]", {"010": 0.5, "110": 0.5}),
        ("teleport", TELEPORT, "teleportation with two 1-bit registers m0, m1 and if(m1==1) x / if(m0==1) z; key 'out m1 m0'; P(out=1)=sin^2(1.234/2)", teleport_dist),
        ("active_reset", ACTIVE_RESET, "active reset: measure, if(c==1) x, measure again; key 'r c'; r always 0", {"0 0": 1 - ar, "0 1": ar}),
        ("repeat_until_success", REPEAT_UNTIL_SUCCESS, "repeat pattern: conditional reset+retry; key 'f b a'", {"0 0 0": 0.5, "0 0 1": 0.25, "0 1 1": 0.25}),
        ("cond_multibit", COND_MULTIBIT, "conditions on a 3-bit register with values 2 (never true), 5, 6, 7; key 'd c'", cond_multibit),
        ("cond_misc", COND_MISC, "conditional user gate, conditional reset, conditional measure; key 'f e c'", None),
        ("all_qelib1_1q", ALL_QELIB1_1Q, "every single-qubit gate of qelib1.inc and builtin U", None),
        ("all_qelib1_multi", ALL_QELIB1_MULTI, "every 2- and 3-qubit gate of qelib1.inc: cx cy cz ch swap crx cry crz cp cu1 cu3 cu csx rxx rzz ccx cswap rccx", None),
        ("syntax_whitespace", SYNTAX_WHITESPACE, "lexer robustness: statements split across lines, several per line, spaces in brackets, comments inside a gate body", None),
    ]


def build_circuit_specs():
    """Every circuit as a dict: name, text, notes, hand (exact dist or None).

    Also returns the in-memory random circuits so we can check dumps->load
    round-trips them faithfully."""
    specs = []
    originals = {}

    def add(name, text, notes, hand=None):
        specs.append({"name": name, "text": text, "notes": notes, "hand": hand})

    # QFT family (our construction is checked against QFTGate first).
    check_qft_construction()
    for n in (3, 4, 5, 6):
        add(f"qft{n}", qft_circuit(n),
            f"QFT on {n} qubits with final swaps (cp(pi/2^k)), after x/ry/rz/h input preparation")
    add("iqft4", iqft_circuit(4, 11),
        "inverse QFT on 4 qubits applied to the Fourier state of |11> (p(2*pi*k*2^j/N)); result is |11> = |1011>")
    add("iqft6", iqft_circuit(6, 37),
        "inverse QFT on 6 qubits applied to the Fourier state of |37>; result is |37> = |100101>")

    # GHZ family.
    for n in (3, 5, 8):
        add(f"ghz{n}", ghz_circuit(n), f"GHZ state on {n} qubits (h + cx chain)")
    add("ghz5_measured", ghz_circuit(5, measure=True), "GHZ on 5 qubits with measure q -> c: 00000 and 11111")

    # Hand-written circuits.
    for name, text, notes, hand in hand_written():
        add(name, text, notes, hand)

    # Random circuits (qiskit.circuit.random.random_circuit + qasm2.dumps).
    random_specs = [
        # name, n, depth, max_operands, seed, extras, second_seed, extra kwargs
        ("rand_3q_s11", 3, 6, 3, 11, None, None, {}),
        ("rand_3q_s23", 3, 8, 2, 23, None, None, {}),
        ("rand_3q_s97", 3, 5, 3, 97, None, None, {}),
        ("rand_4q_s37", 4, 5, 3, 37, None, None, {}),
        ("rand_4q_s41", 4, 6, 2, 41, None, None, {}),
        ("rand_4q_s101", 4, 4, 3, 101, None, None, {}),
        ("rand_5q_s53", 5, 5, 3, 53, None, None, {}),
        ("rand_5q_s67", 5, 4, 2, 67, None, None, {}),
        ("rand_5q_s113", 5, 6, 3, 113, None, None, {}),
        ("rand_6q_s71", 6, 4, 3, 71, None, None, {}),
        ("rand_6q_s89", 6, 5, 2, 89, None, None, {}),
        ("rand_6q_s127", 6, 3, 3, 127, None, None, {}),
        ("rand_4q_extras_a", 4, 3, 3, 131,
         [(iSwapGate(), [0, 1]), (ECRGate(), [2, 3]), (RYYGate(0.8123), [1, 2]),
          (RZXGate(-1.2345), [3, 0]), (DCXGate(), [0, 2]), (CSGate(), [1, 3]),
          (CSdgGate(), [2, 0]), (ECRGate(), [1, 0])],
         137, {}),
        ("rand_5q_extras_b", 5, 3, 3, 139,
         [(RXXGate(0.4321), [0, 4]), (RZZGate(-2.2), [1, 3]),
          (CUGate(0.9273, -1.3181, 2.0444, -0.6931), [2, 1]),
          (RCCXGate(), [0, 1, 2]), (CSwapGate(), [4, 2, 3]), (CSXGate(), [3, 4]),
          (SXdgGate(), [0]), (iSwapGate(), [4, 1]), (RYYGate(-0.3), [0, 3])],
         149, {}),
        ("rand_6q_multicontrol_export", 6, 3, 2, 151,
         [(MCXGate(3), [0, 1, 2, 3]), (C3XGate(), [1, 2, 3, 4]),
          (C4XGate(), [0, 1, 2, 3, 5]), (MCXGate(4), [5, 4, 3, 2, 1]),
          (MCXGate(5), [0, 1, 2, 3, 4, 5]), (MCPhaseGate(0.5123, 3), [0, 1, 2, 3]),
          (MCPhaseGate(-1.777, 2), [5, 3, 1]), (RC3XGate(), [2, 3, 4, 5]),
          (C3SXGate(), [5, 0, 1, 2]), (ZGate().control(3), [1, 3, 5, 0]),
          (ZGate().control(2), [4, 2, 0])],
         157, {}),
        ("rand_4q_measured", 4, 5, 3, 163, None, None, {"measure": True}),
        ("rand_4q_conditional", 4, 6, 2, 7, None, None, {"conditional": True}),
    ]
    for name, n, depth, mo, seed, extras, seed2, kw in random_specs:
        text, qc = random_qasm(n, depth, mo, seed, extras, seed2, **kw)
        notes = f"random_circuit({n}, depth={depth}, max_operands={mo}, seed={seed}"
        notes += "".join(f", {k}=True" for k in kw) + ")"
        if extras:
            notes += " + appended " + ", ".join(g.name for g, _ in extras)
        if seed2 is not None:
            notes += f" + random_circuit(seed={seed2})"
        notes += "; exported with qasm2.dumps"
        if name == "rand_6q_multicontrol_export":
            notes += (" (dumps writes C3XGate/C4XGate/MCXGate all as user gates named mcx, mcx_1, ...;"
                      " RC3XGate as 'rcccx'; C3SXGate as qelib1 'c3sqrtx'; ZGate().control(2/3) as 'ccz'/'c3z';"
                      " MCPhaseGate as 'mcphase' whose body has the angle baked in)")
        add(name, text, notes)
        originals[name] = qc
    return specs, originals


# ---------------------------------------------------------------------------
# 3. Simulation
# ---------------------------------------------------------------------------

def load_file(path):
    return qasm2.load(path, **LOAD_KW)


def classify(qc):
    """'statevector' (no measure/reset/control flow), 'terminal' (measurements
    only at the end of each qubit, no reset, no conditionals) or 'dynamic'."""
    names = [inst.operation.name for inst in qc.data]
    if "if_else" in names or "reset" in names or any(
            isinstance(inst.operation, IfElseOp) for inst in qc.data):
        return "dynamic"
    if "measure" not in names:
        return "statevector"
    measured = set()
    for inst in qc.data:
        name = inst.operation.name
        if name == "barrier":
            continue
        qubits = {qc.find_bit(q).index for q in inst.qubits}
        if measured & qubits:
            return "dynamic"          # something acts on an already-measured qubit
        if name == "measure":
            measured |= qubits
    return "terminal"


def format_key(qc, bits):
    """Qiskit counts key for the clbit values `bits` (list indexed by clbit)."""
    parts = []
    for reg in reversed(qc.cregs):
        parts.append("".join(str(bits[qc.find_bit(b).index]) for b in reversed(reg)))
    return " ".join(parts)


def clean_distribution(dist):
    return {k: float(v) for k, v in sorted(dist.items()) if v >= PROB_CUTOFF}


def terminal_distribution(qc):
    """Exact outcome distribution of a circuit whose measurements are terminal:
    Statevector of the unitary part, marginalised onto the measured qubits and
    mapped to the clbits (unwritten clbits stay 0; later writes win)."""
    unitary = QuantumCircuit(qc.num_qubits)
    meas = []
    for inst in qc.data:
        op = inst.operation
        if op.name == "barrier":
            continue
        qidx = [qc.find_bit(q).index for q in inst.qubits]
        if op.name == "measure":
            meas.append((qidx[0], qc.find_bit(inst.clbits[0]).index))
        else:
            unitary.append(op, qidx)
    probs = Statevector(unitary).probabilities()
    dist = {}
    for idx, p in enumerate(probs):
        if p == 0.0:
            continue
        bits = [0] * qc.num_clbits
        for q, c in meas:
            bits[c] = (idx >> q) & 1
        key = format_key(qc, bits)
        dist[key] = dist.get(key, 0.0) + float(p)
    return clean_distribution(dist)


def exact_branch_distribution(qc):
    """Exact outcome distribution of ANY of our circuits (measure, reset,
    if(c==k)), by enumerating measurement/reset branches of an unnormalised
    statevector.  Independent of Aer; used for the dynamic circuits and as a
    second check of the terminal ones."""
    n = qc.num_qubits
    index = np.arange(2 ** n)
    psi0 = np.zeros(2 ** n, dtype=complex)
    psi0[0] = 1.0
    branches = [(psi0, (0,) * qc.num_clbits)]

    def project(psi, q, b):
        return np.where(((index >> q) & 1) == b, psi, 0.0)

    def run(circ, qmap, cmap, branches):
        for inst in circ.data:
            op = inst.operation
            qs = [qmap[q] for q in inst.qubits]
            cs = [cmap[c] for c in inst.clbits]
            if op.name in ("barrier", "delay"):
                continue
            new = []
            if op.name == "measure":
                for psi, bits in branches:
                    for b in (0, 1):
                        pb = project(psi, qs[0], b)
                        if np.vdot(pb, pb).real > 1e-30:
                            nb = list(bits)
                            nb[cs[0]] = b
                            new.append((pb, tuple(nb)))
            elif op.name == "reset":
                for psi, bits in branches:
                    for b in (0, 1):
                        pb = project(psi, qs[0], b)
                        if np.vdot(pb, pb).real > 1e-30:
                            if b == 1:
                                pb = pb[index ^ (1 << qs[0])]   # flip the qubit to |0>
                            new.append((pb, bits))
            elif isinstance(op, IfElseOp):
                target, value = op.condition
                if hasattr(target, "__len__"):       # a ClassicalRegister
                    cond_bits = [cmap[b] for b in target]
                else:                                # a single Clbit
                    cond_bits = [cmap[target]]
                true_body, false_body = op.blocks[0], (op.blocks[1] if len(op.blocks) > 1 else None)
                for psi, bits in branches:
                    reg_value = sum(bits[c] << i for i, c in enumerate(cond_bits))
                    body = true_body if reg_value == value else false_body
                    if body is None:
                        new.append((psi, bits))
                        continue
                    bq = {bqb: qs[i] for i, bqb in enumerate(body.qubits)}
                    bc = {bcb: cs[i] for i, bcb in enumerate(body.clbits)}
                    new.extend(run(body, bq, bc, [(psi, bits)]))
            else:
                mat = Operator(op)
                for psi, bits in branches:
                    out = Statevector(psi, dims=(2,) * n).evolve(mat, qargs=qs).data
                    new.append((out, bits))
            branches = new
        return branches

    qmap = {q: i for i, q in enumerate(qc.qubits)}
    cmap = {c: i for i, c in enumerate(qc.clbits)}
    dist = {}
    for psi, bits in run(qc, qmap, cmap, branches):
        key = format_key(qc, list(bits))
        dist[key] = dist.get(key, 0.0) + float(np.vdot(psi, psi).real)
    return clean_distribution(dist)


def is_library_gate(op):
    """True for gates that are Qiskit standard-library classes (Aer knows
    their matrices); False for gates defined in the QASM file itself."""
    cls = getattr(op, "base_class", type(op))   # singleton gates report None as module
    return (cls.__module__ or "").startswith("qiskit.circuit.library")


# Standard gates Aer simulates natively; other library gates (rccx, rcccx, ...)
# are expanded into their (exact, phase-correct) Qiskit definitions.
AER_NATIVE = set(AerSimulator(method="statevector").configuration().basis_gates)


def inline_user_gates(qc):
    """Replace every file-defined gate (and the legacy u0) by its definition,
    recursively, also inside if-bodies.  This is pure macro expansion: it does
    not change the program.

    We do NOT use transpile() for this: the BasisTranslator looks gates up by
    name in Qiskit's equivalence library, so a file that defines its own
    `gate ecr ...` (as qasm2.dumps writes it: e^{i pi/4} times Qiskit's
    ECRGate) would be translated with Qiskit's ECR and lose that global phase.
    Aer would likewise use its built-in matrix for any user gate whose name it
    knows, and cannot run user gates inside an if-body at all."""
    out = qc.copy_empty_like()
    for inst in qc.data:
        op = inst.operation
        if isinstance(op, IfElseOp):
            op = op.replace_blocks([inline_user_gates(b) if b is not None else None
                                    for b in op.blocks])
            out.append(op, inst.qubits, inst.clbits)
        elif op.name in ("measure", "reset", "barrier") or (
                is_library_gate(op) and op.name in AER_NATIVE):
            out.append(op, inst.qubits, inst.clbits)
        else:
            body = inline_user_gates(op.definition)
            out.global_phase += body.global_phase
            out.compose(body, qubits=list(inst.qubits), clbits=list(inst.clbits), inplace=True)
    return out


def aer_prepare(qc):
    prepared = inline_user_gates(qc)
    assert all(i.operation.name in AER_NATIVE or i.operation.name in
               ("measure", "reset", "barrier", "if_else") for i in prepared.data)
    return prepared


def aer_counts(qc, seed):
    sim = AerSimulator(method="statevector")
    result = sim.run(aer_prepare(qc), shots=SHOTS, seed_simulator=seed).result()
    return dict(sorted(result.get_counts().items()))


def aer_statevector(qc):
    t = aer_prepare(qc)
    t.save_statevector()
    sim = AerSimulator(method="statevector")
    return np.asarray(sim.run(t, shots=1, seed_simulator=0).result().get_statevector())


def check_counts_against(dist, counts, shots, label):
    """Per-outcome statistical test (6 sigma) of Aer counts vs exact probabilities."""
    assert sum(counts.values()) == shots, f"{label}: counts do not sum to shots"
    for key in set(dist) | set(counts):
        p = dist.get(key, 0.0)
        f = counts.get(key, 0) / shots
        if p < PROB_CUTOFF:
            assert counts.get(key, 0) == 0, f"{label}: impossible outcome {key} observed"
            continue
        tol = 6 * math.sqrt(p * (1 - p) / shots) + 7.0 / shots
        assert abs(f - p) <= tol, f"{label}: outcome {key}: freq {f} vs p {p}"


def same_distribution(a, b, atol=1e-12):
    keys = set(a) | set(b)
    return all(abs(a.get(k, 0.0) - b.get(k, 0.0)) <= atol for k in keys)


def simulate(name, qc, hand=None):
    """Compute the JSON result fields for a loaded circuit."""
    kind = classify(qc)
    rec = {"kind": kind, "statevector": None, "distribution": None,
           "counts": None, "shots": None, "seed": None}
    if kind == "statevector":
        sv = Statevector(qc).data
        aer_sv = aer_statevector(qc)
        assert np.allclose(sv, aer_sv, atol=1e-10), f"{name}: Aer statevector differs"
        rec["statevector"] = [cnum(z) for z in sv]
        return rec
    seed = stable_seed(name)
    counts = aer_counts(qc, seed)
    exact = exact_branch_distribution(qc)
    if kind == "terminal":
        dist = terminal_distribution(qc)
        assert same_distribution(dist, exact), f"{name}: marginal vs branch distribution"
    else:
        dist = exact
    if hand is not None:
        assert same_distribution(dist, clean_distribution(hand)), f"{name}: hand distribution differs"
    check_counts_against(dist, counts, SHOTS, name)
    rec.update({"distribution": dist, "counts": counts, "shots": SHOTS, "seed": seed})
    return rec


# ---------------------------------------------------------------------------
# 4. Generation
# ---------------------------------------------------------------------------

REQUIRED_RANDOM_GATES = ["iswap", "ecr", "ryy", "rzx", "dcx", "cs", "csdg", "rxx",
                         "rzz", "cu", "rccx", "cswap", "csx", "sxdg"]


def gate_names_in(text):
    """Names of all gates applied at top level or inside gate bodies."""
    names = set()
    for stmt in re.split(r"[;{}]", text):
        m = re.match(r"\s*(?:if\s*\([^)]*\)\s*)?([A-Za-z][A-Za-z0-9_]*)", stmt)
        if m:
            names.add(m.group(1))
    return names


def generate():
    os.makedirs(CIRCUIT_DIR, exist_ok=True)
    write_text(GATES_JSON, dump_json(build_gates()))

    specs, originals = build_circuit_specs()
    names = [s["name"] for s in specs]
    assert len(names) == len(set(names)), "duplicate circuit names"

    # Coverage check for the gates the random circuits must exercise.
    random_text = "".join(s["text"] for s in specs if s["name"].startswith("rand_"))
    used = gate_names_in(random_text)
    missing = [g for g in REQUIRED_RANDOM_GATES if g not in used]
    assert not missing, f"random circuits miss gates {missing}"

    # Remove stale .qasm files from earlier runs.
    for fname in os.listdir(CIRCUIT_DIR):
        if fname.endswith(".qasm") and fname[:-5] not in names:
            os.remove(os.path.join(CIRCUIT_DIR, fname))

    records = []
    for spec in specs:
        name, text = spec["name"], spec["text"]
        assert text.startswith(HEADER), name
        rel = f"circuits/{name}.qasm"
        path = os.path.join(HERE, rel)
        write_text(path, text)
        qc = load_file(path)                      # simulate the FILE, not the builder
        assert qc.num_qubits <= 8, name
        if name in originals:                     # dumps -> load must be faithful
            orig = originals[name]
            if classify(orig) == "statevector":
                assert Operator(orig).equiv(Operator(qc)), f"{name}: dumps round-trip"
        rec = simulate(name, qc, spec["hand"])
        records.append({
            "name": name,
            "file": rel,
            "num_qubits": qc.num_qubits,
            "num_clbits": qc.num_clbits,
            "kind": rec["kind"],
            "statevector": rec["statevector"],
            "distribution": rec["distribution"],
            "counts": rec["counts"],
            "shots": rec["shots"],
            "seed": rec["seed"],
            "notes": spec["notes"],
        })

    # Extra sanity checks on well-known results.
    by_name = {r["name"]: r for r in records}
    for name, k in (("iqft4", 11), ("iqft6", 37)):
        amp = by_name[name]["statevector"][k]
        assert abs(complex(*amp)) > 1 - 1e-12, f"{name} should give |{k}>"
    assert abs(by_name["grover2"]["distribution"]["11"] - 1) < 1e-12
    assert abs(by_name["grover3"]["distribution"]["101"] - 121 / 128) < 1e-12
    assert same_distribution(by_name["bell"]["distribution"], {"00": 0.5, "11": 0.5})
    for n in (3, 5, 8):
        sv = by_name[f"ghz{n}"]["statevector"]
        assert abs(sv[0][0] - 2 ** -0.5) < 1e-12 and abs(sv[-1][0] - 2 ** -0.5) < 1e-12

    write_text(CIRCUITS_JSON, dump_json({"generator": GENERATOR, "circuits": records}))
    return records


# ---------------------------------------------------------------------------
# 5. Verification of the files on disk (fresh load, fresh simulation)
# ---------------------------------------------------------------------------

def verify():
    with open(GATES_JSON, encoding="utf-8") as fh:
        gates = json.load(fh)
    table = {}
    for name, factory, param_sets in GATE_TABLE:
        for params in param_sets:
            table.setdefault(name, []).append((factory, params))
    seen = {}
    for entry in gates["gates"]:
        i = seen.get(entry["name"], 0)
        seen[entry["name"]] = i + 1
        factory, params = table[entry["name"]][i]
        assert [float(p) for p in params] == entry["params"]
        gate = factory(*params)
        mat = np.array([[complex(re_, im_) for re_, im_ in row] for row in entry["matrix"]])
        assert np.array_equal(mat, Operator(gate).data), entry["name"]
        assert entry["num_qubits"] == gate.num_qubits
    assert gates["generator"]["qiskit"] == qiskit.__version__

    with open(CIRCUITS_JSON, encoding="utf-8") as fh:
        data = json.load(fh)
    assert data["generator"]["qiskit_aer"] == qiskit_aer.__version__
    rows = []
    for rec in data["circuits"]:
        path = os.path.join(HERE, rec["file"])
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        assert text.startswith(HEADER), rec["name"]
        qc = load_file(path)
        assert qc.num_qubits == rec["num_qubits"] and qc.num_clbits == rec["num_clbits"]
        kind = classify(qc)
        assert kind == rec["kind"], rec["name"]
        if kind == "statevector":
            sv = np.array([complex(a, b) for a, b in rec["statevector"]])
            assert np.array_equal(sv, Statevector(qc).data), rec["name"]
            assert rec["distribution"] is None and rec["counts"] is None
        else:
            assert rec["statevector"] is None
            assert sum(rec["counts"].values()) == rec["shots"] == SHOTS, rec["name"]
            assert aer_counts(qc, rec["seed"]) == rec["counts"], rec["name"]
            exact = exact_branch_distribution(qc)
            if kind == "terminal":
                assert terminal_distribution(qc) == rec["distribution"], rec["name"]
            assert same_distribution(exact, rec["distribution"]), rec["name"]
            check_counts_against(rec["distribution"], rec["counts"], rec["shots"], rec["name"])
        rows.append((rec["name"], rec["num_qubits"], rec["num_clbits"], kind,
                     len(rec["distribution"] or {})))
    # every .qasm file on disk is described
    on_disk = {f for f in os.listdir(CIRCUIT_DIR) if f.endswith(".qasm")}
    assert on_disk == {os.path.basename(r["file"]) for r in data["circuits"]}

    print(f"{'name':30s} {'qubits':>6s} {'clbits':>6s}  {'kind':12s} outcomes")
    for name, nq, nc, kind, nout in rows:
        print(f"{name:30s} {nq:6d} {nc:6d}  {kind:12s} {nout if nout else ''}")
    kinds = {}
    for row in rows:
        kinds[row[3]] = kinds.get(row[3], 0) + 1
    print(f"\n{len(gates['gates'])} gate entries, {len(rows)} circuits {kinds}")
    digest = hashlib.sha256()
    for p in [GATES_JSON, CIRCUITS_JSON] + sorted(os.path.join(CIRCUIT_DIR, f) for f in on_disk):
        with open(p, "rb") as fh:
            digest.update(fh.read())
    print("sha256 of all fixture files:", digest.hexdigest())
    print("verification OK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verify", action="store_true", help="only verify the existing files")
    args = parser.parse_args()
    print(f"qiskit {qiskit.__version__}, qiskit-aer {qiskit_aer.__version__}, numpy {np.__version__}")
    if not args.verify:
        generate()
    verify()


if __name__ == "__main__":
    sys.exit(main())
