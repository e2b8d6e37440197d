#!/usr/bin/env python3
"""Verdant's parallel suite side by side with Dask, NumPy and mpi4py, on the same machine and run.

    python3 Benchmarks/parallel_side_by_side.py                 # builds release, runs everything
    python3 Benchmarks/parallel_side_by_side.py --skip-build --elements 1e8 --chunk-sizes 1e6,1e7 --repeats 3
    python3 Benchmarks/parallel_side_by_side.py --mpi-verdant .build-mpi/release/verdant   # adds allreduce

Needs: numpy, dask (`pip install dask`), and for allreduce mpi4py (`pip install mpi4py`) with Open
MPI's mpirun on PATH and a Verdant built with `--traits MPI`. With ray installed (`pip install ray`),
the tasks case also times Ray tasks (skip with --no-ray). Prints one table of medians and
ratios (> 1 means Verdant is faster) and writes every raw number, with the command, date and
machine, to Benchmarks/results/parallel-DATE.json (--out FILE: also to FILE).

Like with like: every timed region builds its own work. Dask's timed region builds its delayed
objects and graph; Verdant's tasks-run builds its closures, tasks-graph its TaskGraph, inside the
timer too (Sources/Parallel/Benchmark.swift). Verdant's thread count is stated in every row.
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from benchresults import machine, write_results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def median_time(fn, repeats, warmup=True):
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def verdant_json(binary, args, mpirun=None):
    command = (mpirun or []) + [binary, "bench", "--suite", "parallel", "--json"] + args
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1] if mpirun else out)


def dask_sum_squares(n, chunk, repeats, threads):
    import dask
    import dask.array as da
    import numpy as np
    data = np.random.default_rng(2026).random(n)  # in memory, not timed (Verdant's data is too)
    x = da.from_array(data, chunks=chunk)
    y = (x ** 2).sum()
    with dask.config.set(scheduler="threads", num_workers=threads):
        seconds, times = median_time(lambda: y.compute(), repeats)
    expect = float(np.dot(data, data))
    value = float(y.compute(scheduler="threads"))
    assert abs(value - expect) <= 1e-9 * expect, (value, expect)
    del data
    return seconds, times


def dask_tasks(count, repeats, threads):
    import dask
    from dask import delayed

    def work(i):
        return i * 3

    def run():
        tasks = [delayed(work)(i) for i in range(count)]
        dask.compute(*tasks, scheduler="threads", num_workers=threads)

    return median_time(run, repeats)


NUMPY_MATMUL = r"""
import os, sys, time, statistics, json
import numpy as np
n, repeats = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(1)
a, b = rng.random((n, n)), rng.random((n, n))
a @ b
times = []
for _ in range(repeats):
    t0 = time.perf_counter(); a @ b; times.append(time.perf_counter() - t0)
print(json.dumps({"seconds": statistics.median(times), "times": times}))
"""

RAY_TASKS = r"""
import json, statistics, sys, time
import ray
count, repeats, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ray.init(num_cpus=threads, include_dashboard=False, log_to_driver=False)

@ray.remote
def work(i):
    return i * 3

def run():
    results = ray.get([work.remote(i) for i in range(count)])
    assert results[-1] == (count - 1) * 3

run()  # warm-up: starts the worker processes
times = []
for _ in range(repeats):
    t0 = time.perf_counter(); run(); times.append(time.perf_counter() - t0)
