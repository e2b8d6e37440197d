OPENQASM 2.0;
include "qelib1.inc";
// top-level gate arguments using every OpenQASM 2 function and operator
qreg q[2];
h q[0];
h q[1];
rx(pi / 3 + sin(0.5)) q[0];
ry(cos(pi / 5) * 2 - 0.25) q[1];
rz(tan(0.3) ^ 2) q[0];
u3(exp(-0.5), ln(3.5), sqrt(2) / 2) q[1];
p(-(pi - 1.25) / 3) q[0];
u2(-pi / 4, 2 ^ 0.5) q[1];
cu1(-0.5 * pi) q[0], q[1];
crx(1.5e-1 * 4) q[1], q[0];
u1(.5) q[0];
u1(5.) q[1];
rz(1E-1) q[0];
