OPENQASM 2.0;
include "qelib1.inc";
gate sx a { h a; s a; h a; }
qreg q[3];
creg c[2];
creg d[1];
h q[0];
cx q[0],q[1];
measure q[0] -> c[0];
reset q[0];
if(c==1) x q[2];
if(c==1) sx q[1];
measure q[2] -> d[0];
