#!/usr/bin/env python3
"""Time Qiskit Aer, Qulacs and qsim on exactly the circuits `verdant bench --suite quantum` times.

Flow (see Benchmarks/README.md):
  1. `swift build -c release` (unless --skip-build / --verdant / --qasm-dir),
  2. `verdant bench --suite quantum --json --export-qasm TMP --qubits .. --threads .. --repeats ..
      --precision both`  -> Verdant's timings (planning and fusion included) + the OpenQASM 2
     files of every circuit it timed, among them the transpiled families (qft-ucx, qft-rzsx,
     qaoa, su2),
  3. for every exported circuit and every thread count, one worker subprocess (so that
     OMP_NUM_THREADS is set before qulacs / Aer are imported, and so that no process ever holds
     two large state vectors) times
       - Qiskit Aer  (statevector, double, fusion on, max_parallel_threads=t),
       - Qulacs      (QuantumCircuitOptimizer, update_quantum_state on a fresh QuantumState),
       - qsim        (qsimcirq, complex64, cpu_threads=t, every max_fused_gate_size of --qsim-sizes;
                      the best is the single-precision anchor),
     and NumPy's in-place `a *= c` on the state's bytes (complex128 and complex64), the streaming
     reference for "÷ sweep",
  4. prints a table with ratios against Verdant and the issue's goals met or not, and writes the
     raw data with the command, date and machine to Benchmarks/results/ (or --out).

`--self-check` verifies the Qiskit -> Qulacs and Qiskit -> cirq (qsim) gate mappings (and Aer)
against qiskit.quantum_info.Statevector on 4-6 qubits from random initial states and exits
non-zero on any mismatch above 1e-10 (Qulacs, Aer) or 1e-5 (qsim, single precision).
"""

import argparse
import gc
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASIS = ["u", "cx", "cp", "swap", "h", "rz", "sx", "x"]
CASE_ORDER = {"qft": 0, "qft-ucx": 1, "qft-rzsx": 2, "random": 3, "qaoa": 4, "su2": 5, "h-first": 6, "h-last": 7,
              "sample": 8}
# The transpiled families of issue 15, and the goals: Double at least GOAL_DOUBLE[n] times faster
# than the faster of Aer and Qulacs, Single at least GOAL_SINGLE[n] times faster than qsim at its
# best fused-gate size; a transpiled QFT at most 1.3x the native QFT's time.
FAMILIES = ["qft-ucx", "qft-rzsx", "random", "qaoa", "su2"]
GOAL = {20: 2.0, 24: 3.0, 26: 3.0}
QFT_GOAL = 1.3
QSIM_TOL = 1e-5
# "sample-<n>.qasm" prepares a state; what is timed is drawing SAMPLE_SHOTS shots from it.
SAMPLE_SHOTS = 100_000
QASM_NAME = re.compile(r"^(?P<case>.+)-(?P<n>\d+)\.qasm$")
TOL = 1e-10


# --------------------------------------------------------------------------------------------
# Circuit loading and the Qiskit -> Qulacs mapping (shared by the worker and the self-check)
# --------------------------------------------------------------------------------------------

def load_circuit(path_or_text, from_text=False):
    """Load an OpenQASM 2 file and lower it to BASIS without any optimisation.

    LEGACY_CUSTOM_INSTRUCTIONS makes the parser use Qiskit's standard gate classes for the
    `gate u/cp/swap ...` definitions Verdant writes (their definitions are identical), so the
    transpile below is a no-op on Verdant's circuits: Aer and Qulacs run exactly the same
    gate list Verdant ran.
    """
    from qiskit import qasm2, transpile

    kwargs = {"custom_instructions": qasm2.LEGACY_CUSTOM_INSTRUCTIONS}
    qc = qasm2.loads(path_or_text, **kwargs) if from_text else qasm2.load(path_or_text, **kwargs)
    qc.remove_final_measurements(inplace=True)
    tqc = transpile(qc, basis_gates=BASIS, optimization_level=0)
    return qc, tqc


def qulacs_circuit(tqc, cp_style="control"):
    """Build a qulacs.QuantumCircuit from a Qiskit circuit in BASIS.

    Conventions (checked by --self-check):
      * qubit order: both Qiskit and Qulacs use qubit 0 = least-significant bit of the
        basis-state index, so qubit indices map 1:1 and state vectors compare element-wise;
      * qulacs.gate.U3(q, theta, phi, lam) has exactly Qiskit's U(theta, phi, lam) matrix;
      * rz(θ) is qulacs.gate.RotZ(q, θ) = exp(-iθZ/2) (qulacs.gate.RZ is exp(+iθZ/2)); sx is
        qulacs.gate.sqrtX; x is qulacs.gate.X;
      * qulacs.gate.CP is NOT a controlled phase (it is a completely-positive map); cp(lam) c,t
        is built as DenseMatrix(t, diag(1, e^{i lam})) + add_control_qubit(c, 1)
        ("control", default) or DiagonalMatrix([c, t], [1, 1, 1, e^{i lam}]) ("diagonal");
      * Qulacs has no global phase; tqc.global_phase is returned for the caller to apply;
      * any other gate falls back to DenseMatrix(qubits, Operator(gate)) — Qulacs' index_list
        order matches Qiskit's (first listed qubit = least-significant bit of the matrix index).
    """
    import numpy as np
    import qulacs
    from qulacs import gate as qg

    circ = qulacs.QuantumCircuit(tqc.num_qubits)
    index = {q: i for i, q in enumerate(tqc.qubits)}
    for inst in tqc.data:
        op = inst.operation
        qs = [index[q] for q in inst.qubits]
        name = op.name
        if name == "barrier":
            continue
        if name in ("measure", "reset") or inst.clbits:
            raise ValueError(f"non-unitary instruction {name!r} in a state-vector benchmark")
        params = [float(p) for p in op.params] if name in ("u", "u3", "cp", "cu1", "rz") else []
        if name == "h":
            circ.add_gate(qg.H(qs[0]))
        elif name == "x":
            circ.add_gate(qg.X(qs[0]))
        elif name == "sx":
            circ.add_gate(qg.sqrtX(qs[0]))  # [[1+i, 1-i], [1-i, 1+i]] / 2, Qiskit's sx
        elif name == "rz":
            circ.add_gate(qg.RotZ(qs[0], params[0]))  # exp(-i θ Z / 2), Qiskit's rz (qg.RZ has the other sign)
        elif name == "cx":
            circ.add_gate(qg.CNOT(qs[0], qs[1]))
        elif name == "swap":
            circ.add_gate(qg.SWAP(qs[0], qs[1]))
        elif name in ("u", "u3"):
            circ.add_gate(qg.U3(qs[0], *params))
        elif name in ("cp", "cu1"):
            phase = complex(math.cos(params[0]), math.sin(params[0]))
            if cp_style == "diagonal":
                circ.add_gate(qg.DiagonalMatrix([qs[0], qs[1]], np.array([1, 1, 1, phase], dtype=complex)))
            else:
                g = qg.DenseMatrix(qs[1], np.array([[1, 0], [0, phase]], dtype=complex))
                g.add_control_qubit(qs[0], 1)
                circ.add_gate(g)
        else:
            from qiskit.quantum_info import Operator

            circ.add_gate(qg.DenseMatrix(qs, np.ascontiguousarray(Operator(op).data)))
    return circ, float(tqc.global_phase)


