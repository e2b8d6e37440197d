OPENQASM 2.0;
include "qelib1.inc";
// several quantum and classical registers; key order is "flag cb ca"
// (last-declared register leftmost, highest bit leftmost within a register)
qreg a[2];
qreg b[3];
creg ca[2];
creg cb[3];
creg flag[1];
x a[0];
h b[1];
ry(1.1) b[2];
cx b[1], a[1];
crx(0.9) a[1], b[0];
measure a[0] -> flag[0];
measure a[1] -> ca[0];
measure b -> cb;
