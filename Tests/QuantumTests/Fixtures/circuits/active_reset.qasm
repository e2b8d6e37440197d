OPENQASM 2.0;
include "qelib1.inc";
// active reset: measure, flip back if 1, measure again (r is always 0)
qreg q[1];
creg c[1];
creg r[1];
rx(1.9) q[0];
measure q[0] -> c[0];
if(c==1) x q[0];
measure q[0] -> r[0];
