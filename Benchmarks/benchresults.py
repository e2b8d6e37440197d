"""Raw results of the side-by-side scripts, written under Benchmarks/results/ with what is needed
to judge and repeat them: the exact command, the date, the machine, its load while the script ran.

    from benchresults import machine, write_results
    path = write_results("qml", {"rows": rows, "raw": raw})   # Benchmarks/results/qml-20261214T101500.json

The scripts print their tables from the same numbers; docs tables cite the file.
"""
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_bytes():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def machine():
    """The machine as the results file records it: CPU, cores, memory, OS, Python, load averages."""
    try:
        load = list(os.getloadavg())
    except OSError:
        load = None
    return {"cpu": _cpu_model(), "logical_cpus": os.cpu_count(), "memory_bytes": _memory_bytes(),
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "load_average_1_5_15": load}


def write_results(name, payload, started=None):
    """Writes payload with command, date and machine to Benchmarks/results/NAME-DATE.json and
    returns the path. `started` is the machine() taken at the start (its load then)."""
    os.makedirs(RESULTS, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    document = {
        "command": " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0])] + sys.argv[1:]),
        "date": now.isoformat(timespec="seconds"),
        "machine": machine(),
        "machine_at_start": started,
        "note": "indicative unless the load averages show an idle machine (other builds may have shared the cores)",
    }
    document.update(payload)
    path = os.path.join(RESULTS, f"{name}-{now.strftime('%Y%m%dT%H%M%SZ')}.json")
    with open(path, "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")
    return path


def verdant_binary(skip_build, binary=None):
    """The release `verdant` to time: `binary` when given, else this checkout's, built first
    unless `skip_build`."""
    if binary:
        return os.path.abspath(binary)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "verdant"], cwd=repo, check=True)
    path = os.path.join(repo, ".build", "release", "verdant")
    if not os.path.exists(path):
        sys.exit(f"{path} not found: run swift build -c release (or drop --skip-build)")
    return path
