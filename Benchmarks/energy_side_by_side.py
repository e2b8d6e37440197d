#!/usr/bin/env python3
"""Verdant's energy meter side by side with CodeCarbon (offline mode) on the same jobs.

  pip install codecarbon
  python3 Benchmarks/energy_side_by_side.py [--seconds 5] [--repeats 3] [--country FRA] [--out side.json]

For each job (a CPU-bound loop and a sleep of the same length, both run as a subprocess) it runs:
  1. the job alone (baseline wall time),
  2. `verdant measure --json --country C -- JOB` (Verdant: joules, provenance, sources, what was
     unavailable and why, the meter's own CPU time),
  3. the job inside CodeCarbon's OfflineEmissionsTracker (machine and process tracking modes,
     measure_power_secs=1), capturing CodeCarbon's log to show how it chose its method.
and prints the figures, their provenance, and each tool's wall-time overhead against the baseline
(medians over --repeats). It also checks that a CSV row written by `verdant measure --csv` has
exactly the columns of CodeCarbon's emissions.csv (EmissionsData fields, in order).

Every raw number is written, with the command, date and machine, to
Benchmarks/results/energy-DATE.json (--out FILE: also there). Provenance labels are Verdant's
(measured, attributed, modelled, upper-bound, default; docs/energy-method.md §1).

Neither Verdant nor its tests need Python; this script only compares.
"""
import argparse
import csv
import dataclasses
import io
import json
import logging
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from benchresults import machine, write_results  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--verdant", help="path of the verdant binary (default: build and use .build/release/verdant)")
    p.add_argument("--skip-build", action="store_true", help="do not run swift build -c release")
    p.add_argument("--seconds", type=float, default=5.0, help="wall time of each job (default 5)")
    p.add_argument("--repeats", type=int, default=3, help="repeats per tool and job (medians are reported)")
    p.add_argument("--country", default="FRA", help="ISO alpha-3 country for both tools (default FRA)")
    p.add_argument("--out", help="write all results as JSON to this file")
    return p.parse_args()


def jobs(seconds):
    burn = [sys.executable, "-c", f"import time\nend = time.time() + {seconds}\nx = 0\nwhile time.time() < end:\n    x += 1\n"]
    return {"cpu-bound": burn, "sleep": ["sleep", str(seconds)]}


def timed(command, **kwargs):
    start = time.perf_counter()
    result = subprocess.run(command, **kwargs)
    return time.perf_counter() - start, result


def run_verdant(verdant, job, country):
    wall, result = timed([verdant, "measure", "--json", "--country", country, "--"] + job,
                         capture_output=True, text=True, check=True)
    report = json.loads(result.stdout)
    return wall, report


def run_codecarbon(job, country, mode):
    from codecarbon import OfflineEmissionsTracker

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("codecarbon")
    logger.addHandler(handler)
    try:
        setup_start = time.perf_counter()
        tracker = OfflineEmissionsTracker(country_iso_code=country, measure_power_secs=1, save_to_file=False,
                                          log_level="info", tracking_mode=mode)
        setup = time.perf_counter() - setup_start
        start = time.perf_counter()
        tracker.start()
        subprocess.run(job, check=True)
        tracker.stop()
        wall = time.perf_counter() - start
    finally:
        logger.removeHandler(handler)
    data = tracker.final_emissions_data
    log = stream.getvalue()
    method_lines = [line for line in log.splitlines()
                    if any(k in line for k in ("CPU", "RAM", "GPU", "RAPL", "rapl", "Falling", "fallback", "tracking", "constant", "load"))]
    return wall, setup, data, method_lines


def median(values):
    return statistics.median(values) if values else float("nan")


