#!/usr/bin/env python3
"""Seal and unseal the same file with Verdant, the `age` tool and Python's `cryptography`; print ratios.

What is timed (medians of --repeats runs after one untimed warm-up, same machine, same run):

  file to file, whole process (what a user runs):
    verdant seal   --key-file K  -o F.sealed F        (all cores, and --threads 1)
    verdant seal   -r verdant1…  -o F.sealed F        (X25519 recipient, all cores)
    verdant unseal --key-file K  -o F.out F.sealed    (all cores, and --threads 1)
    verdant unseal -i v.key      -o F.out F.sealed    (X25519)
    age -e -r age1… -o F.age F                        (X25519, ChaCha20-Poly1305, 64 KiB chunks)
    age -d -i age.key -o F.out F.age
    the X25519 commands of both tools again with standard output sent to /dev/null (no file written)

  in memory, one core (the cipher loop alone):
    cryptography: AESGCM(key).encrypt / decrypt over 64 KiB chunks with counter nonces (the same
    chunking as Verdant's payload), into a preallocated bytearray
    verdant bench --suite privacy --size N --threads 1,<all> --json  (Verdant's in-memory loop)

Every file output is checked against the input (SHA-256). Ratios are "other / Verdant" times
against Verdant's row of the same kind (X25519 at all cores to a file or to /dev/null; in memory at
one thread): above 1 means Verdant is faster.

Requirements: python3 with `cryptography`; the `age` and `age-keygen` commands (Debian: apt-get
install -y age) — without them the age rows are skipped. Builds Verdant in release mode unless
--skip-build or --verdant PATH.

    python3 Benchmarks/privacy_side_by_side.py                       # 1 GiB, 3 repeats
    python3 Benchmarks/privacy_side_by_side.py --size 256M --repeats 5 --out privacy.json
"""

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHUNK = 64 * 1024


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


def timed(command, repeats, env=None, cleanup=None):
    """Median wall time of `command` over `repeats` runs after one warm-up; `cleanup` (untimed) removes
    the previous run's output first, so that no tool pays for replacing an old file."""
    times = []
    for run in range(repeats + 1):
        if cleanup:
            cleanup()
        start = time.perf_counter()
        result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr.decode(errors='replace')}")
        if run > 0:
            times.append(elapsed)
    return statistics.median(times), times


