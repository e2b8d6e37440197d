OPENQASM 2.0;
include "qelib1.inc";
gate xx_plus_yy(param0,param1) q0,q1 { rz(param1) q0; sdg q1; sx q1; s q1; s q0; cx q1,q0; ry((-0.5)*param0) q1; ry((-0.5)*param0) q0; cx q1,q0; sdg q0; sdg q1; sxdg q1; s q1; rz(-param1) q0; }
gate dcx q0,q1 { cx q0,q1; cx q1,q0; }
gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate iswap q0,q1 { s q0; s q1; h q0; cx q0,q1; cx q1,q0; h q1; }
qreg q[5];
ccx q[4],q[0],q[2];
xx_plus_yy(0.28416693075037347,4.456763047391375) q[1],q[3];
cu(1.311528801761975,5.711294548056713,5.379905164408542,1.1535588182898844) q[4],q[0];
dcx q[2],q[3];
id q[1];
crx(6.169032479876987) q[3],q[2];
u(4.549465087436771,1.0064711000534399,5.09232974436526) q[4];
ecr q[0],q[1];
rccx q[4],q[1],q[2];
ccz q[2],q[0],q[3];
iswap q[4],q[1];
ccz q[1],q[4],q[2];
u1(2.66542904828121) q[0];