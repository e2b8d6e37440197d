OPENQASM 2.0;
include "qelib1.inc";
// qelib1 multi-controlled X gates c3x and c4x with ccx and cswap
qreg q[5];
ry(1.1) q[0];
ry(2.0) q[1];
ry(0.9) q[2];
ry(1.7) q[3];
ry(0.6) q[4];
c3x q[0], q[1], q[2], q[4];
t q[3];
c4x q[0], q[1], q[2], q[3], q[4];
ccx q[3], q[4], q[0];
cswap q[4], q[0], q[1];
c4x q[4], q[3], q[1], q[0], q[2];
