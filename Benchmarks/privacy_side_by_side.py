#!/usr/bin/env python3
"""Seal and unseal the same file with Verdant, Python's `cryptography` and the `age` tool; print ratios.

One command, one table, raw times as JSON (default Benchmarks/results/privacy_side_by_side.json, with
the command, date and machine):

    python3 Benchmarks/privacy_side_by_side.py                       # 256 MiB, 5 repeats, release build
    python3 Benchmarks/privacy_side_by_side.py --size 1G --repeats 3 --workdir /dev/shm/bench
    python3 Benchmarks/privacy_side_by_side.py --realtime --workdir /dev/shm/bench   # on a shared machine (root)

What is timed (medians of --repeats runs after one untimed warm-up, same machine, same run; every
output is checked against the input by SHA-256):

1. The file job (the issue's goal: Verdant at most 0.5x the time of Python's cryptography), whole
   processes, file to file, seal then unseal; the job's time is the sum of the two:
     verdant seal   --key-file K -o F.sealed F      (all cores, and --threads 1)
     verdant unseal --key-file K -o F.out F.sealed
     python3 -c FILE_JOB seal|open ...               (cryptography's AESGCM, 1 MiB chunks, one core)
   FILE_JOB (below) is the same job written plainly in Python: read 1 MiB, AESGCM.encrypt with a
   counter nonce whose last byte flags the final chunk (Verdant's nonce layout), write; opening reads
   1 MiB + 16 bytes, AESGCM.decrypt, writes. It writes as Verdant does: to a temporary file in the
   target's folder, fsync, rename, fsync of the folder ("durable"); a second variant opens the target
   and writes it directly with no fsync ("plain"), which is what a quick script does. The ratio is
   Verdant's time / Python's time (below 1: Verdant is faster), against each variant.
2. X25519 against age (age is single-threaded, so its ratios are against Verdant's 1-thread rows):
     verdant seal -r verdant1… / unseal -i v.key   (--threads 1, and all cores)
     age -e -r age1… / age -d -i age.key           (X25519, ChaCha20-Poly1305, 64 KiB chunks)
   to a file, and with the output sent to /dev/null.
3. In memory, one core (the cipher loop alone):
     cryptography: a Python loop of AESGCM(key).encrypt / decrypt calls, one per 64 KiB chunk with
     counter nonces (the same chunking as Verdant's payload); not one call over the whole buffer
     verdant bench --suite privacy --size N --threads 1,<all> --json

Ratios for age and the in-memory rows are other / Verdant (above 1: Verdant is faster); the file job
ratio is Verdant / Python, as the issue states its goal.

The file rows depend on where the files are: on a disk, fsync waits for the device (the same for
both tools in the durable variant); --workdir /dev/shm measures copies and CPU alone (fsync is free
on tmpfs). The JSON records the file system of the work folder.

Requirements: python3 with `cryptography`; `age` and `age-keygen` (Debian: apt-get install -y age)
for the age rows (skipped without them). Builds Verdant in release mode unless --skip-build or
--verdant PATH. Run it on a quiet machine: other processes on the same cores slow every row; the
JSON records the load average before and after.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHUNK = 64 * 1024

# The Python file job, run as its own process: argv = [mode, key hex, input, output, durable 0|1].
FILE_JOB = r'''
import os, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
mode, key, source, target, durable = sys.argv[1], bytes.fromhex(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] == "1"
aead = AESGCM(key)
CHUNK = 1 << 20
def nonce(i, last):
    return i.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
temporary = os.path.join(os.path.dirname(os.path.abspath(target)), "." + os.path.basename(target) + ".py.tmp") if durable else target
with open(source, "rb", buffering=0) as f, open(temporary, "wb", buffering=0) as g:
    size = CHUNK if mode == "seal" else CHUNK + 16
    work = aead.encrypt if mode == "seal" else aead.decrypt
    i, current = 0, f.read(size)
    while True:
        following = f.read(size)
        g.write(work(nonce(i, not following), current, None))
        if not following:
            break
        current, i = following, i + 1
    if durable:
        os.fsync(g.fileno())
if durable:
    os.rename(temporary, target)
    folder = os.open(os.path.dirname(os.path.abspath(target)), os.O_RDONLY)
    os.fsync(folder)
    os.close(folder)
'''


def parse_size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().rstrip("B").rstrip("I")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(1 << 24)
            if not block:
                return digest.hexdigest()
            digest.update(block)


CPU_TIMES = {}  # id(times list) -> CPU seconds of the same runs


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(command, env=None, cpu=None):
    """Wall seconds of one run; its CPU seconds (user + system, all threads) are appended to `cpu`."""
    before = children_cpu()
    start = time.perf_counter()
    result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr.decode(errors='replace')}")
    if cpu is not None:
        cpu.append(children_cpu() - before)
    return elapsed


def timed(command, repeats, cleanup=None):
    """Median wall time of `command` over `repeats` runs after one warm-up; `cleanup` (untimed) removes
    the previous run's output first, so that no tool pays for replacing an old file."""
    times, cpu = [], []
    for run in range(repeats + 1):
        if cleanup:
            cleanup()
        elapsed = run_once(command, cpu=cpu)
        if run > 0:
            times.append(elapsed)
    CPU_TIMES[id(times)] = cpu[1:]
    return statistics.median(times), times


