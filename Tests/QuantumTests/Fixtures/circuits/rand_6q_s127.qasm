OPENQASM 2.0;
include "qelib1.inc";
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate cs q0,q1 { t q0; cx q0,q1; tdg q1; cx q0,q1; t q1; }
qreg q[6];
rccx q[0],q[5],q[2];
u1(5.764058286870992) q[1];
crx(1.1260646890139743) q[4],q[3];
u1(3.7845770606652067) q[4];
ccx q[3],q[0],q[1];
cp(5.1126263649868475) q[5],q[2];
ccz q[5],q[2],q[3];
sxdg q[4];
cs q[1],q[0];