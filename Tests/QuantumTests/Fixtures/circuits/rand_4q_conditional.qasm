OPENQASM 2.0;
include "qelib1.inc";
gate ryy(param0) q0,q1 { sxdg q0; sxdg q1; cx q0,q1; rz(param0) q1; cx q0,q1; sx q0; sx q1; }
gate dcx q0,q1 { cx q0,q1; cx q1,q0; }
gate xx_minus_yy(param0,param1) q0,q1 { rz(-param1) q1; sdg q0; sx q0; s q0; s q1; cx q0,q1; ry(0.5*param0) q0; ry((-0.5)*param0) q1; cx q0,q1; sdg q1; sdg q0; sxdg q0; s q0; rz(param1) q1; }
qreg q[4];
creg c[4];
ryy(0.033082884284244704) q[3],q[1];
sxdg q[2];
u(5.159930332220927,5.008134923536883,2.940122020423439) q[0];
t q[0];
dcx q[1],q[3];
sdg q[1];
rx(0.22418580334633095) q[3];
measure q[0] -> c[0];
measure q[1] -> c[1];
measure q[2] -> c[2];
measure q[3] -> c[3];
if (c == 1) cu(3.2351418703601045,2.9292588484424504,5.762735076743948,3.95354515710956) q[0],q[2];
cy q[2],q[0];
s q[3];
y q[1];
crx(0.5748838414036347) q[2],q[0];
measure q[0] -> c[0];
measure q[1] -> c[1];
measure q[2] -> c[2];
measure q[3] -> c[3];
if (c == 5) xx_minus_yy(3.4001069075437687,3.1904270545160798) q[1],q[3];
y q[3];
u1(2.3841306099504678) q[2];
rx(6.149654326765692) q[1];