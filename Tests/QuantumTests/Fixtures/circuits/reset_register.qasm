OPENQASM 2.0;
include "qelib1.inc";
// reset of a whole register after entangling it
qreg q[3];
creg c[3];
h q;
cx q[0], q[2];
rx(0.3) q[1];
reset q;
x q[1];
h q[2];
measure q -> c;
