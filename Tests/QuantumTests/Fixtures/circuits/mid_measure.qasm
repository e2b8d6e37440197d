OPENQASM 2.0;
include "qelib1.inc";
// mid-circuit measurement followed by more gates on the measured qubit
qreg q[2];
creg c[3];
h q[0];
measure q[0] -> c[0];
h q[0];
cx q[0], q[1];
ry(0.9) q[1];
measure q[0] -> c[1];
rx(0.4) q[0];
measure q[1] -> c[2];
measure q[0] -> c[0];
