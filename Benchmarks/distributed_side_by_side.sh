#!/usr/bin/env bash
# The distributed state vector side by side (issue 19): Verdant split over 2 ranks × 1 thread
# against Verdant in 1 rank × 2 threads, and QuEST v4.1 (distributed, multithreaded) with the same
# ranks and threads, on the native QFT and on a random u+cx circuit (Verdant's "random" case,
# exported as OpenQASM and read by both); then a 30-qubit single-precision QFT on 4 ranks with
# each rank's peak RSS. Raw JSON lines go to Benchmarks/results/distributed-<UTC time>.json with the
# command, date and machine; a summary of ratios is printed.
#
#   flock /work/.bench.lock Benchmarks/distributed_side_by_side.sh [QUBITS (24,26)] [REPEATS (3)] [BIG (30 or none)]
#
# Needs: the MPI release build (swift build -c release --traits MPI --scratch-path .build-mpi
# --product verdant) and QuEST built from ../shared/anchors/QuEST-v4.1.tar.gz with this folder's
# quest/quest_bench.cpp (see Benchmarks/README.md), at $VERDANT and $QUEST_BENCH.
set -euo pipefail
cd "$(dirname "$0")/.."
QUBITS=${1:-24,26}
REPEATS=${2:-3}
BIG=${3:-30}
VERDANT=${VERDANT:-.build-mpi/release/verdant}
QUEST_BENCH=${QUEST_BENCH:-/work/quest-build/quest_bench}
MPIRUN=(mpirun --allow-run-as-root --oversubscribe --bind-to none)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=Benchmarks/results/distributed-$STAMP.json
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

record() {  # record LABEL COMMAND... : runs it, appends {"label", "command", "result"} to $OUT
    local label=$1; shift
    local result
    result=$("$@" | tr -d '\n')
    printf '{"label": "%s", "command": "%s", "result": %s}\n' "$label" "$*" "$result" >> "$OUT"
}

printf '{"date": "%s", "machine": {"cpu": "%s", "cores": %s, "memory_kib": %s, "load": "%s"}, "note": "%s"}\n' \
    "$STAMP" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$(nproc)" \
    "$(grep MemTotal /proc/meminfo | awk '{print $2}')" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "shared machine: other engineers build and test on the same cores; numbers are indicative" > "$OUT"

# Cross-check first: QuEST's final state of the 10-qubit random u+cx circuit and of its QFT equal
# Verdant's (one process, and split over 2 ranks) to 1e-10, so both sides compute the same thing.
"$VERDANT" bench --suite quantum --cases random,qft --qubits 10 --precision double --repeats 1 --export-qasm "$WORK" \
    --no-energy-summary > /dev/null
for CASE in random qft; do
    "$VERDANT" run "$WORK/$CASE-10.qasm" --statevector --json --no-energy-summary > "$WORK/v-$CASE.json"
    "${MPIRUN[@]}" -np 2 "$VERDANT" run "$WORK/$CASE-10.qasm" --statevector --json --distribute always \
        --no-energy-summary > "$WORK/v2-$CASE.json"
    QUEST_CASE=$([ "$CASE" = qft ] && echo qft || echo "$WORK/$CASE-10.qasm")
    "${MPIRUN[@]}" -np 2 -x OMP_NUM_THREADS=1 "$QUEST_BENCH" "$QUEST_CASE" 10 0 > "$WORK/q-$CASE.json"
    python3 - "$WORK/v-$CASE.json" "$WORK/v2-$CASE.json" "$WORK/q-$CASE.json" "$CASE" <<'PY'
import json, sys
one, two, quest = (json.load(open(p))["statevector"] for p in sys.argv[1:4])
gap = lambda a, b: max(abs(complex(*x) - complex(*y)) for x, y in zip(a, b))
print(f"cross-check {sys.argv[4]}-10: |Verdant 2 ranks - 1 rank| = {gap(one, two):.1e}, |QuEST - Verdant| = {gap(one, quest):.1e}")
assert len(one) == len(two) == len(quest) == 1024 and gap(one, two) < 1e-12 and gap(one, quest) < 1e-10
PY
done

IFS=, read -r -a SIZES <<< "$QUBITS"
for N in "${SIZES[@]}"; do
    # The random u+cx circuit as OpenQASM, for QuEST (exporting runs the case once, untimed here).
    "$VERDANT" bench --suite quantum --cases random --qubits "$N" --precision double --threads 2 --repeats 1 \
        --export-qasm "$WORK" --no-energy-summary > /dev/null
    record "verdant 1x2 n=$N" "$VERDANT" bench --suite quantum --cases qft,random --qubits "$N" --precision double \
        --threads 2 --repeats "$REPEATS" --json --no-energy-summary
    record "verdant 2x1 n=$N" "${MPIRUN[@]}" -np 2 "$VERDANT" bench --suite quantum --distributed --cases qft,random \
        --qubits "$N" --precision double --threads 1 --repeats "$REPEATS" --json --no-energy-summary
    for CASE in qft "$WORK/random-$N.qasm"; do
        record "quest 1x2 n=$N" "${MPIRUN[@]}" -np 1 -x OMP_NUM_THREADS=2 "$QUEST_BENCH" "$CASE" "$N" "$REPEATS"
        record "quest 2x1 n=$N" "${MPIRUN[@]}" -np 2 -x OMP_NUM_THREADS=1 "$QUEST_BENCH" "$CASE" "$N" "$REPEATS"
    done
done
if [ "$BIG" != none ]; then
    record "verdant 4x1 n=$BIG single" "${MPIRUN[@]}" -np 4 "$VERDANT" bench --suite quantum --distributed --cases qft \
        --qubits "$BIG" --precision single --threads 1 --repeats 1 --json --no-energy-summary
fi

python3 Benchmarks/distributed_summary.py "$OUT"
echo "raw results: $OUT"
