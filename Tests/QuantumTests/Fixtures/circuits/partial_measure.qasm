OPENQASM 2.0;
include "qelib1.inc";
// only two of four qubits are measured, into crossed clbits
qreg q[4];
creg c[2];
h q[0];
cx q[0], q[1];
ry(1.3) q[2];
cx q[2], q[3];
h q[3];
cry(0.7) q[1], q[3];
measure q[3] -> c[0];
measure q[1] -> c[1];
