OPENQASM 2.0;
include "qelib1.inc";
// barriers on whole registers, single qubits and mixtures; they do nothing
qreg a[2];
qreg b[2];
h a[0];
barrier a;
cx a[0], b[1];
barrier a[1], b;
rz(0.3) b[1];
barrier a, b;
ry(0.4) a[1];
barrier b[0];
h b[0];
barrier a[0], a[1], b[0], b[1];
cx b[0], a[1];
