#!/usr/bin/env bash
# Two ranks of `verdant run --distribute always` on two "hosts": two network namespaces joined by a
# veth pair (10.231.X.1 and 10.231.X.2), nothing else between them. mpirun starts in host A; Open
# MPI's rsh launcher reaches host B through a small agent script (plm_rsh_agent) that runs the
# daemon's command inside B's namespace instead of over ssh. Only TCP over the veth pair is allowed
# (btl self,tcp; both btl and oob restricted to the pair's subnet), so every amplitude exchanged
# crosses the pair. The results (counts for one seed, probabilities, a Pauli expectation) must equal
# one process's, and the veth counters must show the slices crossing.
#
# Usage: .ci/two-namespaces.sh PATH/TO/verdant   (an MPI build; needs root, ip(8) and Open MPI)
# It creates its own namespaces (named after its process id) and deletes them, and its files, on
# exit, whatever happens; it touches no other namespace.
set -euo pipefail
V=$(realpath "$1")
IP=$(command -v ip || echo /usr/sbin/ip)
TAG="vdt$$"
NSA="${TAG}-a"
NSB="${TAG}-b"
VA="${TAG}a"   # interface names: at most 15 characters
VB="${TAG}b"
NET="10.231.$(($$ % 250)).0/24"
ADDRA="10.231.$(($$ % 250)).1"
ADDRB="10.231.$(($$ % 250)).2"
W=$(mktemp -d)
cleanup() {
    # Deleting a namespace deletes the veth end inside it (and so the pair).
    "$IP" netns del "$NSA" 2> /dev/null || true
    "$IP" netns del "$NSB" 2> /dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT
trap "exit 130" INT TERM HUP   # so that cleanup runs on these too

"$IP" netns add "$NSA"
"$IP" netns add "$NSB"
"$IP" link add "$VA" netns "$NSA" type veth peer name "$VB" netns "$NSB"
"$IP" -n "$NSA" addr add "$ADDRA/24" dev "$VA"
"$IP" -n "$NSB" addr add "$ADDRB/24" dev "$VB"
for NS in "$NSA" "$NSB"; do "$IP" -n "$NS" link set lo up; done
"$IP" -n "$NSA" link set "$VA" up
"$IP" -n "$NSB" link set "$VB" up

# The agent: Open MPI calls it as `agent [options] HOST COMMAND…`, as it would call ssh.
cat > "$W/agent.sh" << EOF
#!/bin/sh
while [ "\${1#-}" != "\$1" ]; do shift; done
host=\$1
shift
case "\$host" in
    $ADDRA) ns=$NSA ;;
    $ADDRB) ns=$NSB ;;
    *) echo "agent: unknown host \$host" >&2; exit 1 ;;
esac
exec "$IP" netns exec "\$ns" sh -c "\$*"
EOF
chmod +x "$W/agent.sh"

# A 12-qubit circuit whose gates act on the two top (global) qubits too, measured at the end.
{
    printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[12];\ncreg c[12];\n'
    for i in $(seq 0 11); do
        printf 'h q[%d];\n' "$i"
        for j in $(seq $((i + 1)) 11); do printf 'cp(pi/%d) q[%d],q[%d];\n' $((1 << (j - i))) "$j" "$i"; done
        printf 'ry(0.%d) q[%d];\n' $((i + 1)) "$i"
    done
    for i in $(seq 0 10); do printf 'cx q[%d],q[%d];\n' "$i" $((i + 1)); done
    printf 'measure q -> c;\n'
} > "$W/c.qasm"
OBS='0.5*XIIIIIIIIIIZ - YZIIIIIIIIXI + 0.25*ZZZZZZZZZZZZ'
ARGS=(run "$W/c.qasm" --shots 400 --seed 3 --probabilities --expectation "$OBS" --json --no-energy-summary)

"$V" "${ARGS[@]}" > "$W/one.json"
bytes() { "$IP" netns exec "$NSA" sh -c "echo \$((\$(cat /sys/class/net/$VA/statistics/tx_bytes) + \$(cat /sys/class/net/$VA/statistics/rx_bytes)))"; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN=(timeout 300 "$IP" netns exec "$NSA" mpirun -np 2 --host "$ADDRA:1,$ADDRB:1"
    --mca plm_rsh_agent "$W/agent.sh" --mca btl self,tcp
    --mca btl_tcp_if_include "$NET" --mca oob_tcp_if_include "$NET")
# Rank 0 must run in A's namespace and rank 1 in B's.
want="0 $("$IP" netns exec "$NSA" readlink /proc/self/ns/net) 1 $("$IP" netns exec "$NSB" readlink /proc/self/ns/net)"
got=$("${MPIRUN[@]}" sh -c 'echo "$OMPI_COMM_WORLD_RANK $(readlink /proc/self/ns/net)"' | sort | tr '\n' ' ' | sed 's/ $//')
[ "$got" = "$want" ] || { echo "two namespaces: ranks ran in '$got', expected '$want'" >&2; exit 1; }
before=$(bytes)
"${MPIRUN[@]}" "$V" "${ARGS[@]}" --distribute always > "$W/two.json"
after=$(bytes)

grep -q '"distribution_counts"' "$W/two.json"
counts() { grep -o '"counts": {[^}]*}' "$1"; }
[ "$(counts "$W/one.json")" = "$(counts "$W/two.json")" ] || { echo "two namespaces: ranks 0 and 1 in $got; counts differ" >&2; exit 1; }
pairs() { grep -o '"probabilities": {[^}]*}' "$1" | grep -o '"[01]*": [-0-9.e+]*'; }
paste -d' ' <(pairs "$W/one.json") <(pairs "$W/two.json") | awk '
    { gsub(/[":]/, ""); if ($1 != $3) bad = 1; d = $2 - $4; if (d < 0) d = -d; if (d > 1e-12) bad = 1; n++ }
    END { if (bad || n != 4096) { print "two namespaces: probabilities differ (" n " entries)"; exit 1 } }'
value() { grep -o '"value": [-0-9.e+]*' "$1" | head -1 | cut -d' ' -f2; }
awk -v a="$(value "$W/one.json")" -v b="$(value "$W/two.json")" \
    'BEGIN { d = a - b; if (d < 0) d = -d; if (a == "" || d > 1e-12) { print "two namespaces: expectation " a " vs " b; exit 1 } }'
sent=$((after - before))
# Each remap sends part of a 32 KiB slice; gathering the probabilities sends rank 1's slice to rank 0.
[ "$sent" -gt 32768 ] || { echo "two namespaces: only $sent bytes crossed the veth pair" >&2; exit 1; }
echo "two namespaces: ranks 0 and 1 in $got; counts, probabilities (4096, to 1e-12) and <$OBS> = $(value "$W/two.json") equal one process's; $sent bytes crossed the veth pair"
