// One-qubit layers in one visit of memory: does applying three one-qubit gates on distinct qubits
// to each group of 8 amplitudes held in registers (one load and one store per amplitude for the
// three) beat three one-qubit kernels (one load and one store per gate)? And does the x-symmetric
// form of RX-like matrices (m00 = m11, m01 = m10: y0 ± y1 = (m00 ± m01)(x0 ± x1), half the
// multiplies) help on top? A stand-alone experiment for issue 15 (QAOA's mixer layers are 54 of
// its 61 kernels at 20 qubits); the loops copy the shape of Verdant's dense one-target kernel
// (Sources/CQuantumKernels/dense1.c) on one 2^16-amplitude single-precision cache block.
//
//   clang -O3 -march=native -o one_qubit_layer one_qubit_layer.c -lm && ./one_qubit_layer
//
// It prints ns per amplitude per gate for the three loops (three times) and the largest
// difference of the layer loops from three one-qubit kernels. Result on the 2-core AMD EPYC
// (2026-12-07, docs/benchmarks.md): all three within noise of each other (0.28–0.35 ns), so
// neither was built into Verdant.
#include <math.h>
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static inline long ins(long k,const long*pos,long n){for(long j=0;j<n;j++){long p=pos[j];long low=k&((1L<<p)-1);k=((k>>p)<<(p+1))|low;}return k;}
// general dense1, one target, whole block of 2^L amps, target>=2
__attribute__((target("avx2,fma"))) void dense1(float*p,long L,long t,const float*m){
  long stride=1L<<t; long n=1L<<(L-1); long pos[1]={t};
  const __m256 r00=_mm256_set1_ps(m[0]),i00=_mm256_set1_ps(m[1]),r01=_mm256_set1_ps(m[2]),i01=_mm256_set1_ps(m[3]);
  const __m256 r10=_mm256_set1_ps(m[4]),i10=_mm256_set1_ps(m[5]),r11=_mm256_set1_ps(m[6]),i11=_mm256_set1_ps(m[7]);
  for(long k=0;k<n;k+=stride){ long i0=ins(k,pos,1); long last=i0+stride;
    for(;i0<last;i0+=4){ float*pa=p+2*i0,*pb=p+2*(i0+stride);
      __m256 a=_mm256_loadu_ps(pa),b=_mm256_loadu_ps(pb),as=_mm256_permute_ps(a,0xB1),bs=_mm256_permute_ps(b,0xB1);
      __m256 y0=_mm256_addsub_ps(_mm256_fmadd_ps(b,r01,_mm256_mul_ps(a,r00)),_mm256_fmadd_ps(bs,i01,_mm256_mul_ps(as,i00)));
      __m256 y1=_mm256_addsub_ps(_mm256_fmadd_ps(b,r11,_mm256_mul_ps(a,r10)),_mm256_fmadd_ps(bs,i11,_mm256_mul_ps(as,i10)));
      _mm256_storeu_ps(pa,y0);_mm256_storeu_ps(pb,y1);} } }
#define CM(x,r,i) _mm256_fmaddsub_ps(x,r,_mm256_mul_ps(_mm256_permute_ps(x,0xB1),i))
#define GEN(a,b,j) { __m256 y0=_mm256_addsub_ps(_mm256_fmadd_ps(b,R01[j],_mm256_mul_ps(a,R00[j])),_mm256_fmadd_ps(_mm256_permute_ps(b,0xB1),I01[j],_mm256_mul_ps(_mm256_permute_ps(a,0xB1),I00[j]))); \
   __m256 y1=_mm256_addsub_ps(_mm256_fmadd_ps(b,R11[j],_mm256_mul_ps(a,R10[j])),_mm256_fmadd_ps(_mm256_permute_ps(b,0xB1),I11[j],_mm256_mul_ps(_mm256_permute_ps(a,0xB1),I10[j]))); a=y0;b=y1; }
