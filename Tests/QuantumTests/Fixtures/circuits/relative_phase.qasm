OPENQASM 2.0;
include "qelib1.inc";
// relative-phase Toffolis (rccx, rc3x) and the controlled-sqrt(X) c3sqrtx
qreg q[5];
h q;
t q[1];
s q[3];
rx(0.5) q[4];
rccx q[0], q[1], q[2];
rc3x q[0], q[1], q[2], q[3];
c3sqrtx q[1], q[2], q[3], q[4];
rc3x q[4], q[3], q[2], q[0];
c3sqrtx q[0], q[2], q[4], q[1];
rccx q[4], q[2], q[3];
