#!/usr/bin/env python3
"""Pools the repeats of several Benchmarks/secure_allreduce.py runs (their raw JSON files) per build
and transport: the median of every repeat of every run, for the plain and the encrypted call, and
each run's own medians, so that a table in docs/ can be checked against the raw files.

    python3 Benchmarks/pool_secure_allreduce.py Benchmarks/results/secure-allreduce-2026120*.json

Each repeat is the mean of the calls `verdant bench` made in it (20 for 8 MiB).
"""
import json
import statistics
import sys
from collections import defaultdict


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: pool_secure_allreduce.py RESULTS.json …")
    pooled = defaultdict(lambda: {"plain": [], "encrypted": [], "runs": []})
    order = []
    for path in sys.argv[1:]:
        with open(path) as f:
            data = json.load(f)
        for entry in data["raw"]:
            for r in entry["result"]["results"]:
                if r["case"] not in ("allreduce-plain", "allreduce-encrypted"):
                    continue
                key = (entry["transport"], entry["build"], int(r["parameters"]["bytes"]))
                if key not in pooled:
                    order.append(key)
                kind = "plain" if r["case"] == "allreduce-plain" else "encrypted"
                pooled[key][kind] += r["seconds"]
                if kind == "encrypted":
                    pooled[key]["runs"].append(r["seconds_median"])
    print(f"{'transport':>13} {'build':>8} {'bytes':>9} {'repeats':>7} {'plain ms':>9} {'encrypted ms':>12} {'ratio':>6}  per-run encrypted medians (ms)")
    for key in sorted(order):
        p = pooled[key]
        plain, encrypted = statistics.median(p["plain"]) * 1e3, statistics.median(p["encrypted"]) * 1e3
        runs = " / ".join(f"{x * 1e3:.2f}" for x in p["runs"])
        print(f"{key[0]:>13} {key[1]:>8} {key[2]:>9} {len(p['encrypted']):>7} {plain:>9.2f} {encrypted:>12.2f} {encrypted / plain:>6.2f}  {runs}")


if __name__ == "__main__":
    main()