#define XS(a,b,j) { __m256 s=_mm256_add_ps(a,b),d=_mm256_sub_ps(a,b); __m256 ps=CM(s,PR[j],PI[j]),qd=CM(d,QR[j],QI[j]); a=_mm256_add_ps(ps,qd); b=_mm256_sub_ps(ps,qd); }
// three targets t0<t1<t2 (>=2), tensor kernel, xs: symmetric variant
__attribute__((target("avx2,fma"))) void tensor3(float*p,long L,const long*t,const float*m,int xs){
  long s0=1L<<t[0],s1=1L<<t[1],s2=1L<<t[2]; long n=1L<<(L-3);
  __m256 R00[3],I00[3],R01[3],I01[3],R10[3],I10[3],R11[3],I11[3],PR[3],PI[3],QR[3],QI[3];
  for(int j=0;j<3;j++){const float*q=m+8*j; R00[j]=_mm256_set1_ps(q[0]);I00[j]=_mm256_set1_ps(q[1]);R01[j]=_mm256_set1_ps(q[2]);I01[j]=_mm256_set1_ps(q[3]);
   R10[j]=_mm256_set1_ps(q[4]);I10[j]=_mm256_set1_ps(q[5]);R11[j]=_mm256_set1_ps(q[6]);I11[j]=_mm256_set1_ps(q[7]);
   PR[j]=_mm256_set1_ps(0.5f*(q[0]+q[2]));PI[j]=_mm256_set1_ps(0.5f*(q[1]+q[3]));QR[j]=_mm256_set1_ps(0.5f*(q[0]-q[2]));QI[j]=_mm256_set1_ps(0.5f*(q[1]-q[3]));}
  long pos[3]={t[0],t[1],t[2]}; long run=s0;
  for(long k=0;k<n;k+=run){ long i=ins(k,pos,3); long last=i+run;
   for(;i<last;i+=4){ float*b0=p+2*i;
    __m256 v0=_mm256_loadu_ps(b0),v1=_mm256_loadu_ps(b0+2*s0),v2=_mm256_loadu_ps(b0+2*s1),v3=_mm256_loadu_ps(b0+2*(s0+s1));
    __m256 v4=_mm256_loadu_ps(b0+2*s2),v5=_mm256_loadu_ps(b0+2*(s2+s0)),v6=_mm256_loadu_ps(b0+2*(s2+s1)),v7=_mm256_loadu_ps(b0+2*(s2+s1+s0));
    if(xs){ XS(v0,v1,0) XS(v2,v3,0) XS(v4,v5,0) XS(v6,v7,0) XS(v0,v2,1) XS(v1,v3,1) XS(v4,v6,1) XS(v5,v7,1) XS(v0,v4,2) XS(v1,v5,2) XS(v2,v6,2) XS(v3,v7,2) }
    else { GEN(v0,v1,0) GEN(v2,v3,0) GEN(v4,v5,0) GEN(v6,v7,0) GEN(v0,v2,1) GEN(v1,v3,1) GEN(v4,v6,1) GEN(v5,v7,1) GEN(v0,v4,2) GEN(v1,v5,2) GEN(v2,v6,2) GEN(v3,v7,2) }
    _mm256_storeu_ps(b0,v0);_mm256_storeu_ps(b0+2*s0,v1);_mm256_storeu_ps(b0+2*s1,v2);_mm256_storeu_ps(b0+2*(s0+s1),v3);
    _mm256_storeu_ps(b0+2*s2,v4);_mm256_storeu_ps(b0+2*(s2+s0),v5);_mm256_storeu_ps(b0+2*(s2+s1),v6);_mm256_storeu_ps(b0+2*(s2+s1+s0),v7);}}}
int main(){ long L=16; float*p=aligned_alloc(64,8L<<L); for(long i=0;i<(2L<<L);i++)p[i]=0.001f*(i%97);
  float c=0.9950041652780258f,s=0.09983341664682815f; // rx(0.2)
  float m[24]; for(int j=0;j<3;j++){float*q=m+8*j; q[0]=c;q[1]=0;q[2]=0;q[3]=-s;q[4]=0;q[5]=-s;q[6]=c;q[7]=0;}
  long t[3]={4,9,13}; int R=2000;
  for(int rep=0;rep<3;rep++){
  double a=now(); for(int r=0;r<R;r++){dense1(p,L,t[0],m);dense1(p,L,t[1],m+8);dense1(p,L,t[2],m+16);} double b=now();
  for(int r=0;r<R;r++) tensor3(p,L,t,m,0); double c2=now();
  for(int r=0;r<R;r++) tensor3(p,L,t,m,1); double d=now();
  double amps=(double)R*(1L<<L);
  printf("3x dense1 %.3f ns/amp/gate  tensor3 general %.3f  tensor3 xsym %.3f\n",(b-a)/amps/3*1e9,(c2-b)/amps/3*1e9,(d-c2)/amps/3*1e9);}
  // correctness: compare tensor xsym vs 3x dense1 on fresh data
  float*q1=aligned_alloc(64,8L<<L),*q2=aligned_alloc(64,8L<<L),*q3=aligned_alloc(64,8L<<L); for(long i=0;i<(2L<<L);i++)q1[i]=q2[i]=q3[i]=sinf(i*0.37f);
  dense1(q1,L,t[0],m);dense1(q1,L,t[1],m+8);dense1(q1,L,t[2],m+16); tensor3(q2,L,t,m,0); tensor3(q3,L,t,m,1);
  double e2=0,e3=0; for(long i=0;i<(2L<<L);i++){double x=fabs(q1[i]-q2[i]),y=fabs(q1[i]-q3[i]); if(x>e2)e2=x; if(y>e3)e3=y;} printf("max diff general %.2e xsym %.2e\n",e2,e3);
}
