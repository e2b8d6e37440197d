OPENQASM 2.0;
include "qelib1.inc";
// two terminal measurements into the same clbit: the later one wins
qreg q[2];
creg c[1];
x q[1];
h q[0];
measure q[0] -> c[0];
measure q[1] -> c[0];