def timed_pair(first, second, repeats, cleanup):
    """Medians of two commands run alternately (seal then unseal), and of their sums, per repeat."""
    a, b, ca, cb = [], [], [], []
    for run in range(repeats + 1):
        cleanup()
        ta = run_once(first, cpu=ca)
        tb = run_once(second, cpu=cb)
        if run > 0:
            a.append(ta)
            b.append(tb)
    CPU_TIMES[id(a)] = ca[1:]
    CPU_TIMES[id(b)] = cb[1:]
    sums = [x + y for x, y in zip(a, b)]
    CPU_TIMES[id(sums)] = [x + y for x, y in zip(ca[1:], cb[1:])]
    return statistics.median(a), statistics.median(b), statistics.median(sums), a, b, sums


def cryptography_in_memory(data, repeats):
    """A Python loop of AES-256-GCM calls, one per 64 KiB chunk, one core, like Verdant's payload loop."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(os.urandom(32))
    view = memoryview(data)
    count = (len(data) + CHUNK - 1) // CHUNK

    def nonce(i, last):
        return i.to_bytes(11, "big") + (b"\x01" if last else b"\x00")

    seal_times, open_times = [], []
    sealed = None
    for run in range(repeats + 1):
        start = time.perf_counter()
        sealed = [aead.encrypt(nonce(i, i == count - 1), view[i * CHUNK:(i + 1) * CHUNK], None) for i in range(count)]
        t_seal = time.perf_counter() - start
        start = time.perf_counter()
        for i, chunk in enumerate(sealed):
            aead.decrypt(nonce(i, i == count - 1), chunk, None)
        t_open = time.perf_counter() - start
        if run > 0:
            seal_times.append(t_seal)
            open_times.append(t_open)
    digest = hashlib.sha256()
    for i, chunk in enumerate(sealed):
        digest.update(aead.decrypt(nonce(i, i == count - 1), chunk, None))
    if digest.hexdigest() != hashlib.sha256(data).hexdigest():
        sys.exit("cryptography round trip failed")
    return statistics.median(seal_times), statistics.median(open_times), seal_times, open_times


def file_system(path):
    """The file system type and source of the mount holding `path`."""
    best = ("?", "?", "")
    real = os.path.realpath(path)
    try:
        with open("/proc/mounts") as f:
            for line in f:
                source, point, kind = line.split()[:3]
                if (real == point or real.startswith(point.rstrip("/") + "/")) and len(point) >= len(best[2]):
                    best = (kind, source, point)
    except OSError:
        pass
    return {"type": best[0], "source": best[1], "mount_point": best[2]}


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version(),
            "load_average": os.getloadavg()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="256M", help="bytes of the test file (default 256M)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--verdant", help="path to a built verdant (default: build release)")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--workdir", help="folder for the test files (default: a new temporary folder)")
    parser.add_argument("--out", default=os.path.join(REPO, "Benchmarks", "results", "privacy_side_by_side.json"),
                        help="where to write the JSON (default Benchmarks/results/privacy_side_by_side.json)")
    parser.add_argument("--no-age", action="store_true", help="skip the age rows")
    parser.add_argument("--no-memory", action="store_true", help="skip the in-memory rows")
    parser.add_argument("--only-file-job", action="store_true", help="only the file job (no age, no in-memory rows)")
    parser.add_argument("--realtime", action="store_true",
                        help="run this script and every timed process with SCHED_FIFO priority 50 (Linux, root or "
                             "CAP_SYS_NICE), so that other processes on a shared machine do not take the cores")
    args = parser.parse_args()
    size = parse_size(args.size)
    if args.only_file_job:
        args.no_age = args.no_memory = True
        args.no_x25519 = True
    else:
        args.no_x25519 = False

    verdant = args.verdant or os.path.join(REPO, ".build", "release", "verdant")
    if not args.verdant and not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "verdant"], cwd=REPO, check=True)
    age = None if args.no_age else shutil.which("age")
    age_keygen = None if args.no_age else shutil.which("age-keygen")
    cores = os.cpu_count() or 1
    if args.realtime:
        # Children inherit the policy. The kernel's real-time throttling (sched_rt_runtime_us) still
        # leaves other processes a share of every second.
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
        except (AttributeError, PermissionError, OSError) as error:
            sys.exit(f"--realtime: cannot use SCHED_FIFO here ({error}); run as root or without --realtime")
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    host = machine()

    work = args.workdir or tempfile.mkdtemp(prefix="verdant-privacy-bench-")
    os.makedirs(work, exist_ok=True)
    path = lambda name: os.path.join(work, name)
    rows = []

    def add(section, tool, operation, seconds, times, threads, note=""):
        # GB/s of the file for one pass; a seal+unseal row moves it twice.
        passes = 2 if operation == "seal+unseal" else 1
        row = {"section": section, "tool": tool, "operation": operation, "threads": threads, "seconds": seconds,
               "times": times, "gb_per_s": passes * size / seconds / 1e9, "note": note}
        cpu = CPU_TIMES.get(id(times))
        if cpu:
            # User + system CPU seconds of the whole process (every thread): less sensitive than wall
            # time to other processes on the machine.
            row["cpu_seconds"] = statistics.median(cpu)
            row["cpu_times"] = cpu
        rows.append(row)

    def remove(*names):
        def clean():
            for name in names:
                if os.path.exists(path(name)):
                    os.remove(path(name))
        return clean

    try:
        print(f"test file: {size} bytes in {work} ({file_system(work)['type']})", file=sys.stderr)
        with open(path("plain.bin"), "wb") as f:
            left = size
            while left > 0:
                n = min(left, 1 << 24)
                f.write(os.urandom(n))
                left -= n
        plain_hash = sha256_file(path("plain.bin"))

        def check(name):
            if sha256_file(path(name)) != plain_hash:
                sys.exit(f"{name} differs from the input")

        subprocess.run([verdant, "keygen", "--symmetric", "-o", path("k.bin"), "--force"], check=True, stderr=subprocess.DEVNULL)
        key_hex = open(path("k.bin"), "rb").read().hex()
        recipient = subprocess.run([verdant, "keygen", "-o", path("v.key"), "--force"], check=True,
                                   capture_output=True, text=True).stdout.strip()

        # 1. The file job.
        for threads in [cores, 1]:
            extra = ["--threads", str(threads)]
            seal, unseal, job, ts, tu, both = timed_pair(
                [verdant, "seal", "--key-file", path("k.bin"), "-o", path("v.sealed"), *extra, path("plain.bin")],
                [verdant, "unseal", "--key-file", path("k.bin"), "-o", path("v.out"), *extra, path("v.sealed")],
                args.repeats, remove("v.sealed", "v.out"))
            check("v.out")
            add("file job", "verdant", "seal", seal, ts, threads)
            add("file job", "verdant", "unseal", unseal, tu, threads)
            add("file job", "verdant", "seal+unseal", job, both, threads)
        for durable in ["1", "0"]:
            variant = "durable" if durable == "1" else "plain"
            seal, unseal, job, ts, tu, both = timed_pair(
                [sys.executable, "-c", FILE_JOB, "seal", key_hex, path("plain.bin"), path("p.sealed"), durable],
                [sys.executable, "-c", FILE_JOB, "open", key_hex, path("p.sealed"), path("p.out"), durable],
                args.repeats, remove("p.sealed", "p.out"))
            check("p.out")
            note = ("temporary file, fsync, rename, fsync of the folder (as Verdant)" if durable == "1"
                    else "writes the target directly, no fsync")
            add("file job", f"python cryptography, {variant}", "seal", seal, ts, 1, note)
            add("file job", f"python cryptography, {variant}", "unseal", unseal, tu, 1, note)
            add("file job", f"python cryptography, {variant}", "seal+unseal", job, both, 1, note)

        # 2. X25519 against age.
        for threads in ([] if args.no_x25519 else [1, cores]):
            extra = ["--threads", str(threads)]
            t, ts = timed([verdant, "seal", "-r", recipient, "-o", path("x.sealed"), *extra, path("plain.bin")], args.repeats,
                          cleanup=remove("x.sealed"))
            add("x25519 file", "verdant", "seal", t, ts, threads)
            t, ts = timed([verdant, "unseal", "-i", path("v.key"), "-o", path("x.out"), *extra, path("x.sealed")], args.repeats,
                          cleanup=remove("x.out"))
            check("x.out")
            add("x25519 file", "verdant", "unseal", t, ts, threads)
            t, ts = timed([verdant, "seal", "-r", recipient, *extra, path("plain.bin")], args.repeats)
            add("x25519 /dev/null", "verdant", "seal", t, ts, threads)
            t, ts = timed([verdant, "unseal", "-i", path("v.key"), *extra, path("x.sealed")], args.repeats)
            add("x25519 /dev/null", "verdant", "unseal", t, ts, threads)
        if age and age_keygen:
            remove("age.key")()  # age-keygen never overwrites
            subprocess.run([age_keygen, "-o", path("age.key")], check=True, stderr=subprocess.DEVNULL)
            age_recipient = subprocess.run([age_keygen, "-y", path("age.key")], check=True, capture_output=True,
                                           text=True).stdout.strip()
            version = subprocess.run([age, "--version"], capture_output=True, text=True).stdout.strip()
            t, ts = timed([age, "-e", "-r", age_recipient, "-o", path("a.age"), path("plain.bin")], args.repeats,
                          cleanup=remove("a.age"))
            add("x25519 file", f"age {version}", "seal", t, ts, 1)
            t, ts = timed([age, "-d", "-i", path("age.key"), "-o", path("a.out"), path("a.age")], args.repeats,
                          cleanup=remove("a.out"))
            check("a.out")
            add("x25519 file", f"age {version}", "unseal", t, ts, 1)
            t, ts = timed([age, "-e", "-r", age_recipient, path("plain.bin")], args.repeats)
            add("x25519 /dev/null", f"age {version}", "seal", t, ts, 1)
            t, ts = timed([age, "-d", "-i", path("age.key"), path("a.age")], args.repeats)
            add("x25519 /dev/null", f"age {version}", "unseal", t, ts, 1)
        elif not args.no_age:
            print("age not found: skipping its rows (apt-get install -y age)", file=sys.stderr)

        # 3. In memory.
        if not args.no_memory:
            with open(path("plain.bin"), "rb") as f:
                data = f.read()
            import cryptography
            seal_s, open_s, ts, to = cryptography_in_memory(data, args.repeats)
            del data
            note = "a Python loop of AESGCM.encrypt/decrypt calls, one per 64 KiB chunk"
            add("in memory", f"python cryptography {cryptography.__version__}", "seal", seal_s, ts, 1, note)
            add("in memory", f"python cryptography {cryptography.__version__}", "unseal", open_s, to, 1, note)
            bench = subprocess.run([verdant, "bench", "--suite", "privacy", "--size", str(size), "--repeats", str(args.repeats),
                                    "--threads", f"1,{cores}" if cores > 1 else "1", "--work-factor", "10", "--json"],
                                   check=True, capture_output=True, text=True)
            for r in json.loads(bench.stdout)["results"]:
                if r["case"] in ("seal", "open"):
                    add("in memory", "verdant", "seal" if r["case"] == "seal" else "unseal", r["seconds_median"], r["seconds"],
                        r["threads"])
    finally:
        finished_load = os.getloadavg()
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)

    # Ratios.
    def find(section, tool, operation, threads):
        return next((r for r in rows if r["section"] == section and r["tool"] == tool and r["operation"] == operation
                     and r["threads"] == threads), None)

    for r in rows:
        reference = None
        if r["section"] == "file job" and r["tool"] == "verdant":
            for variant in ["durable", "plain"]:
                python = find("file job", f"python cryptography, {variant}", r["operation"], 1)
                if python:
                    r[f"verdant_over_python_{variant}"] = r["seconds"] / python["seconds"]
                    if "cpu_seconds" in r and "cpu_seconds" in python:
                        r[f"verdant_over_python_{variant}_cpu"] = r["cpu_seconds"] / python["cpu_seconds"]
            continue
        if r["section"] in ("x25519 file", "x25519 /dev/null") and r["tool"].startswith("age"):
            reference = find(r["section"], "verdant", r["operation"], 1)
        elif r["section"] == "in memory" and r["tool"].startswith("python"):
            reference = find("in memory", "verdant", r["operation"], 1)
        if reference:
            r["other_over_verdant_1_thread"] = r["seconds"] / reference["seconds"]

    print(f"\n{size / 2**20:.0f} MiB, medians of {args.repeats}, {cores} cores, work folder on {file_system(work)['type']}"
          f"{', SCHED_FIFO' if args.realtime else ''}; load average before {host['load_average'][0]:.2f}, "
          f"after {finished_load[0]:.2f}\n")
    print(f"{'section':17} {'tool':34} {'op':12} {'thr':>3} {'seconds':>8} {'cpu s':>7} {'GB/s':>6}  ratio")
    for r in rows:
        if "verdant_over_python_durable" in r:
            ratio = (f"verdant/python: {r['verdant_over_python_durable']:.2f} (durable), "
                     f"{r.get('verdant_over_python_plain', float('nan')):.2f} (plain)")
        elif "other_over_verdant_1_thread" in r:
            ratio = f"other/verdant(1 thread): {r['other_over_verdant_1_thread']:.2f}"
        else:
            ratio = ""
        cpu = f"{r['cpu_seconds']:7.3f}" if "cpu_seconds" in r else f"{'':7}"
        print(f"{r['section']:17} {r['tool']:34} {r['operation']:12} {r['threads']:3} {r['seconds']:8.3f} {cpu} "
              f"{r['gb_per_s']:6.2f}  {ratio}")
    print("\nseconds: median wall time; cpu s: median user + system CPU seconds of the process (all threads). "
          "file job: whole processes, seal then unseal, file to file; goal: verdant/python <= 0.5. "
          "age: single-threaded, compared with Verdant at 1 thread. In memory: the cipher loop alone, 1 thread.")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump({"command": " ".join([os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:]), "date": started,
                       "machine": host, "load_average_after": finished_load, "work_folder": file_system(work),
                       "scheduling": "SCHED_FIFO 50 (--realtime)" if args.realtime else "default",
                       "size_bytes": size, "repeats": args.repeats, "rows": rows}, f, indent=1)
            f.write("\n")
        print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
