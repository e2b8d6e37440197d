OPENQASM 2.0;
include "qelib1.inc";
// comment right after the header
qreg   q [ 3 ] ;   // spaces inside the declaration
h q[0]; cx q[0],
   q[1];  // a statement split over two lines
rz( pi / 4 ) q[1] ;ry(
  -0.25
) q[2];
gate   g2 ( a , b )   x1 ,x2
{
  // comment inside a gate body
  rx( a ) x1 ;   cx x1,x2; rz(b)x2;
}
g2(0.5,-0.5)q[2],q[0];
U ( 0.1 , 0.2 , 0.3 ) q [ 1 ] ;