def main():
    args = parse_args()
    verdant = args.verdant or str(ROOT / ".build" / "release" / "verdant")
    if not args.verdant and not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "verdant"], cwd=ROOT, check=True)
    import codecarbon

    started = machine()
    results = {"codecarbon_version": codecarbon.__version__, "seconds": args.seconds, "repeats": args.repeats,
               "country": args.country, "jobs": {}}
    for name, job in jobs(args.seconds).items():
        baseline, verdant_runs, cc_runs = [], [], {"machine": [], "process": []}
        for _ in range(args.repeats):
            wall, _ = timed(job, check=True)
            baseline.append(wall)
            verdant_runs.append(run_verdant(verdant, job, args.country))
            for mode in cc_runs:
                cc_runs[mode].append(run_codecarbon(job, args.country, mode))
        base = median(baseline)
        v_reports = [r for _, r in verdant_runs]
        v = {
            "wall_median": median([w for w, _ in verdant_runs]),
            "overhead": median([w for w, _ in verdant_runs]) / base - 1,
            "joules_median": median([r["joules"] for r in v_reports]),
            "band": v_reports[-1]["bands"]["joules"],
            "gCO2e_median": median([r["gCO2e"] for r in v_reports]),
            "provenance": v_reports[-1]["provenance"],
            "measured_fraction": v_reports[-1].get("measured_fraction"),
            "sources": [(s["name"], s["method"], s["provenance"], s["joules"]) for s in v_reports[-1]["sources"]],
            "unavailable": [(u["source"], u["reason"], u["detail"]) for u in v_reports[-1]["unavailable"]],
            "meter_cpu_seconds": median([r["meter"]["cpu_seconds"] for r in v_reports]),
            "job_cpu_seconds": median([r["job"]["cpu_user_seconds"] + r["job"]["cpu_system_seconds"] for r in v_reports]),
        }
        cc = {}
        for mode, runs in cc_runs.items():
            datas = [d for _, _, d, _ in runs]
            cc[mode] = {
                "wall_median": median([w for w, _, _, _ in runs]),
                "overhead": median([w for w, _, _, _ in runs]) / base - 1,
                "setup_seconds_median": median([s for _, s, _, _ in runs]),
                "joules_median": median([d.energy_consumed * 3.6e6 for d in datas]),
                "cpu_joules_median": median([d.cpu_energy * 3.6e6 for d in datas]),
                "ram_joules_median": median([d.ram_energy * 3.6e6 for d in datas]),
                "gCO2e_median": median([d.emissions * 1000 for d in datas]),
                "cpu_power_W": datas[-1].cpu_power, "ram_power_W": datas[-1].ram_power,
                "method_log": runs[-1][3][:8],
                "provenance": "none given",
            }
        results["jobs"][name] = {"baseline_wall_median": base, "verdant": v, "codecarbon": cc}

    # CSV compatibility: Verdant's row against CodeCarbon's EmissionsData fields.
    from codecarbon.output_methods.emissions_data import EmissionsData
    columns = [f.name for f in dataclasses.fields(EmissionsData)]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "emissions.csv")
        subprocess.run([verdant, "measure", "--no-energy-summary", "--csv", path, "--", "true"], check=True)
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    results["csv_columns_match"] = rows[0] == columns and all(len(r) == len(columns) for r in rows)

    print(f"CodeCarbon {codecarbon.__version__} vs Verdant, {args.seconds:g} s jobs, {args.repeats} repeats, country {args.country}")
    for name, r in results["jobs"].items():
        print(f"\n== {name}: baseline {r['baseline_wall_median']:.3f} s ==")
        v = r["verdant"]
        print(f"  Verdant    {v['joules_median']:10.3f} J  band [{v['band'][0]:.3f}, {v['band'][1]:.3f}]  {v['gCO2e_median']:.3g} gCO2e  "
              f"provenance {v['provenance']}  overhead {v['overhead'] * 100:+.2f}%  meter CPU {v['meter_cpu_seconds'] * 1000:.2f} ms "
              f"of {v['job_cpu_seconds']:.2f} s job CPU")
        for s in v["sources"]:
            print(f"             {s[0]:<8} {s[1]:<24} {s[2]:<9} {s[3]:.3f} J")
        for u in v["unavailable"]:
            print(f"             unavailable {u[0]} ({u[1]}): {u[2][:90]}")
        for mode, c in r["codecarbon"].items():
            print(f"  CodeCarbon {c['joules_median']:10.3f} J  (cpu {c['cpu_joules_median']:.3f} J at {c['cpu_power_W']:.1f} W, "
                  f"ram {c['ram_joules_median']:.3f} J at {c['ram_power_W']:.1f} W)  {c['gCO2e_median']:.3g} gCO2e  "
                  f"tracking {mode}  no band/provenance  overhead {c['overhead'] * 100:+.2f}% (+{c['setup_seconds_median']:.2f} s setup)")
            for line in c["method_log"][:4]:
                print(f"             log: {line.strip()[:110]}")
    print(f"\nCSV: Verdant's row has CodeCarbon's emissions.csv columns: {results['csv_columns_match']}")
    path = write_results("energy", json.loads(json.dumps(results, default=str)), started)
    print(f"raw results: {os.path.relpath(path, ROOT)}")
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0 if results["csv_columns_match"] else 1


if __name__ == "__main__":
    sys.exit(main())
