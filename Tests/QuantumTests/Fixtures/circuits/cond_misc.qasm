OPENQASM 2.0;
include "qelib1.inc";
// conditional user gate, conditional reset and conditional measure
gate cond_rot(t) a, b { cx a, b; ry(t / 2) b; cx a, b; ry(-t / 2) b; }
qreg q[3];
creg c[2];
creg e[1];
creg f[1];
h q[0];
ry(2.2) q[1];
measure q[0] -> c[0];
measure q[1] -> c[1];
if(c==1) cond_rot(1.3) q[0], q[2];
if(c==3) reset q[1];
if(c==2) x q[2];
if(c==1) measure q[2] -> e[0];
if(c==3) h q[1];
measure q[1] -> c[1];
measure q[2] -> f[0];