def cryptography_in_memory(data, repeats):
    """AES-256-GCM over 64 KiB chunks, one core, like Verdant's payload loop."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(os.urandom(32))
    view = memoryview(data)
    count = (len(data) + CHUNK - 1) // CHUNK

    def nonce(i, last):
        return i.to_bytes(11, "big") + (b"\x01" if last else b"\x00")

    def seal():
        out = []
        for i in range(count):
            out.append(aead.encrypt(nonce(i, i == count - 1), view[i * CHUNK:(i + 1) * CHUNK], None))
        return out

    def open_(chunks):
        digest = hashlib.sha256()
        for i, chunk in enumerate(chunks):
            digest.update(aead.decrypt(nonce(i, i == count - 1), chunk, None))
        return digest.hexdigest()

    seal_times, open_times = [], []
    sealed = None
    for run in range(repeats + 1):
        start = time.perf_counter()
        sealed = seal()
        t_seal = time.perf_counter() - start
        start = time.perf_counter()
        # Decrypt without hashing in the timed loop.
        for i, chunk in enumerate(sealed):
            aead.decrypt(nonce(i, i == count - 1), chunk, None)
        t_open = time.perf_counter() - start
        if run > 0:
            seal_times.append(t_seal)
            open_times.append(t_open)
    if open_(sealed) != hashlib.sha256(data).hexdigest():
        sys.exit("cryptography round trip failed")
    return statistics.median(seal_times), statistics.median(open_times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1G", help="bytes of the test file (default 1G)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--verdant", help="path to a built verdant (default: build release)")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--workdir", help="folder for the test files (default: a new temporary folder)")
    parser.add_argument("--out", help="write all times as JSON")
    args = parser.parse_args()
    size = parse_size(args.size)

    verdant = args.verdant or os.path.join(REPO, ".build", "release", "verdant")
    if not args.verdant and not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "verdant"], cwd=REPO, check=True)
    age = shutil.which("age")
    age_keygen = shutil.which("age-keygen")
    cores = os.cpu_count() or 1

    work = args.workdir or tempfile.mkdtemp(prefix="verdant-privacy-bench-")
    os.makedirs(work, exist_ok=True)
    path = lambda name: os.path.join(work, name)
    try:
        print(f"test file: {size} bytes in {work}", file=sys.stderr)
        with open(path("plain.bin"), "wb") as f:
            left = size
            while left > 0:
                n = min(left, 1 << 24)
                f.write(os.urandom(n))
                left -= n
        plain_hash = sha256_file(path("plain.bin"))
        subprocess.run([verdant, "keygen", "--symmetric", "-o", path("k.bin"), "--force"], check=True, stderr=subprocess.DEVNULL)
        recipient = subprocess.run([verdant, "keygen", "-o", path("v.key"), "--force"], check=True,
                                   capture_output=True, text=True).stdout.strip()

        rows = []

        def remove(*names):
            def clean():
                for name in names:
                    if os.path.exists(path(name)):
                        os.remove(path(name))
            return clean

        def check(name):
            if sha256_file(path(name)) != plain_hash:
                sys.exit(f"{name} differs from the input")

        def add(tool, operation, seconds, times):
            rows.append({"tool": tool, "operation": operation, "seconds": seconds, "times": times,
                         "gb_per_s": size / seconds / 1e9})

        for threads in [None, 1]:
            label = f"{cores} threads" if threads is None else "1 thread"
            extra = [] if threads is None else ["--threads", str(threads)]
            t, ts = timed([verdant, "seal", "--key-file", path("k.bin"), "-o", path("v.sealed"), *extra,
                           path("plain.bin")], args.repeats, cleanup=remove("v.sealed"))
            add(f"verdant key-file, {label}", "seal", t, ts)
            t, ts = timed([verdant, "unseal", "--key-file", path("k.bin"), "-o", path("v.out"), *extra,
                           path("v.sealed")], args.repeats, cleanup=remove("v.out"))
            check("v.out")
            add(f"verdant key-file, {label}", "unseal", t, ts)
        t, ts = timed([verdant, "seal", "-r", recipient, "-o", path("x.sealed"), path("plain.bin")], args.repeats,
                      cleanup=remove("x.sealed"))
        add(f"verdant X25519, {cores} threads", "seal", t, ts)
        t, ts = timed([verdant, "unseal", "-i", path("v.key"), "-o", path("x.out"), path("x.sealed")], args.repeats,
                      cleanup=remove("x.out"))
        check("x.out")
        add(f"verdant X25519, {cores} threads", "unseal", t, ts)
        # To /dev/null: no file written, so the disk's write speed is out of the picture.
        t, ts = timed([verdant, "seal", "-r", recipient, path("plain.bin")], args.repeats)
        add(f"verdant X25519 → /dev/null, {cores} threads", "seal", t, ts)
        t, ts = timed([verdant, "unseal", "-i", path("v.key"), path("x.sealed")], args.repeats)
        add(f"verdant X25519 → /dev/null, {cores} threads", "unseal", t, ts)

        if age and age_keygen:
            subprocess.run([age_keygen, "-o", path("age.key")], check=True, stderr=subprocess.DEVNULL)
            age_recipient = subprocess.run([age_keygen, "-y", path("age.key")], check=True, capture_output=True,
                                           text=True).stdout.strip()
            version = subprocess.run([age, "--version"], capture_output=True, text=True).stdout.strip()
            t, ts = timed([age, "-e", "-r", age_recipient, "-o", path("a.age"), path("plain.bin")], args.repeats,
                          cleanup=remove("a.age"))
            add(f"age {version} X25519", "seal", t, ts)
            t, ts = timed([age, "-d", "-i", path("age.key"), "-o", path("a.out"), path("a.age")], args.repeats,
                          cleanup=remove("a.out"))
            check("a.out")
            add(f"age {version} X25519", "unseal", t, ts)
            t, ts = timed([age, "-e", "-r", age_recipient, path("plain.bin")], args.repeats)
            add(f"age {version} X25519 → /dev/null", "seal", t, ts)
            t, ts = timed([age, "-d", "-i", path("age.key"), path("a.age")], args.repeats)
            add(f"age {version} X25519 → /dev/null", "unseal", t, ts)
        else:
            print("age not found: skipping (apt-get install -y age)", file=sys.stderr)

        # In memory: Python cryptography vs verdant bench.
        with open(path("plain.bin"), "rb") as f:
            data = f.read()
        import cryptography
        seal_s, open_s = cryptography_in_memory(data, args.repeats)
        del data
        add(f"cryptography {cryptography.__version__} in memory, 1 thread", "seal", seal_s, [seal_s])
        add(f"cryptography {cryptography.__version__} in memory, 1 thread", "unseal", open_s, [open_s])
        bench = subprocess.run([verdant, "bench", "--suite", "privacy", "--size", str(size), "--repeats", str(args.repeats),
                                "--threads", f"1,{cores}" if cores > 1 else "1", "--work-factor", "10", "--json"],
                               check=True, capture_output=True, text=True)
        for r in json.loads(bench.stdout)["results"]:
            label = f"verdant in memory, {r['threads']} thread{'s' if r['threads'] > 1 else ''}"
            add(label, "seal" if r["case"] == "seal" else "unseal", r["seconds_median"], r["seconds"])

        # Ratios against Verdant's matching row: to a file, X25519 at all cores; to /dev/null, the
        # same to /dev/null; in memory, 1 thread.
        def verdant_row(operation, tool):
            if "in memory" in tool:
                name = "verdant in memory, 1 thread"
            elif "/dev/null" in tool:
                name = f"verdant X25519 → /dev/null, {cores} threads"
            else:
                name = f"verdant X25519, {cores} threads"
            return next(r for r in rows if r["tool"] == name and r["operation"] == operation)

        print(f"\n{size / 2**30:.2f} GiB, medians of {args.repeats}, {cores} cores; ratio = other time / Verdant time "
              "(> 1: Verdant faster)\n")
        print(f"{'tool':44} {'op':7} {'seconds':>9} {'GB/s':>7} {'ratio':>7}")
        for r in rows:
            reference = verdant_row(r["operation"], r["tool"])
            ratio = r["seconds"] / reference["seconds"]
            r["ratio_vs_verdant"] = ratio
            print(f"{r['tool']:44} {r['operation']:7} {r['seconds']:9.3f} {r['gb_per_s']:7.2f} {ratio:7.2f}")
        print("\nfile rows: whole process, file to file (page cache, written back to disk as the kernel decides); "
              "/dev/null rows: whole process, output discarded; memory rows: the cipher loop alone.")
        if args.out:
            with open(args.out, "w") as f:
                json.dump({"size_bytes": size, "repeats": args.repeats, "cores": cores, "rows": rows}, f, indent=1)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
