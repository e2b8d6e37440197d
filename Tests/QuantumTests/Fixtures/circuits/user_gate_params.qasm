OPENQASM 2.0;
include "qelib1.inc";
// user gates with parameters and arithmetic (+ - * / ^, unary minus, pi, functions)
gate rot2(theta, phi) a, b {
  ry(theta / 2) a;
  rz(-phi * 2 + pi / 4) b;
  cx a, b;
  u3(sin(theta), cos(phi) ^ 2, -tan(theta / 3)) b;
}
gate ent(alpha) a, b, c {
  rx(exp(alpha) - 1) a;
  cu1(ln(2 + alpha)) a, c;
  crz(sqrt(alpha ^ 2 + 1)) c, b;
  u2(alpha * pi, -alpha / pi) c;
  cx b, a;
}
qreg q[3];
x q[1];
rot2(0.7, -1.3) q[0], q[2];
ent(0.42) q[2], q[0], q[1];
rot2(-pi / 5, 2 * 0.61) q[1], q[0];
ent(-0.37) q[0], q[1], q[2];
