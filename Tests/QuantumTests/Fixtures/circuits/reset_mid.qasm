OPENQASM 2.0;
include "qelib1.inc";
// reset of entangled qubits in the middle of the circuit
qreg q[3];
creg c[3];
h q[0];
cx q[0], q[1];
ry(0.7) q[2];
reset q[0];
ry(0.8) q[0];
cx q[1], q[2];
reset q[1];
h q[1];
measure q -> c;
