OPENQASM 2.0;
include "qelib1.inc";
gate cs q0,q1 { t q0; cx q0,q1; tdg q1; cx q0,q1; t q1; }
gate iswap q0,q1 { s q0; s q1; h q0; cx q0,q1; cx q1,q0; h q1; }
gate ryy(param0) q0,q1 { sxdg q0; sxdg q1; cx q0,q1; rz(param0) q1; cx q0,q1; sx q0; sx q1; }
gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
gate dcx q0,q1 { cx q0,q1; cx q1,q0; }
qreg q[5];
u2(5.466734096467546,4.7680773704073545) q[1];
cswap q[0],q[4],q[2];
z q[3];
rccx q[4],q[3],q[1];
ch q[2],q[0];
cs q[0],q[1];
cry(4.8208061454208835) q[2],q[3];
rxx(0.4321) q[0],q[4];
rzz(-2.2) q[1],q[3];
cu(0.9273,-1.3181,2.0444,-0.6931) q[2],q[1];
rccx q[0],q[1],q[2];
cswap q[4],q[2],q[3];
csx q[3],q[4];
sxdg q[0];
iswap q[4],q[1];
ryy(-0.3) q[0],q[3];
ecr q[4],q[3];
cy q[1],q[0];
u3(2.885232465727398,5.354805236129798,0.890963185902031) q[2];
dcx q[2],q[4];
crx(0.03154048684954356) q[3],q[1];
crz(4.029525416917778) q[2],q[3];
cp(3.620906122432048) q[1],q[0];