def qulacs_optimize(circ, mode):
    """mode: 'light' -> optimize_light(circuit); 'blockK' -> optimize(circuit, K); 'none'."""
    from qulacs.circuit import QuantumCircuitOptimizer

    if mode == "none":
        return
    opt = QuantumCircuitOptimizer()
    if mode == "light":
        opt.optimize_light(circ)
    elif mode.startswith("block"):
        opt.optimize(circ, int(mode[len("block"):]))
    else:
        raise ValueError(f"unknown qulacs optimiser mode {mode!r}")


def aer_backend(threads, **extra):
    from qiskit_aer import AerSimulator

    return AerSimulator(method="statevector", precision="double", max_parallel_threads=threads,
                        fusion_enable=True, **extra)


def cirq_circuit(tqc):
    """A cirq circuit with the operator of `tqc` (in BASIS), and the qubit order that makes qubit 0
    the least-significant bit of the state index (cirq's default order is the reverse).

    Gates: cx -> CNOT, h -> H, x -> X, sx -> X**0.5 (= Qiskit's sx), rz(θ) -> cirq.rz(θ)
    (exp(-iθZ/2)), cp(λ) -> CZPowGate(exponent=λ/π), swap -> SWAP, u(θ,φ,λ) and anything else ->
    MatrixGate of Operator(op) with the qubits reversed (cirq's first qubit is the most significant).
    Checked by --self-check against Statevector.
    """
    import cirq

    qs = cirq.LineQubit.range(tqc.num_qubits)
    index = {q: i for i, q in enumerate(tqc.qubits)}
    ops = []
    for inst in tqc.data:
        op = inst.operation
        name = op.name
        idx = [index[q] for q in inst.qubits]
        if name == "barrier":
            continue
        if name in ("measure", "reset") or inst.clbits:
            raise ValueError(f"non-unitary instruction {name!r} in a state-vector benchmark")
        p = [float(x) for x in op.params] if name in ("rz", "cp", "cu1") else []
        if name == "cx":
            ops.append(cirq.CNOT(qs[idx[0]], qs[idx[1]]))
        elif name == "h":
            ops.append(cirq.H(qs[idx[0]]))
        elif name == "x":
            ops.append(cirq.X(qs[idx[0]]))
        elif name == "sx":
            ops.append((cirq.X ** 0.5)(qs[idx[0]]))
        elif name == "rz":
            ops.append(cirq.rz(p[0])(qs[idx[0]]))
        elif name in ("cp", "cu1"):
            ops.append(cirq.CZPowGate(exponent=p[0] / math.pi)(qs[idx[0]], qs[idx[1]]))
        elif name == "swap":
            ops.append(cirq.SWAP(qs[idx[0]], qs[idx[1]]))
        else:
            from qiskit.quantum_info import Operator

            ops.append(cirq.MatrixGate(Operator(op).data)(*[qs[i] for i in reversed(idx)]))
    return cirq.Circuit(ops), list(reversed(qs))


def qsim_simulator(threads, fused):
    import qsimcirq

    return qsimcirq.QSimSimulator(qsimcirq.QSimOptions(max_fused_gate_size=fused, cpu_threads=threads))


# --------------------------------------------------------------------------------------------
# Stand-in circuits (same shapes and QASM style as Verdant's export) for tests without Verdant
# --------------------------------------------------------------------------------------------

QASM_HEADER = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
    "gate u(theta,phi,lambda) a { u3(theta,phi,lambda) a; }\n"
    "gate cp(lambda) a,b { cu1(lambda) a,b; }\n"
    "gate swap a,b { cx a,b; cx b,a; cx a,b; }\n"
)


