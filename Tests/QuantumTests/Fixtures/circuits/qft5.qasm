OPENQASM 2.0;
include "qelib1.inc";
qreg q[5];
// input state preparation
x q[0];
ry(0.7) q[1];
rz(1.1) q[1];
x q[4];
h q[3];
// QFT (with final swaps)
h q[4];
cp(pi/2) q[4],q[3];
cp(pi/4) q[4],q[2];
cp(pi/8) q[4],q[1];
cp(pi/16) q[4],q[0];
h q[3];
cp(pi/2) q[3],q[2];
cp(pi/4) q[3],q[1];
cp(pi/8) q[3],q[0];
h q[2];
cp(pi/2) q[2],q[1];
cp(pi/4) q[2],q[0];
h q[1];
cp(pi/2) q[1],q[0];
h q[0];
swap q[0],q[4];
swap q[1],q[3];
