OPENQASM 2.0;
include "qelib1.inc";
// several quantum registers; register broadcasting (reg,reg pairwise; qubit,reg)
qreg a[3];
qreg b[3];
qreg anc[2];
h a;
cx a, b;
rz(0.3) b;
ry(-0.8) anc;
cx a[0], b;
crz(1.2) anc[1], a;
ccx a[0], b[1], anc;
swap a, b;
u3(0.4, 0.5, 0.6) anc[0];
cu3(0.1, 0.2, 0.3) anc[0], b;
