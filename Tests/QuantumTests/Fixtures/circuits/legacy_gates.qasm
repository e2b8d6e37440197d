OPENQASM 2.0;
include "qelib1.inc";
// builtins U and CX, the legacy u0 (identity, integer argument), id, u1/u2/u3, cu1, cu3
qreg q[3];
U(0.3, -0.4, 1.1) q[0];
U(pi / 2, 0, pi) q[1];
CX q[0], q[1];
u0(1) q[2];
u1(0.7) q[0];
u2(-0.3, 1.2) q[2];
u3(1.9, 0.2, -2.4) q[1];
id q[0];
cu1(-1.05) q[1], q[2];
cu3(0.8, -0.6, 2.1) q[2], q[0];
CX q[2], q[0];
u0(2) q[0];
