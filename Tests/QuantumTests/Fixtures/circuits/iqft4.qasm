OPENQASM 2.0;
include "qelib1.inc";
qreg q[4];
// Fourier state of |11> built from h and p(2*pi*k*2^j/N)
h q[0];
p(2*pi*11*1/16) q[0];
h q[1];
p(2*pi*11*2/16) q[1];
h q[2];
p(2*pi*11*4/16) q[2];
h q[3];
p(2*pi*11*8/16) q[3];
// inverse QFT (swaps first)
swap q[0],q[3];
swap q[1],q[2];
h q[0];
cp(-pi/2) q[1],q[0];
h q[1];
cp(-pi/4) q[2],q[0];
cp(-pi/2) q[2],q[1];
h q[2];
cp(-pi/8) q[3],q[0];
cp(-pi/4) q[3],q[1];
cp(-pi/2) q[3],q[2];
h q[3];