def standin_qasm(case, n, seed=1234):
    import random

    lines = [QASM_HEADER + f"qreg q[{n}];"]
    if case == "qft":
        for j in reversed(range(n)):
            lines.append(f"h q[{j}];")
            for k in reversed(range(j)):
                lines.append(f"cp({math.pi / 2 ** (j - k)!r}) q[{k}],q[{j}];")
        for k in range(n // 2):
            lines.append(f"swap q[{k}],q[{n - 1 - k}];")
    elif case in ("random", "sample"):
        rng = random.Random(seed + n)
        for _ in range(n if case == "random" else 4):
            for q in range(n):
                a = [rng.uniform(-math.pi, math.pi) for _ in range(3)]
                lines.append(f"u({a[0]!r},{a[1]!r},{a[2]!r}) q[{q}];")
            perm = list(range(n))
            rng.shuffle(perm)
            for i in range(0, n - 1, 2):
                lines.append(f"cx q[{perm[i]}],q[{perm[i + 1]}];")
    elif case in ("qft-ucx", "qft-rzsx", "qaoa", "su2"):
        return family_qasm(case, n)
    elif case == "h-first":
        lines.append("h q[0];")
    elif case == "h-last":
        lines.append(f"h q[{n - 1}];")
    else:
        raise ValueError(case)
    return "\n".join(lines) + "\n"


def family_qasm(case, n, seed=2026):
    """A transpiled family made by Qiskit itself (stand-in for Verdant's export): the QFT in u+cx
    (level 0) and rz+sx+cx (level 1), the QAOA ring (3 layers, rz+sx+x+cx, level 1), EfficientSU2
    (full, 4 reps, u+cx, level 1), random angles from `seed`."""
    import numpy as np
    from qiskit import qasm2, transpile
    from qiskit.circuit.library import QAOAAnsatz, QFT, efficient_su2
    from qiskit.quantum_info import SparsePauliOp

    rng = np.random.default_rng(seed)
    if case == "qft-ucx":
        t = transpile(QFT(n), basis_gates=["u", "cx"], optimization_level=0)
    elif case == "qft-rzsx":
        t = transpile(QFT(n), basis_gates=["rz", "sx", "cx"], optimization_level=1)
    elif case == "qaoa":
        ring = SparsePauliOp.from_sparse_list([("ZZ", [i, (i + 1) % n], 1.0) for i in range(n)], num_qubits=n)
        a = QAOAAnsatz(ring, reps=3)
        t = transpile(a.assign_parameters(rng.uniform(-np.pi, np.pi, a.num_parameters)),
                      basis_gates=["rz", "sx", "x", "cx"], optimization_level=1)
    else:
        a = efficient_su2(n, entanglement="full", reps=4)
        t = transpile(a.assign_parameters(rng.uniform(-np.pi, np.pi, a.num_parameters)), basis_gates=["u", "cx"],
                      optimization_level=1)
    t.global_phase = 0
    return qasm2.dumps(t)


def write_standins(directory, qubits):
    os.makedirs(directory, exist_ok=True)
    for n in qubits:
        for case in CASE_ORDER:
            with open(os.path.join(directory, f"{case}-{n}.qasm"), "w") as f:
                f.write(standin_qasm(case, n))


# --------------------------------------------------------------------------------------------
# Self-check
# --------------------------------------------------------------------------------------------

def self_check(qasm_dir=None):
    import numpy as np
    import qiskit_aer  # noqa: F401  (registers QuantumCircuit.set_statevector / save_statevector)
    import qulacs
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Statevector, random_unitary

    rng = np.random.default_rng(7)
    worst = 0.0
    failures = []

    def random_state(n):
        v = rng.normal(size=2 ** n) + 1j * rng.normal(size=2 ** n)
        return v / np.linalg.norm(v)

    def check(label, tqc, modes=("none", "light", "block2", "block3"), styles=("control", "diagonal")):
        nonlocal worst
        n = tqc.num_qubits
        v0 = random_state(n)
        want = Statevector(v0).evolve(tqc).data
        for style in styles:
            for mode in modes:
                circ, gphase = qulacs_circuit(tqc, style)
                qulacs_optimize(circ, mode)
                st = qulacs.QuantumState(n)
                st.load(v0)
                circ.update_quantum_state(st)
                got = st.get_vector() * np.exp(1j * gphase)
                err = float(np.max(np.abs(got - want)))
                worst = max(worst, err)
                if not err <= TOL:
                    failures.append(f"qulacs {label} cp={style} opt={mode}: max|diff| = {err:.3e}")
        # Aer, from the same random initial state, with fusion forced on even at this size.
        for fusion_threshold in (1, 14):
            qa = QuantumCircuit(n)
            qa.set_statevector(v0)
            qa.compose(tqc, inplace=True)
            qa.save_statevector()
            res = aer_backend(1, fusion_threshold=fusion_threshold).run(qa, shots=1).result()
            # Aer applies a circuit's global phase to the *initial* state, so set_statevector
            # overwrites it; put it back here (Verdant's circuits have global phase 0 anyway).
            got = np.asarray(res.get_statevector()) * np.exp(1j * float(qa.global_phase))
            err = float(np.max(np.abs(got - want)))
            worst = max(worst, err)
            if not err <= TOL:
                failures.append(f"aer {label} fusion_threshold={fusion_threshold}: max|diff| = {err:.3e}")

    def check_qsim(label, tqc):
        nonlocal worst
        # qsim runs complex64 from |0…0⟩: compare against Statevector of the same circuit.
        want = Statevector(tqc).data * np.exp(-1j * float(tqc.global_phase))
        circuit, order = cirq_circuit(tqc)
        for fused in (2, 4):
            got = np.asarray(qsim_simulator(1, fused).simulate(circuit, qubit_order=order).final_state_vector)
            err = float(np.max(np.abs(got - want)))
            if not err <= QSIM_TOL:
                failures.append(f"qsim {label} max_fused_gate_size={fused}: max|diff| = {err:.3e}")

    # Single gates on asymmetric qubit pairs (control < target and control > target).
    n = 5
    for name, build in [
        ("h", lambda c: c.h(3)),
        ("u", lambda c: c.u(0.7, -1.3, 2.1, 2)),
        ("cx(0,3)", lambda c: c.cx(0, 3)),
        ("cx(4,1)", lambda c: c.cx(4, 1)),
        ("cp(1,4)", lambda c: c.cp(0.37, 1, 4)),
        ("cp(4,0)", lambda c: c.cp(-2.2, 4, 0)),
        ("swap(0,3)", lambda c: c.swap(0, 3)),
        ("unitary(1,3) fallback", lambda c: c.unitary(random_unitary(4, seed=3), [1, 3])),
        ("unitary(4,0) fallback", lambda c: c.unitary(random_unitary(4, seed=4), [4, 0])),
    ]:
        qc = QuantumCircuit(n)
        build(qc)
        check(f"single {name}", qc)
        check_qsim(f"single {name}", qc)
    for name, build in [("rz", lambda c: c.rz(0.7, 2)), ("sx", lambda c: c.sx(1)), ("x", lambda c: c.x(4))]:
        qc = QuantumCircuit(n)
        qc.h(range(n))
        build(qc)
        check(f"single {name}", qc)
        check_qsim(f"single {name}", qc)

    # Global phase carried by the transpiler must be applied to the Qulacs state.
    qc = QuantumCircuit(n, global_phase=0.9)
    qc.h(0)
    check("global phase", qc, modes=("none",), styles=("control",))

    # Whole circuits of the shapes Verdant exports, through the same QASM loader as the worker.
    for n in (4, 5, 6):
        for case in ("qft", "random", "h-first", "h-last", "sample"):
            _, tqc = load_circuit(standin_qasm(case, n), from_text=True)
            assert set(tqc.count_ops()) <= set(BASIS), tqc.count_ops()
            check(f"{case}-{n}", tqc)
            check_qsim(f"{case}-{n}", tqc)

    # Files exported by `verdant bench --export-qasm` (small ones only), when a directory is given.
    if qasm_dir:
        files = [(n, case, path) for n, _, case, path in discover(qasm_dir, None) if n <= 12]
        if not files:
            failures.append(f"no <case>-<n>.qasm files with n <= 12 in {qasm_dir}")
        for n, case, path in files:
            _, tqc = load_circuit(path)
            check(os.path.basename(path), tqc, modes=("none", "light", "block2"))
            check_qsim(os.path.basename(path), tqc)
            if n <= 6:  # Verdant's own `gate` definitions, read with default settings, agree
                from qiskit import qasm2
                from qiskit.quantum_info import Operator

                err = abs(Operator(qasm2.load(path)).data - Operator(tqc).data).max()
                if not err <= TOL:
                    failures.append(f"loader {os.path.basename(path)}: default vs legacy reading differ by {err:.3e}")

    # The loader must give the same operator as Qiskit's own reading of the gate definitions.
    from qiskit import qasm2
    from qiskit.quantum_info import Operator

    for case in ("qft", "random"):
        text = standin_qasm(case, 4)
        plain = qasm2.loads(text)  # default settings: Verdant's `gate` definitions used as written
        _, tqc = load_circuit(text, from_text=True)
        if not abs(Operator(plain).data - Operator(tqc).data).max() <= TOL:
            failures.append(f"loader {case}-4: LEGACY_CUSTOM_INSTRUCTIONS changes the operator")

    for f in failures:
        print("FAIL", f, file=sys.stderr)
    print(f"self-check: {'FAILED' if failures else 'ok'}; worst max|diff| = {worst:.2e} (tolerance {TOL:g})")
    return 1 if failures else 0


# --------------------------------------------------------------------------------------------
# Worker: one circuit, one thread count; run in a subprocess with OMP_NUM_THREADS set
# --------------------------------------------------------------------------------------------

def worker(args):
    out = {"file": args.worker_qasm, "threads": args.worker_threads}
    _, tqc = load_circuit(args.worker_qasm)
    n = tqc.num_qubits
    out.update(qubits=n, gates=int(sum(tqc.count_ops().values())), ops=dict(tqc.count_ops()))
    t = args.worker_threads
    anchors = args.anchors.split(",")

    m = QASM_NAME.match(os.path.basename(args.worker_qasm))
    if m and m["case"] == "sample":
        return sample_worker(args, tqc, out, anchors)

    if "aer" in anchors:
        import qiskit_aer  # also registers QuantumCircuit.save_statevector / save_amplitudes

        backend = aer_backend(t)
        qa = tqc.copy()
        if args.aer_save == "statevector":
            qa.save_statevector()
        else:  # one amplitude on all qubits: keeps Aer from truncating qubits, returns 16 bytes
            qa.save_amplitudes([0])
        empty = tqc.copy_empty_like()  # baseline: state allocation, initialisation and return
        if args.aer_save == "statevector":
            empty.save_statevector()
        else:
            empty.save_amplitudes([0])

        def aer_once(circ):
            t0 = time.perf_counter()
            res = backend.run(circ, shots=1).result()
            wall = time.perf_counter() - t0
            if not res.success:
                raise RuntimeError(f"Aer failed: {res.status}")
            exp = res.results[0]
            meta = dict(exp.metadata or {})
            info = (res.time_taken, wall, exp.time_taken, meta)
            del res, exp  # drop the (up to 1 GiB) state vector at once
            gc.collect()
            return info

        for _ in range(args.warmup):
            aer_once(qa)
        eng, wall, exp_t, meta = [], [], [], {}
        for _ in range(args.repeats):
            a, b, c, meta = aer_once(qa)
            eng.append(a)
            wall.append(b)
            exp_t.append(c)
        base = aer_once(empty)[0]
        fusion = meta.get("fusion", {})
        out["aer"] = {
            "version": qiskit_aer.__version__,
            "seconds_time_taken": eng, "seconds_wall": wall, "seconds_experiment": exp_t,
            "median_time_taken": statistics.median(eng), "median_wall": statistics.median(wall),
            "empty_circuit_time_taken": base,
            "parallel_state_update": meta.get("parallel_state_update"),
            "fusion_applied": fusion.get("applied"), "fusion_max_qubits": fusion.get("max_fused_qubits"),
            "save": args.aer_save,
        }
        del backend, qa, empty
        gc.collect()

    if "qulacs" in anchors:
        import qulacs

        circ, _ = qulacs_circuit(tqc, args.qulacs_cp)
        before = circ.get_gate_count()
        t0 = time.perf_counter()
        qulacs_optimize(circ, args.qulacs_opt)
        opt_s = time.perf_counter() - t0
        secs = []
        for i in range(args.warmup + args.repeats):
            t0 = time.perf_counter()
            state = qulacs.QuantumState(n)  # allocation + |0> initialisation: timed, as every side's
            circ.update_quantum_state(state)
            dt = time.perf_counter() - t0
            del state
            gc.collect()
            if i >= args.warmup:
                secs.append(dt)
        out["qulacs"] = {
            "version": getattr(qulacs, "__version__", "?"),
            "optimizer": args.qulacs_opt, "cp": args.qulacs_cp,
            "gates_before": before, "gates_after": circ.get_gate_count(), "optimize_seconds": opt_s,
            "seconds": secs, "median": statistics.median(secs),
        }
    if "qsim" in anchors:
        import qsimcirq

        circuit, order = cirq_circuit(tqc)
        sizes = {}
        for fused in args.qsim_sizes:
            sim = qsim_simulator(t, fused)
            secs = []
            for i in range(args.warmup + args.repeats):
                t0 = time.perf_counter()
                res = sim.simulate(circuit, qubit_order=order)  # what a user pays: translation, fusion, gates, the state
                dt = time.perf_counter() - t0
                del res
                gc.collect()
                if i >= args.warmup:
                    secs.append(dt)
            sizes[str(fused)] = {"seconds": secs, "median": statistics.median(secs)}
        best = min(sizes, key=lambda f: sizes[f]["median"])
        # The fixed cost of a call: an identity on every qubit (translation, allocation, the returned state).
        empty = cirq_empty(n)
        sim = qsim_simulator(t, int(best))
        sim.simulate(empty[0], qubit_order=empty[1])
        t0 = time.perf_counter()
        sim.simulate(empty[0], qubit_order=empty[1])
        empty_s = time.perf_counter() - t0
        gc.collect()
        out["qsim"] = {"version": getattr(qsimcirq, "__version__", "?"), "sizes": sizes, "best_size": int(best),
                       "median": sizes[best]["median"], "empty_circuit_seconds": empty_s, "precision": "complex64"}
    out["omp_num_threads"] = os.environ.get("OMP_NUM_THREADS")
    print(json.dumps(out))
    return 0


def cirq_empty(n):
    import cirq

    qs = cirq.LineQubit.range(n)
    return cirq.Circuit(cirq.I.on_each(qs)), list(reversed(qs))


def numpy_sweep(n, repeats):
    """NumPy's in-place `a *= c` on 2^n complex numbers (complex128 and complex64): one read and one
    write of every byte of a state, single-threaded, the streaming reference for "÷ sweep"."""
    import numpy as np

    out = {}
    for name, dtype in (("double", np.complex128), ("single", np.complex64)):
        a = np.ones(1 << n, dtype=dtype)
        c = dtype(np.exp(1e-300j))
        a *= c  # warm-up: pages touched
        secs = []
        for _ in range(max(repeats, 3)):
            t0 = time.perf_counter()
            a *= c
            secs.append(time.perf_counter() - t0)
        out[name] = statistics.median(secs)
        del a
        gc.collect()
    return out


def sample_worker(args, tqc, out, anchors):
    """Times drawing SAMPLE_SHOTS shots from the state `tqc` prepares (preparation untimed).

    Aer has no "sample from this state" call, so its figure is the run with SAMPLE_SHOTS shots
    minus the same run with 1 shot (median of each). Qulacs: `state.sampling(SAMPLE_SHOTS)` on
    the prepared state."""
    n = tqc.num_qubits
    t = args.worker_threads
    if "aer" in anchors:
        import qiskit_aer

        backend = aer_backend(t)
        measured = tqc.copy()
        measured.measure_all()

        def run(shots):
            res = backend.run(measured, shots=shots, seed_simulator=1).result()
            if not res.success:
                raise RuntimeError(f"Aer failed: {res.status}")
            taken = res.time_taken
            del res
            gc.collect()
            return taken

        for _ in range(args.warmup):
            run(SAMPLE_SHOTS)
        many = [run(SAMPLE_SHOTS) for _ in range(args.repeats)]
        one = [run(1) for _ in range(args.repeats)]
        diff = max(statistics.median(many) - statistics.median(one), 0.0)
        out["aer"] = {
            "version": qiskit_aer.__version__, "shots": SAMPLE_SHOTS,
            "seconds_time_taken": many, "seconds_one_shot": one,
            "median_time_taken": diff, "median_wall": diff, "empty_circuit_time_taken": 0.0,
            "note": "median(time_taken, 100000 shots) - median(time_taken, 1 shot)",
        }
        del backend
        gc.collect()
    if "qulacs" in anchors:
        import qulacs

        circ, _ = qulacs_circuit(tqc, args.qulacs_cp)
        state = qulacs.QuantumState(n)
        circ.update_quantum_state(state)
        secs = []
        for i in range(args.warmup + args.repeats):
            t0 = time.perf_counter()
            drawn = state.sampling(SAMPLE_SHOTS)
            dt = time.perf_counter() - t0
            assert len(drawn) == SAMPLE_SHOTS
            if i >= args.warmup:
                secs.append(dt)
        del state
        gc.collect()
        out["qulacs"] = {
            "version": getattr(qulacs, "__version__", "?"), "optimizer": "n/a", "cp": args.qulacs_cp,
            "gates_before": 0, "gates_after": 0, "optimize_seconds": 0.0,
            "seconds": secs, "median": statistics.median(secs),
        }
    out["omp_num_threads"] = os.environ.get("OMP_NUM_THREADS")
    print(json.dumps(out))
    return 0


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------

class ForeignLoad:
    """CPU time used by processes other than our children while a child runs (Linux /proc/stat).

    With 2 cores, anything else running (a build, a test suite) distorts multi-threaded OpenMP
    timings badly — a descheduled thread stalls every barrier — so rows measured while other
    processes used more than 10% of the wall time are flagged."""

    def __init__(self):
        self.ok = os.path.exists("/proc/stat")
        self.hz = os.sysconf("SC_CLK_TCK") if self.ok else 100

    def _busy(self):
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return (v[0] + v[1] + v[2] + v[5] + v[6]) / self.hz  # user nice system irq softirq

    def _children(self):
        import resource

        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    def wait_idle(self, max_seconds=120.0, quiet_seconds=3):
        """Wait until the machine was <10% of one core busy for quiet_seconds in a row."""
        if not self.ok:
            return
        deadline, quiet = time.monotonic() + max_seconds, 0
        while quiet < quiet_seconds and time.monotonic() < deadline:
            b0 = self._busy()
            time.sleep(1.0)
            quiet = quiet + 1 if self._busy() - b0 < 0.1 else 0

    def run(self, cmd, **kw):
        b0, c0, t0 = (self._busy() if self.ok else 0), self._children(), time.perf_counter()
        proc = subprocess.run(cmd, **kw)
        wall = time.perf_counter() - t0
        foreign = (self._busy() - b0) - (self._children() - c0) if self.ok else None
        return proc, wall, foreign


def contended(foreign, wall):
    return foreign is not None and foreign > 0.1 * wall


def csv_ints(s):
    return [int(x) for x in s.split(",") if x.strip()]


def run_verdant(args, qasm_dir):
    binary = args.verdant or os.path.join(REPO, ".build", "release", "verdant")
    if not args.skip_build and not args.verdant:
        print("+ swift build -c release", file=sys.stderr)
        subprocess.run(["swift", "build", "-c", "release"], cwd=REPO, check=True, stdout=sys.stderr)
    cmd = [binary, "bench", "--suite", "quantum", "--json", "--export-qasm", qasm_dir,
           "--qubits", ",".join(map(str, args.qubits)), "--threads", ",".join(map(str, args.threads)),
           "--repeats", str(args.repeats), "--precision", "both", "--no-energy-summary"]
    if args.cases:
        cmd += ["--cases", args.cases]
    print("+ " + " ".join(cmd), file=sys.stderr)
    proc, wall, foreign = ForeignLoad().run(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    if contended(foreign, wall):
        print(f"warning: other processes used {foreign:.1f} s of CPU during the {wall:.1f} s Verdant run; "
              "its timings are unreliable", file=sys.stderr)
    if proc.returncode != 0:
        sys.exit(f"verdant bench failed with exit status {proc.returncode}")
    text = proc.stdout
    start = text.find("{")
    if start < 0:
        sys.exit("verdant bench printed no JSON on stdout")
    doc = json.loads(text[start:])
    doc["_foreign_cpu_seconds"], doc["_wall_seconds"] = foreign, wall
    return doc


def verdant_case(args, case, n, t):
    """One `verdant bench` run of one case, width and thread count in both precisions (for
    --bracket): {precision: result row}."""
    binary = args.verdant or os.path.join(REPO, ".build", "release", "verdant")
    cmd = [binary, "bench", "--suite", "quantum", "--json", "--qubits", str(n), "--threads", str(t),
           "--repeats", str(args.repeats), "--precision", "both", "--no-energy-summary", "--cases", case]
    proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit(f"verdant bench failed with exit status {proc.returncode}: {' '.join(cmd)}")
    doc = json.loads(proc.stdout[proc.stdout.find("{"):])
    return {r.get("precision", "double"): r for r in doc.get("results", []) if r["case"] == case}


def discover(qasm_dir, qubits):
    found = []
    for name in os.listdir(qasm_dir):
        m = QASM_NAME.match(name)
        if m and (qubits is None or int(m["n"]) in qubits):
            found.append((int(m["n"]), CASE_ORDER.get(m["case"], 99), m["case"], os.path.join(qasm_dir, name)))
    return sorted(found)


def fmt(x, digits=4):
    if x is None:
        return "-"
    return f"{x:.{digits}g}"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--qubits", type=csv_ints, default=None, help="e.g. 20,24,26 (default 20,24,26; "
                   "with --qasm-dir: every file in it)")
    p.add_argument("--threads", type=csv_ints, default=[1, 2])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1,
                   help="untimed anchor runs before the repeats (default 1, as verdant bench does)")
    p.add_argument("--skip-build", action="store_true")
    p.add_argument("--verdant", help="verdant binary (implies --skip-build)")
    p.add_argument("--qasm-dir", help="reuse exported QASM files; Verdant is not run")
    p.add_argument("--verdant-json", help="with --qasm-dir: Verdant JSON saved from an earlier run")
    p.add_argument("--keep-qasm", action="store_true", help="keep Verdant's export directory")
    p.add_argument("--out", help="write the table and raw data as JSON here (default: "
                   "Benchmarks/results/quantum-side-by-side-<date>.json)")
    p.add_argument("--cases", help="only these Verdant cases, comma-separated (default: every case)")
    p.add_argument("--retry-contended", type=int, default=2, metavar="N",
                   help="rerun an anchor measurement up to N times when other processes used >10%% CPU")
    p.add_argument("--anchors", default="aer,qulacs,qsim")
    p.add_argument("--qsim-sizes", type=csv_ints, default=[2, 3, 4, 5],
                   help="qsim's max_fused_gate_size values tried (the best is the anchor; default 2,3,4,5)")
    p.add_argument("--aer-save", choices=["statevector", "amplitude"], default="statevector")
    p.add_argument("--aer-time", choices=["engine", "wall"], default="engine",
                   help="which Aer time the ratios use: result.time_taken (default) or wall clock")
    p.add_argument("--qulacs-opt", default="light", help="light | block2 | block3 | none (default light)")
    p.add_argument("--qulacs-cp", choices=["control", "diagonal"], default="control")
    p.add_argument("--self-check", action="store_true",
                   help="check the Qulacs mapping and Aer against Qiskit's Statevector on 4-6 qubits "
                        "(and on the files of --qasm-dir with <= 12 qubits); exit 1 on mismatch")
    p.add_argument("--write-test-qasm", metavar="DIR",
                   help="write stand-in circuits of Verdant's shapes for --qubits into DIR and exit")
    p.add_argument("--bracket", action="store_true",
                   help="also time Verdant on each row right before and right after its anchors, and use the "
                        "median of the three runs (the first, the one before, the one after): on a shared "
                        "machine whose speed drifts, Verdant and the anchors are then timed minutes apart, "
                        "not an hour")
    p.add_argument("--worker-qasm", help=argparse.SUPPRESS)
    p.add_argument("--worker-threads", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.worker_qasm:
        return worker(args)
    if args.self_check:
        return self_check(args.qasm_dir)
    if args.write_test_qasm:
        write_standins(args.write_test_qasm, args.qubits or [20, 24, 26])
        return 0

    verdant = None
    cleanup = None
    if args.qasm_dir:
        qasm_dir = args.qasm_dir
        if args.verdant_json:
            with open(args.verdant_json) as f:
                verdant = json.load(f)
    else:
        args.qubits = args.qubits or [20, 24, 26]
        qasm_dir = tempfile.mkdtemp(prefix="verdant-qasm-")
        cleanup = None if args.keep_qasm else qasm_dir
        verdant = run_verdant(args, qasm_dir)

    circuits = discover(qasm_dir, args.qubits)
    if not circuits:
        sys.exit(f"no <case>-<n>.qasm files in {qasm_dir}")

    vmap = {}
    for r in (verdant or {}).get("results", []):
        vmap[(r["case"], int(r["qubits"]), int(r["threads"]), r.get("precision", "double"))] = r

    load = ForeignLoad()
    # NumPy's streaming reference, once per width, in this run (single-threaded).
    sweeps = {}
    for n in sorted({n for n, _, _, _ in circuits}):
        sweeps[n] = numpy_sweep(n, args.repeats)
    rows = []
    for n, _, case, path in circuits:
        for t in args.threads:
            env = dict(os.environ, OMP_NUM_THREADS=str(t))
            cmd = [sys.executable, os.path.abspath(__file__), "--worker-qasm", path, "--worker-threads", str(t),
                   "--repeats", str(args.repeats), "--warmup", str(args.warmup), "--anchors", args.anchors,
                   "--qsim-sizes", ",".join(map(str, args.qsim_sizes)),
                   "--aer-save", args.aer_save, "--qulacs-opt", args.qulacs_opt, "--qulacs-cp", args.qulacs_cp]
            print(f"... {case} n={n} threads={t}", file=sys.stderr, flush=True)
            bracket = [verdant_case(args, case, n, t)] if args.bracket and verdant is not None else []
            for attempt in range(args.retry_contended + 1):
                if attempt:
                    print(f"    other processes used {foreign:.1f} s CPU during {wall:.1f} s; waiting for "
                          "an idle machine and retrying", file=sys.stderr, flush=True)
                    load.wait_idle()
                proc, wall, foreign = load.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
                if proc.returncode != 0 or not contended(foreign, wall):
                    break
            if proc.returncode != 0:
                sys.exit(f"worker failed on {path} threads={t}")
            w = json.loads(proc.stdout.strip().splitlines()[-1])
            vd = vmap.get((case, n, t, "double"))
            vs_ = vmap.get((case, n, t, "single"))
            vdouble = vd["seconds_median"] if vd else None
            vsingle = vs_["seconds_median"] if vs_ else None
            if bracket:
                bracket.append(verdant_case(args, case, n, t))
                samples = {prec: [x for x in [first] + [b.get(prec) for b in bracket] if x]
                           for prec, first in (("double", vd), ("single", vs_))}
                vdouble = statistics.median(x["seconds_median"] for x in samples["double"]) if samples["double"] else None
                vsingle = statistics.median(x["seconds_median"] for x in samples["single"]) if samples["single"] else None
            aer = w.get("aer")
            aer_s = None if aer is None else (aer["median_time_taken"] if args.aer_time == "engine" else aer["median_wall"])
            aer_empty = None if aer is None else aer.get("empty_circuit_time_taken")
            ql_s = w["qulacs"]["median"] if "qulacs" in w else None
            qsim = w.get("qsim")
            qsim_s = qsim["median"] if qsim else None
            anchors = [x for x in (aer_s, ql_s) if x is not None]
            sweep = sweeps.get(n, {})
            rows.append({
                "case": case, "qubits": n, "threads": t, "gates": w["gates"],
                "verdant_double_s": vdouble, "verdant_single_s": vsingle,
                "verdant_threads": t,
                "verdant_double_planning_s": vd.get("planning_seconds_median") if vd else None,
                "verdant_single_planning_s": vs_.get("planning_seconds_median") if vs_ else None,
                "aer_s": None if aer is None else aer["median_time_taken"],
                "aer_wall_s": None if aer is None else aer["median_wall"],
                "aer_empty_s": aer_empty,
                "aer_minus_empty_s": None if aer_s is None or aer_empty is None else max(aer_s - aer_empty, 0.0),
                "qulacs_s": ql_s,
                "qsim_s": qsim_s, "qsim_best_size": qsim["best_size"] if qsim else None,
                "qsim_empty_s": qsim["empty_circuit_seconds"] if qsim else None,
                "numpy_sweep_double_s": sweep.get("double"), "numpy_sweep_single_s": sweep.get("single"),
                "ratio_aer_over_verdant": aer_s / vdouble if vdouble and aer_s else None,
                "ratio_qulacs_over_verdant": ql_s / vdouble if vdouble and ql_s else None,
                "speedup_double": min(anchors) / vdouble if vdouble and anchors else None,
                "speedup_single": qsim_s / vsingle if vsingle and qsim_s else None,
                "double_over_numpy_sweep": vdouble / sweep["double"] if vdouble and sweep.get("double") else None,
                "single_over_numpy_sweep": vsingle / sweep["single"] if vsingle and sweep.get("single") else None,
                "contended": contended(foreign, wall), "foreign_cpu_seconds": foreign, "worker_wall_seconds": wall,
                "verdant": {"double": vd, "single": vs_}, "worker": w,
                "verdant_bracket": bracket or None,
            })

    head = ["case", "n", "thr", "Verdant dbl", "Aer", "Aer−empty", "Qulacs", "×dbl", "Verdant sgl", "qsim (size)", "×sgl",
            "dbl÷sweep", "sgl÷sweep"]
    table = []
    for r in rows:
        qsim_cell = "-" if r["qsim_s"] is None else f"{fmt(r['qsim_s'])} ({r['qsim_best_size']})"
        table.append([r["case"] + ("*" if r["contended"] else ""), str(r["qubits"]), str(r["threads"]),
                      fmt(r["verdant_double_s"]), fmt(r["aer_s"]), fmt(r["aer_minus_empty_s"]), fmt(r["qulacs_s"]),
                      fmt(r["speedup_double"], 2), fmt(r["verdant_single_s"]), qsim_cell, fmt(r["speedup_single"], 2),
                      fmt(r["double_over_numpy_sweep"], 3), fmt(r["single_over_numpy_sweep"], 3)])
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(head)]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    for row in table:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
    print(f"(seconds, medians of {args.repeats}; Verdant's times include planning and fusion; Aer = result.time_taken "
          f"(ratios use {'it' if args.aer_time == 'engine' else 'the wall clock'}), Aer−empty = Aer minus its time for an "
          f"empty circuit (state allocation and return: for h-first/h-last the ratio is mostly that fixed cost); Qulacs "
          f"optimiser {args.qulacs_opt}; qsim = simulate() of qsimcirq at its best max_fused_gate_size of "
          f"{','.join(map(str, args.qsim_sizes))}, complex64; ×dbl = min(Aer, Qulacs) ÷ Verdant double, ×sgl = qsim ÷ "
          f"Verdant single (> 1: Verdant faster), at the same thread count; ÷sweep = Verdant ÷ NumPy's in-place a *= c "
          f"on the same bytes, one thread)")
    if any(r["contended"] for r in rows):
        print("* other processes used >10% CPU while this row's anchors ran: rerun on an idle machine")
    if verdant and contended(verdant.get("_foreign_cpu_seconds"), verdant.get("_wall_seconds", 0)):
        print("warning: the Verdant run itself was contended (see stderr)")

    goals = goal_rows(rows)
    if goals:
        print("\nIssue 15's goals (transpiled families):")
        gh = ["goal", "case", "n", "thr", "measured", "target", "met"]
        gt = [[g["goal"], g["case"], str(g["qubits"]), str(g["threads"]), fmt(g["measured"], 3), fmt(g["target"], 2),
               "yes" if g["met"] else "NO"] for g in goals]
        gw = [max(len(h), *(len(row[i]) for row in gt)) for i, h in enumerate(gh)]
        print("  ".join(h.rjust(w) for h, w in zip(gh, gw)))
        for row in gt:
            print("  ".join(c.rjust(w) for c, w in zip(row, gw)))

    out = args.out or os.path.join(REPO, "Benchmarks", "results",
                                   "quantum-side-by-side-" + time.strftime("%Y%m%d-%H%M%S") + ".json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    doc = {"suite": "quantum-side-by-side", "command": [sys.executable] + sys.argv,
           "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine_info(),
           "settings": {k: getattr(args, k) for k in ("qubits", "threads", "repeats", "warmup", "aer_save", "aer_time",
                                                      "qulacs_opt", "qulacs_cp", "qsim_sizes", "anchors")},
           "verdant_machine": (verdant or {}).get("machine"), "numpy_sweeps": sweeps, "rows": rows, "goals": goals}
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
    print(f"raw data: {out}", file=sys.stderr)
    if cleanup:
        shutil.rmtree(cleanup, ignore_errors=True)
    elif not args.qasm_dir:
        print(f"QASM kept in {qasm_dir}", file=sys.stderr)
    return 0


def goal_rows(rows):
    """The goals of issue 15 for every family row measured: Double ≥ GOAL[n]× the faster of Aer and
    Qulacs, Single ≥ GOAL[n]× qsim at its best, and each transpiled QFT ≤ 1.3× the native QFT
    (Verdant's own times, double and single)."""
    goals = []
    by = {(r["case"], r["qubits"], r["threads"]): r for r in rows}
    for r in rows:
        if r["case"] not in FAMILIES or r["qubits"] not in GOAL:
            continue
        target = GOAL[r["qubits"]]
        for name, key in (("double ≥ k× min(Aer, Qulacs)", "speedup_double"), ("single ≥ k× qsim", "speedup_single")):
            if r[key] is not None:
                goals.append({"goal": name, "case": r["case"], "qubits": r["qubits"], "threads": r["threads"],
                              "measured": r[key], "target": target, "met": r[key] >= target})
        native = by.get(("qft", r["qubits"], r["threads"]))
        if r["case"].startswith("qft-") and native:
            for precision in ("double", "single"):
                a, b = r[f"verdant_{precision}_s"], native[f"verdant_{precision}_s"]
                if a and b:
                    goals.append({"goal": f"{precision}: transpiled ÷ native QFT ≤ 1.3", "case": r["case"],
                                  "qubits": r["qubits"], "threads": r["threads"], "measured": a / b,
                                  "target": QFT_GOAL, "met": a / b <= QFT_GOAL})
    return goals


def machine_info():
    import platform

    info = {"platform": platform.platform(), "python": platform.python_version(), "cores": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            info["memory"] = f.readline().split(":", 1)[1].strip()
        info["load_average"] = os.getloadavg()
    except OSError:
        pass
    return info


if __name__ == "__main__":
    sys.exit(main())
