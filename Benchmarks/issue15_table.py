"""Issue 15's whole table of ratios, gathered from side-by-side results files.

Each ratio is taken inside one file (Verdant and the anchor timed in the same run, same machine,
same thread count); the script only collects them. A cell measured in several files shows the
latest; every file used is named under the table.

    python3 Benchmarks/issue15_table.py                 # the files listed in FILES below
    python3 Benchmarks/issue15_table.py F1.json F2.json # any quantum_side_by_side.py outputs

Goals (issue 15): double ≥ 3× min(Aer, Qulacs) at 24 and 26 qubits, ≥ 2× at 20; single ≥ 3× qsim
(best fused-gate size) at 24 and 26, ≥ 2× at 20; transpiled QFT ≤ 1.3× the native QFT.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = [
    "quantum-side-by-side-20q24q-1t-qsim-fresh-state-20261207T1449Z.json",
    "quantum-side-by-side-20q24q-2t-qsim-fresh-state-20261207T1456Z.json",
    "quantum-side-by-side-20q24q-1t2t-double-fresh-state-20261207T1712Z.json",
    "quantum-side-by-side-26q-2t-fresh-state-20261207T1730Z.json",
    "quantum-side-by-side-20q-su2-fresh-state-20261207T1918Z.json",
    "quantum-side-by-side-24q-su2-fresh-state-20261207T1919Z.json",
    "quantum-side-by-side-26q-2t-qft-fresh-state-20261207T1923Z.json",
    "quantum-side-by-side-26q-1t-fresh-state-20261207T1930Z.json",
    "quantum-side-by-side-26q-2t-su2-fresh-state-20261207T1944Z.json",
]
CASES = ["qft-ucx", "qft-rzsx", "random", "qaoa", "su2"]
COLUMNS = [(20, 1), (20, 2), (24, 1), (24, 2), (26, 1), (26, 2)]


def goal(qubits):
    return 2.0 if qubits <= 20 else 3.0


def collect(paths):
    """{(table, case, qubits, threads): (value, file index)}; later files win."""
    cells = {}
    for index, path in enumerate(paths):
        with open(path) as f:
            data = json.load(f)
        rows = {(r["case"], r["qubits"], r["threads"]): r for r in data["rows"]}
        for (case, qubits, threads), row in rows.items():
            if row.get("contended"):
                continue
            anchors = [row[k] for k in ("aer_s", "qulacs_s") if row.get(k)]
            if anchors:
                cells[("double", case, qubits, threads)] = (min(anchors) / row["verdant_double_s"], index, len(anchors))
            if row.get("qsim_s"):
                cells[("single", case, qubits, threads)] = (row["qsim_s"] / row["verdant_single_s"], index, 1)
            native = rows.get(("qft", qubits, threads))
            if case in ("qft-ucx", "qft-rzsx") and native:
                for precision in ("double", "single"):
                    key = f"verdant_{precision}_s"
                    cells[(f"native-{precision}", case, qubits, threads)] = (row[key] / native[key], index, 1)
    return cells


def table(cells, kind, title, is_short):
    lines = [f"**{title}**", "", "| case | " + " | ".join(f"{q} q, {t}t" for q, t in COLUMNS) + " |",
             "|---|" + "---|" * len(COLUMNS)]
    short = []
    for case in CASES:
        out = []
        for q, t in COLUMNS:
            cell = cells.get((kind, case, q, t))
            if cell is None:
                out.append("–")
                continue
            value, index, anchors = cell
            text = f"{value:.2f}" if value < 10 else f"{value:.1f}"
            if kind == "double" and anchors == 1:
                text += "¹"
            text += f" [{index + 1}]"
            if is_short(value, q):
                text = f"**{text}**"
                short.append(f"{case} {q} q {t}t ({value:.2f})")
            out.append(text)
        if any(o != "–" for o in out):
            lines.append(f"| {case} | " + " | ".join(out) + " |")
    return lines, short


def main(argv):
    paths = argv or [os.path.join(HERE, "results", f) for f in FILES]
    cells = collect(paths)
    out, shortfalls = [], []
    for kind, title, is_short in [
        ("double", "Double precision: min(Aer, Qulacs) ÷ Verdant (goal ≥ 2 at 20 q, ≥ 3 at 24 and 26 q)",
         lambda v, q: v < goal(q)),
        ("single", "Single precision: qsim at its best fused-gate size ÷ Verdant (goal ≥ 2 at 20 q, ≥ 3 at 24 and 26 q)",
         lambda v, q: v < goal(q)),
        ("native-double", "Transpiled ÷ native QFT, Verdant double (goal ≤ 1.3)", lambda v, q: v > 1.3),
        ("native-single", "Transpiled ÷ native QFT, Verdant single (goal ≤ 1.3)", lambda v, q: v > 1.3),
    ]:
        lines, short = table(cells, kind, title, is_short)
        out += lines + [""]
        shortfalls += [f"{kind}: {s}" for s in short]
    out.append("¹ Qulacs only (Aer was not run in that file).")
    out.append("")
    for i, p in enumerate(paths):
        out.append(f"[{i + 1}] `{os.path.relpath(p, os.path.dirname(HERE))}`")
    out.append("")
    out.append("Short of the goal: " + ("; ".join(shortfalls) if shortfalls else "none"))
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
