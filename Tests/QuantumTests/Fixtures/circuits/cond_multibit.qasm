OPENQASM 2.0;
include "qelib1.inc";
// conditions on a 3-bit register with values 2, 5, 6, 7 (c is 4..7 after measuring)
qreg q[4];
creg c[3];
creg d[1];
h q[0];
h q[1];
x q[2];
measure q[0] -> c[0];
measure q[1] -> c[1];
measure q[2] -> c[2];
if(c==5) x q[3];
if(c==6) ry(1.1) q[3];
if(c==7) h q[3];
if(c==2) x q[3];
measure q[3] -> d[0];
