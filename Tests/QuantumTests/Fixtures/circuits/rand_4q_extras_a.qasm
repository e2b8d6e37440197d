OPENQASM 2.0;
include "qelib1.inc";
gate r(param0,param1) q0 { u(param0,-pi/2 + param1,pi/2 - param1) q0; }
gate csdg q0,q1 { tdg q0; cx q0,q1; t q1; cx q0,q1; tdg q1; }
gate rzx(param0) q0,q1 { h q1; cx q0,q1; rz(param0) q1; cx q0,q1; h q1; }
gate iswap q0,q1 { s q0; s q1; h q0; cx q0,q1; cx q1,q0; h q1; }
gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
gate ryy(param0) q0,q1 { sxdg q0; sxdg q1; cx q0,q1; rz(param0) q1; cx q0,q1; sx q0; sx q1; }
gate dcx q0,q1 { cx q0,q1; cx q1,q0; }
gate cs q0,q1 { t q0; cx q0,q1; tdg q1; cx q0,q1; t q1; }
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
qreg q[4];
ry(3.988715345289908) q[3];
r(5.5359377175305475,4.940982799535905) q[0];
csdg q[1],q[2];
rzx(5.9088186037967) q[2],q[0];
rx(0.6117875917131662) q[1];
tdg q[1];
sx q[2];
cz q[3],q[0];
iswap q[0],q[1];
ecr q[2],q[3];
ryy(0.8123) q[1],q[2];
rzx(-1.2345) q[3],q[0];
dcx q[0],q[2];
cs q[1],q[3];
csdg q[2],q[0];
ecr q[1],q[0];
cswap q[1],q[0],q[3];
r(0.42467506405583666,3.0875122016217826) q[2];
ccz q[2],q[1],q[0];
rzx(5.635893842580813) q[2],q[0];