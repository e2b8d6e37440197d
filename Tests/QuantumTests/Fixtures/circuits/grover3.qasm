OPENQASM 2.0;
include "qelib1.inc";
// Grover search, 3 qubits, marked state |101> (q0=1, q1=0, q2=1), two iterations
gate oracle101 a, b, c { x b; h c; ccx a, b, c; h c; x b; }
gate diffuse a, b, c {
  h a; h b; h c;
  x a; x b; x c;
  h c; ccx a, b, c; h c;
  x a; x b; x c;
  h a; h b; h c;
}
qreg q[3];
creg c[3];
h q;
oracle101 q[0], q[1], q[2];
diffuse q[0], q[1], q[2];
oracle101 q[0], q[1], q[2];
diffuse q[0], q[1], q[2];
barrier q;
measure q -> c;
