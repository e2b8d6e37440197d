OPENQASM 2.0;
include "qelib1.inc";
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
gate cs q0,q1 { t q0; cx q0,q1; tdg q1; cx q0,q1; t q1; }
gate ryy(param0) q0,q1 { sxdg q0; sxdg q1; cx q0,q1; rz(param0) q1; cx q0,q1; sx q0; sx q1; }
qreg q[5];
ccz q[4],q[3],q[0];
cp(6.272473950824555) q[1],q[2];
ecr q[1],q[0];
cs q[3],q[4];
p(4.427056684435351) q[2];
cz q[1],q[4];
ch q[3],q[2];
ccz q[1],q[3],q[2];
ryy(6.177001896880442) q[0],q[4];
cswap q[3],q[1],q[4];
cs q[2],q[0];