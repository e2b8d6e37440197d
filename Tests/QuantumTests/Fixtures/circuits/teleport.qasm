OPENQASM 2.0;
include "qelib1.inc";
// teleportation of u3(1.234, 0.5, -0.7)|0> from q[0] to q[2], two 1-bit registers
qreg q[3];
creg m0[1];
creg m1[1];
creg out[1];
u3(1.234, 0.5, -0.7) q[0];
h q[1];
cx q[1], q[2];
barrier q;
cx q[0], q[1];
h q[0];
measure q[0] -> m0[0];
measure q[1] -> m1[0];
if(m1==1) x q[2];
if(m0==1) z q[2];
measure q[2] -> out[0];
