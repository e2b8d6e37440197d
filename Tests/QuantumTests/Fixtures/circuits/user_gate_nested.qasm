OPENQASM 2.0;
include "qelib1.inc";
// nested user gates; parameters are expressions of the caller's parameters;
// bodies use the builtins U and CX; an empty-bodied gate; a gate defined but unused
gate nop a { }
gate unused(t) a { rx(t) a; }
gate myu(theta, phi, lambda) a { U(theta, phi, lambda) a; }
gate bell2 a, b { myu(pi / 2, 0, pi) a; CX a, b; }
gate layer(t) a, b, c {
  bell2 a, b;
  myu(t, -t / 2, t ^ 2) c;
  nop b;
  CX b, c;
}
gate deep(s, t) a, b, c {
  layer(s + t) a, b, c;
  layer(s * t - pi / 7) c, a, b;
  myu(-(s - t) / 3, sin(s) * cos(t), exp(-t)) b;
}
qreg q[4];
deep(0.25, -0.9) q[2], q[0], q[1];
layer(1.1) q[3], q[2], q[1];
deep(-pi / 9, sqrt(3)) q[0], q[3], q[2];
