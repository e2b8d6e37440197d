OPENQASM 2.0;
include "qelib1.inc";
// repeat pattern: on failure (a==1) reset and retry once; f is always 0
qreg q[1];
creg a[1];
creg b[1];
creg f[1];
h q[0];
measure q[0] -> a[0];
if(a==1) x q[0];
if(a==1) h q[0];
measure q[0] -> b[0];
if(b==1) x q[0];
measure q[0] -> f[0];
