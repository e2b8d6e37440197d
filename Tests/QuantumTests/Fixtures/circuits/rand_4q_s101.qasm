OPENQASM 2.0;
include "qelib1.inc";
gate csdg q0,q1 { tdg q0; cx q0,q1; t q1; cx q0,q1; tdg q1; }
qreg q[4];
u2(6.114650262989231,1.4107279759793065) q[2];
ry(5.061079802359846) q[1];
cp(4.278197196097753) q[3],q[0];
id q[3];
cswap q[2],q[0],q[1];
s q[2];
tdg q[1];
sdg q[0];
sx q[3];
csdg q[1],q[2];
y q[3];
t q[0];