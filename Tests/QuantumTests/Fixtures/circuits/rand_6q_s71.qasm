OPENQASM 2.0;
include "qelib1.inc";
gate xx_plus_yy(param0,param1) q0,q1 { rz(param1) q0; sdg q1; sx q1; s q1; s q0; cx q1,q0; ry((-0.5)*param0) q1; ry((-0.5)*param0) q0; cx q1,q0; sdg q0; sdg q1; sxdg q1; s q1; rz(-param1) q0; }
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
qreg q[6];
ccx q[1],q[3],q[5];
csx q[4],q[0];
y q[2];
rxx(1.758068774528683) q[5],q[2];
cswap q[1],q[3],q[0];
xx_plus_yy(3.1750514434885613,2.7989228917122677) q[0],q[4];
rccx q[1],q[5],q[2];
crx(5.975430964040839) q[5],q[0];
ccz q[4],q[2],q[3];