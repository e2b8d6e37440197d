"""Summarises a Benchmarks/results/distributed-*.json file (written by distributed_side_by_side.sh).

    python3 Benchmarks/distributed_summary.py Benchmarks/results/distributed-<time>.json

Prints, per size and case: Verdant 1 rank x 2 threads, Verdant 2 ranks x 1 thread (with remaps,
bytes sent per rank, exchange and compute seconds), QuEST v4.1 with the same ranks and threads, and
the ratios the issue sets goals for (2x1 / 1x2 <= 1.3; QuEST / Verdant >= 5); then the peak RSS
of each rank over its slice for the large single-precision QFT (goal <= 1.15).
"""
import json
import sys


def main(path):
    lines = [json.loads(line) for line in open(path) if line.strip()]
    header, records = lines[0], lines[1:]
    print(f"{path}: {header['date']}, {header['machine']['cpu']}, {header['machine']['cores']} cores, "
          f"load {header['machine']['load']} ({header['note']})")
    table = {}
    for record in records:
        label, result = record["label"], record["result"]
        if label.startswith("verdant 1x2"):
            for r in result["results"]:
                table.setdefault((r["qubits"], r["case"]), {})["verdant 1x2"] = r["seconds_median"]
        elif label.startswith("verdant 2x1") or label.startswith("verdant 4x1"):
            for r in result["results"]:
                key = "verdant 2x1" if r["ranks"] == 2 else "verdant 4x1"
                table.setdefault((r["qubits"], r["case"]), {})[key] = r["seconds_median"]
                table[(r["qubits"], r["case"])][key + " detail"] = r
        elif label.startswith("quest"):
            case = "qft" if result["case"] == "qft" else "random"
            key = "quest 1x2" if result["ranks"] == 1 else "quest 2x1"
            table.setdefault((result["qubits"], case), {})[key] = result["seconds_median"]
    for (n, case), row in sorted(table.items()):
        if "verdant 4x1" in row:
            d = row["verdant 4x1 detail"]
            peaks = [p / d["slice_bytes"] for p in d["peak_resident_bytes"]]
            print(f"{case}-{n} {d['precision']} on {d['ranks']} ranks x {d['threads']} thread: {d['seconds_median']:.2f} s, "
                  f"{d['remaps']} remaps, {d['bytes_sent_per_rank'] / 2**30:.2f} GiB sent per rank, exchange "
                  f"{d['exchange_seconds']:.2f} s, compute {d['compute_seconds']:.2f} s; peak RSS / slice per rank: "
                  + ", ".join(f"{p:.3f}" for p in peaks) + " (goal <= 1.15)")
            continue
        v12, v21 = row.get("verdant 1x2"), row.get("verdant 2x1")
        q12, q21 = row.get("quest 1x2"), row.get("quest 2x1")
        d = row.get("verdant 2x1 detail", {})
        parts = [f"{case}-{n}:"]
        if v12 is not None:
            parts.append(f"Verdant 1x2 {v12:.3f} s")
        if v21 is not None:
            parts.append(f"Verdant 2x1 {v21:.3f} s ({d.get('remaps')} remaps, {d.get('bytes_sent_per_rank', 0) / 2**20:.0f} MiB "
                         f"sent per rank, exchange {d.get('exchange_seconds', 0):.3f} s, compute {d.get('compute_seconds', 0):.3f} s)")
        if v12 and v21:
            parts.append(f"2x1/1x2 = {v21 / v12:.2f} (goal <= 1.3)")
        if q12 is not None and v12:
            parts.append(f"QuEST 1x2 {q12:.3f} s = {q12 / v12:.1f}x Verdant")
        if q21 is not None and v21:
            parts.append(f"QuEST 2x1 {q21:.3f} s = {q21 / v21:.1f}x Verdant (goal >= 5)")
        print("  ".join(parts))


if __name__ == "__main__":
    main(sys.argv[1])
