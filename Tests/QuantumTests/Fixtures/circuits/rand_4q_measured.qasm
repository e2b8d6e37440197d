OPENQASM 2.0;
include "qelib1.inc";
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
qreg q[4];
creg c[4];
ccz q[2],q[3],q[0];
s q[1];
ccz q[0],q[3],q[1];
sdg q[2];
ccz q[0],q[2],q[3];
p(1.9995026070434838) q[1];
rccx q[2],q[1],q[3];
rx(5.4467580506988815) q[0];
rccx q[1],q[2],q[0];
u(4.187173705357612,1.6499742292710227,1.3971641182538455) q[3];
measure q[0] -> c[0];
measure q[1] -> c[1];
measure q[2] -> c[2];
measure q[3] -> c[3];