ray.shutdown()
print(json.dumps({"seconds": statistics.median(times), "times": times, "ray": ray.__version__}))
"""

MPI4PY_ALLREDUCE = r"""
import sys, time, statistics, json
import numpy as np
from mpi4py import MPI
comm = MPI.COMM_WORLD
repeats = int(sys.argv[1])
results = []
for nbytes in [int(x) for x in sys.argv[2].split(",")]:
    send = np.ones(max(1, nbytes // 8)); recv = np.empty_like(send)
    calls = 2000 if nbytes <= 4096 else 200 if nbytes <= 1 << 20 else 20
    comm.Barrier()
    for _ in range(calls): comm.Allreduce(send, recv, op=MPI.SUM)  # warm-up
    times = []
    for _ in range(repeats):
        comm.Barrier(); t0 = time.perf_counter()
        for _ in range(calls): comm.Allreduce(send, recv, op=MPI.SUM)
        comm.Barrier(); times.append((time.perf_counter() - t0) / calls)
    results.append({"bytes": send.nbytes, "seconds": statistics.median(times), "times": times})
if comm.rank == 0: print(json.dumps(results))
"""


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--verdant", default=os.path.join(ROOT, ".build/release/verdant"))
    p.add_argument("--mpi-verdant", help="a Verdant built with --traits MPI, for the allreduce comparison")
    p.add_argument("--skip-build", action="store_true")
    p.add_argument("--elements", default="1e8,4e8")
    p.add_argument("--chunk-sizes", default="1e6,1e7")
    p.add_argument("--tasks", type=int, default=10000)
    p.add_argument("--matrix-size", type=int, default=4000)
    p.add_argument("--message-bytes", default="8,8388608")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--cases", default="sum-squares,tasks,matmul,allreduce")
    p.add_argument("--no-ray", action="store_true", help="skip the Ray tasks comparison even when ray is installed")
    p.add_argument("--out")
    a = p.parse_args()
    started = machine()
    cases = a.cases.split(",")
    threads = os.cpu_count() or 1
    if not a.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "verdant"], cwd=ROOT, check=True)

    elements = [int(float(x)) for x in a.elements.split(",")]
    chunks = [int(float(x)) for x in a.chunk_sizes.split(",")]
    rows, raw = [], {"threads": threads}

    local_cases = [c for c in cases if c in ("sum-squares", "tasks", "matmul")]
    if local_cases:
        v = verdant_json(a.verdant, ["--cases", ",".join(local_cases), "--elements", a.elements, "--chunk-sizes", a.chunk_sizes,
                                     "--tasks", str(a.tasks), "--matrix-size", str(a.matrix_size), "--repeats", str(a.repeats)])
        raw["verdant"] = v
        results = v["results"]
    else:
        results = []

    def find(case, **parameters):
        for r in results:
            if r["case"] == case and all(r["parameters"].get(k) == float(val) for k, val in parameters.items() if k != "threads") \
                    and r["threads"] == parameters.get("threads", r["threads"]):
                return r
        return None

    if "sum-squares" in cases:
        for n in elements:
            loop = find("fused-loop", elements=n, threads=threads)
            for c in chunks:
                ours = find("sum-squares", elements=n, chunk=c, threads=threads)
                seconds, times = dask_sum_squares(n, c, a.repeats, threads)
                raw.setdefault("dask_sum_squares", []).append({"elements": n, "chunk": c, "seconds": seconds, "times": times})
                rows.append([f"sum of squares n={n:.0e} chunk={c:.0e}, {threads} threads", ours["seconds_median"], seconds, "Dask threads",
                             seconds / ours["seconds_median"], ours["seconds_median"] / loop["seconds_median"]])
    if "tasks" in cases:
        seconds, times = dask_tasks(a.tasks, a.repeats, threads)
        raw["dask_tasks"] = {"tasks": a.tasks, "seconds": seconds, "times": times}
        for case in ("tasks-run", "tasks-map", "tasks-graph"):
            ours = find(case, tasks=a.tasks, threads=threads)
            rows.append([f"{case}: {a.tasks} trivial tasks, {threads} threads (per task; both sides build their tasks in the timer)",
                         ours["seconds_median"] / a.tasks, seconds / a.tasks,
                         "dask.delayed threads", seconds / ours["seconds_median"], None])
        if not a.no_ray and importlib.util.find_spec("ray") is not None:
            # A subprocess: Ray starts worker processes and a local cluster; nothing stays behind.
            out = subprocess.run([sys.executable, "-c", RAY_TASKS, str(a.tasks), str(a.repeats), str(threads)], check=True,
                                 capture_output=True, text=True).stdout
            ray_result = json.loads(out.strip().splitlines()[-1])
            raw["ray_tasks"] = dict(ray_result, tasks=a.tasks)
            for case in ("tasks-run", "tasks-map", "tasks-graph"):
                ours = find(case, tasks=a.tasks, threads=threads)
                rows.append([f"{case}: {a.tasks} trivial tasks, {threads} threads (per task)", ours["seconds_median"] / a.tasks,
                             ray_result["seconds"] / a.tasks, f"Ray {ray_result['ray']} tasks", ray_result["seconds"] / ours["seconds_median"],
                             None])
        elif not a.no_ray:
            print("note: ray is not installed (pip install ray); the Ray tasks rows are left out", file=sys.stderr)
    if "matmul" in cases:
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        out = subprocess.run([sys.executable, "-c", NUMPY_MATMUL, str(a.matrix_size), str(a.repeats)], env=env, check=True,
                             capture_output=True, text=True).stdout
        numpy = json.loads(out)
        raw["numpy_matmul_1_thread"] = numpy
        ours = find("matmul", n=a.matrix_size, threads=1)
        flops = 2 * a.matrix_size ** 3
        rows.append([f"matmul {a.matrix_size}² 1 thread (GFLOP/s: Verdant {ours['value']:.2f}, NumPy {flops / numpy['seconds'] / 1e9:.2f})",
                     ours["seconds_median"], numpy["seconds"], "NumPy BLAS 1 core", numpy["seconds"] / ours["seconds_median"], None])
        allt = find("matmul", n=a.matrix_size, threads=threads)
        if allt and threads > 1:
            rows.append([f"matmul {a.matrix_size}² {threads} threads (GFLOP/s {allt['value']:.2f}) vs NumPy 1 core",
                         allt["seconds_median"], numpy["seconds"], "NumPy BLAS 1 core", numpy["seconds"] / allt["seconds_median"], None])
    if "allreduce" in cases and a.mpi_verdant:
        mpirun = ["mpirun", "-np", "2", "--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
        v = verdant_json(a.mpi_verdant, ["--cases", "allreduce", "--message-bytes", a.message_bytes, "--repeats", str(a.repeats)], mpirun)
        raw["verdant_allreduce"] = v
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(MPI4PY_ALLREDUCE)
        out = subprocess.run(mpirun + [sys.executable, f.name, str(a.repeats), a.message_bytes], check=True, capture_output=True,
                             text=True).stdout
        os.unlink(f.name)
        theirs = json.loads(out.strip().splitlines()[-1])
        raw["mpi4py_allreduce"] = theirs
        for ours in v["results"]:
            b = int(ours["parameters"]["bytes"])
            other = next(t for t in theirs if t["bytes"] == b)
            gbs = f", GB/s Verdant {b / ours['seconds_median'] / 1e9:.2f} mpi4py {b / other['seconds'] / 1e9:.2f}" if b >= 1 << 20 else ""
            rows.append([f"allreduce {b} B, 2 ranks (per call{gbs})", ours["seconds_median"], other["seconds"], "mpi4py",
                         other["seconds"] / ours["seconds_median"], None])

    print(f"{'case':<88} {'Verdant s':>11} {'anchor s':>11}  {'anchor':<22} {'anchor/Verdant':>14} {'Verdant/loop':>12}")
    for name, ours, theirs, anchor, ratio, loop in rows:
        print(f"{name:<88} {ours:>11.4g} {theirs:>11.4g}  {anchor:<22} {ratio:>14.2f} {'' if loop is None else f'{loop:.2f}':>12}")
    columns = ["case", "verdant_seconds", "anchor_seconds", "anchor", "anchor_over_verdant", "verdant_over_fused_loop"]
    payload = {"verdant_threads": threads, "statistic": "median (Python statistics.median; Verdant: the same definition)",
               "columns": columns, "rows": rows, "raw": raw}
    path = write_results("parallel", payload, started)
    print(f"raw results: {os.path.relpath(path, ROOT)}")
    if a.out:
        with open(a.out, "w") as f:
            json.dump(payload, f, indent=1)


if __name__ == "__main__":
    main()
