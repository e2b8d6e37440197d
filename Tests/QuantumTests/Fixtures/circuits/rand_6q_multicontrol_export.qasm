OPENQASM 2.0;
include "qelib1.inc";
gate iswap q0,q1 { s q0; s q1; h q0; cx q0,q1; cx q1,q0; h q1; }
gate xx_plus_yy(param0,param1) q0,q1 { rz(param1) q0; sdg q1; sx q1; s q1; s q0; cx q1,q0; ry((-0.5)*param0) q1; ry((-0.5)*param0) q0; cx q1,q0; sdg q0; sdg q1; sxdg q1; s q1; rz(-param1) q0; }
gate mcx q0,q1,q2,q3 { h q3; p(pi/8) q0; p(pi/8) q1; p(pi/8) q2; p(pi/8) q3; cx q0,q1; p(-pi/8) q1; cx q0,q1; cx q1,q2; p(-pi/8) q2; cx q0,q2; p(pi/8) q2; cx q1,q2; p(-pi/8) q2; cx q0,q2; cx q2,q3; p(-pi/8) q3; cx q1,q3; p(pi/8) q3; cx q2,q3; p(-pi/8) q3; cx q0,q3; p(pi/8) q3; cx q2,q3; p(-pi/8) q3; cx q1,q3; p(pi/8) q3; cx q2,q3; p(-pi/8) q3; cx q0,q3; h q3; }
gate mcx_1 q0,q1,q2,q3 { h q3; p(pi/8) q0; p(pi/8) q1; p(pi/8) q2; p(pi/8) q3; cx q0,q1; p(-pi/8) q1; cx q0,q1; cx q1,q2; p(-pi/8) q2; cx q0,q2; p(pi/8) q2; cx q1,q2; p(-pi/8) q2; cx q0,q2; cx q2,q3; p(-pi/8) q3; cx q1,q3; p(pi/8) q3; cx q2,q3; p(-pi/8) q3; cx q0,q3; p(pi/8) q3; cx q2,q3; p(-pi/8) q3; cx q1,q3; p(pi/8) q3; cx q2,q3; p(-pi/8) q3; cx q0,q3; h q3; }
gate rcccx q0,q1,q2,q3 { h q3; t q3; cx q2,q3; tdg q3; h q3; cx q0,q3; t q3; cx q1,q3; tdg q3; cx q0,q3; t q3; cx q1,q3; tdg q3; h q3; t q3; cx q2,q3; tdg q3; h q3; }
gate rcccx_dg q0,q1,q2,q3 { h q3; t q3; cx q2,q3; tdg q3; h q3; t q3; cx q1,q3; tdg q3; cx q0,q3; t q3; cx q1,q3; tdg q3; cx q0,q3; h q3; t q3; cx q2,q3; tdg q3; h q3; }
gate mcx_2 q0,q1,q2,q3,q4 { h q4; cp(pi/2) q3,q4; h q4; rcccx q0,q1,q2,q3; h q4; cp(-pi/2) q3,q4; h q4; rcccx_dg q0,q1,q2,q3; c3sqrtx q0,q1,q2,q4; }
gate mcx_3 q0,q1,q2,q3,q4 { h q4; cp(pi/2) q3,q4; h q4; h q3; t q3; cx q2,q3; tdg q3; h q3; cx q0,q3; t q3; cx q1,q3; tdg q3; cx q0,q3; t q3; cx q1,q3; tdg q3; h q3; t q3; cx q2,q3; tdg q3; h q3; h q4; cp(-pi/2) q3,q4; h q4; h q3; t q3; cx q2,q3; tdg q3; h q3; t q3; cx q1,q3; tdg q3; cx q0,q3; t q3; cx q1,q3; tdg q3; cx q0,q3; h q3; t q3; cx q2,q3; tdg q3; h q3; h q4; cp(pi/8) q0,q4; h q4; cx q0,q1; h q4; cp(-pi/8) q1,q4; h q4; cx q0,q1; h q4; cp(pi/8) q1,q4; h q4; cx q1,q2; h q4; cp(-pi/8) q2,q4; h q4; cx q0,q2; h q4; cp(pi/8) q2,q4; h q4; cx q1,q2; h q4; cp(-pi/8) q2,q4; h q4; cx q0,q2; h q4; cp(pi/8) q2,q4; h q4; }
gate mcx_4 q0,q1,q2,q3,q4,q5 { h q5; cp(pi/2) q4,q5; cp(pi/4) q3,q5; crx(pi/2) q3,q4; cp(pi/8) q2,q5; crx(pi/4) q2,q4; cp(pi/16) q1,q5; crx(pi/2) q2,q3; crx(pi/8) q1,q4; cp(pi/16) q0,q5; crx(pi/4) q1,q3; crx(pi/8) q0,q4; crx(pi/2) q1,q2; crx(pi/4) q0,q3; crx(pi/2) q0,q2; crx(pi) q0,q1; crx(-pi/2) q1,q2; crx(-pi/4) q1,q3; crx(-pi/2) q2,q3; crx(-pi/8) q1,q4; crx(-pi/4) q2,q4; cp(-pi/16) q1,q5; crx(-pi/2) q3,q4; cp(-pi/8) q2,q5; cp(-pi/4) q3,q5; cp(-pi/2) q4,q5; crx(pi/2) q3,q4; crx(pi/4) q2,q4; crx(pi/2) q2,q3; crx(pi/8) q1,q4; crx(pi/4) q1,q3; crx(-pi/8) q0,q4; crx(pi/2) q1,q2; crx(-pi/4) q0,q3; crx(-pi/2) q0,q2; crx(-pi) q0,q1; crx(-pi/2) q1,q2; crx(-pi/4) q1,q3; crx(-pi/2) q2,q3; crx(-pi/8) q1,q4; crx(-pi/4) q2,q4; crx(-pi/2) q3,q4; h q5; }
gate mcphase(param0) q0,q1,q2,q3 { h q3; cx q1,q3; tdg q3; cx q0,q3; t q3; cx q1,q3; tdg q3; cx q0,q3; t q1; t q3; h q3; cx q0,q1; t q0; tdg q1; cx q0,q1; rz(-0.128075) q3; cx q2,q3; rz(0.128075) q3; h q3; cx q1,q3; tdg q3; cx q0,q3; t q3; cx q1,q3; tdg q3; cx q0,q3; t q1; t q3; h q3; cx q0,q1; t q0; tdg q1; cx q0,q1; rz(-0.128075) q3; cx q2,q3; rz(0.128075) q3; cx q0,q2; rz(-0.0640375) q2; cx q1,q2; rz(0.0640375) q2; cx q0,q2; rz(-0.0640375) q2; cx q1,q2; rz(0.0640375) q2; crz(0.128075) q0,q1; p(0.0640375) q0; }
gate mcphase_1(param0) q0,q1,q2 { cx q0,q2; rz(0.44425) q2; cx q1,q2; rz(-0.44425) q2; cx q0,q2; rz(0.44425) q2; cx q1,q2; rz(-0.44425) q2; crz(-0.8885) q0,q1; p(-0.44425) q0; }
gate c3z q0,q1,q2,q3 { h q3; mcx q0,q1,q2,q3; h q3; }
gate ccz q0,q1,q2 { h q2; ccx q0,q1,q2; h q2; }
gate dcx q0,q1 { cx q0,q1; cx q1,q0; }
gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
qreg q[6];
cy q[2],q[4];
cu3(2.72526846609865,2.9757434781635634,0.21570663337922757) q[0],q[5];
cx q[1],q[3];
ry(1.9748083048551908) q[1];
iswap q[2],q[4];
cu3(1.3186021151778473,0.10907990178432626,1.1892695737750063) q[0],q[5];
ry(1.8253717551409656) q[3];
rz(1.8670863517406662) q[1];
rxx(5.915178536941725) q[2],q[4];
xx_plus_yy(3.408462143139978,1.1789339237619028) q[0],q[3];
p(4.395654895399018) q[5];
mcx q[0],q[1],q[2],q[3];
mcx_1 q[1],q[2],q[3],q[4];
mcx_2 q[0],q[1],q[2],q[3],q[5];
mcx_3 q[5],q[4],q[3],q[2],q[1];
mcx_4 q[0],q[1],q[2],q[3],q[4],q[5];
mcphase(0.5123) q[0],q[1],q[2],q[3];
mcphase_1(-1.777) q[5],q[3],q[1];
rcccx q[2],q[3],q[4],q[5];
c3sqrtx q[5],q[0],q[1],q[2];
c3z q[1],q[3],q[5],q[0];
ccz q[4],q[2],q[0];
cp(5.408430170111789) q[4],q[2];
tdg q[1];
dcx q[0],q[5];
cp(0.09172261888489304) q[2],q[5];
ecr q[3],q[4];
ecr q[0],q[1];
csx q[3],q[5];
cp(1.4341424106221965) q[4],q[0];
rz(4.929143012825423) q[2];
h q[1];