OPENQASM 2.0;
include "qelib1.inc";
// operator precedence / associativity exactly as Qiskit's qasm2 parser reads it:
//   a^b^c = a^(b^c) (right-assoc);  -a^b = -(a^b);  a/b/c = (a/b)/c;  a-b-c = (a-b)-c;
//   a^-b allowed; -a*-b allowed
qreg q[2];
h q[0];
h q[1];
ry(2 ^ 3 ^ 0.2) q[0];
rz(-pi ^ 2 / 4) q[1];
rx(2 ^ -1) q[0];
ry(-2 * -0.3) q[1];
rz(1 / 2 / 4) q[0];
rx(3 - 2 - 0.5) q[1];
rz(-sin(0.3) ^ 2) q[0];
ry(2 * 3 ^ 2 / 10) q[1];
cx q[0], q[1];
rz(-(-0.5)) q[1];
ry(+1.5 - -0.25) q[0];
