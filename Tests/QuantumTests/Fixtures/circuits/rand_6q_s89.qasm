OPENQASM 2.0;
include "qelib1.inc";
gate rzx(param0) q0,q1 { h q1; cx q0,q1; rz(param0) q1; cx q0,q1; h q1; }
gate csdg q0,q1 { tdg q0; cx q0,q1; t q1; cx q0,q1; tdg q1; }
gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
gate xx_plus_yy(param0,param1) q0,q1 { rz(param1) q0; sdg q1; sx q1; s q1; s q0; cx q1,q0; ry((-0.5)*param0) q1; ry((-0.5)*param0) q0; cx q1,q0; sdg q0; sdg q1; sxdg q1; s q1; rz(-param1) q0; }
qreg q[6];
rzx(1.8589158347050372) q[0],q[1];
x q[5];
cu3(1.1140536325655417,3.108963360093201,5.9501934388506745) q[2],q[3];
y q[2];
rzx(2.0580076547952864) q[5],q[4];
crx(2.2548717272409817) q[1],q[3];
csdg q[3],q[2];
cu1(1.564229415623109) q[5],q[1];
cz q[0],q[4];
cu3(1.0189383157521978,2.5870976856510706,1.871683574168648) q[0],q[2];
ecr q[5],q[4];
xx_plus_yy(5.615654615331186,1.2000412060533308) q[1],q[3];
crx(4.756102204177677) q[4],q[3];
cu1(5.332212407948127) q[1],q[0];
xx_plus_yy(0.4393461264731967,4.960964137947071) q[5],q[2];