OPENQASM 2.0;
include "qelib1.inc";
gate r(param0,param1) q0 { u(param0,-pi/2 + param1,pi/2 - param1) q0; }
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
qreg q[3];
r(0.4424655294151707,0.8153937721203361) q[2];
ch q[0],q[1];
cswap q[2],q[1],q[0];
cz q[0],q[2];
ccz q[2],q[1],q[0];
ccx q[1],q[2],q[0];
ccz q[1],q[0],q[2];