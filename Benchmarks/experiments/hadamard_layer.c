// Two or three X-symmetric one-qubit gates in one visit: Hu^⊗3 · D · Hu^⊗3 with the group's 8
// vectors in registers (butterflies, one complex multiply, butterflies), against three one-target
// dense kernels shaped like Verdant's (Sources/CQuantumKernels/dense1.c), the same without the
// addsub, a 512-bit form of it, and the Z–X–Z form with both phases multiplied in registers. A
// stand-alone experiment for issue 15 (2026-12-07), on one 2^L-amplitude single-precision block:
//
//   clang -O3 -march=native -o hadamard_layer hadamard_layer.c -lm && ./hadamard_layer 16
//
// It prints ns per amplitude per gate (three times) and the largest difference of the 512-bit and
// layer loops from three dense kernels. Result on the 2-core AMD EPYC (docs/benchmarks.md,
// "Hadamard-basis layers"): the layer 0.085–0.108 against 0.14–0.20 for three dense kernels, so it
// was built (Sources/CQuantumKernels/dense1.c, verdant_symmetric_layer_*); the Z–X–Z form with
// phases in registers 0.165–0.173 (not built: phases pay only where a folded diagonal run takes
// them); the 512-bit dense kernel 0.138–0.152 (inside the dense kernel's own spread; not built).
#include <math.h>
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static inline long ins(long k,const long*pos,long n){for(long j=0;j<n;j++){long p=pos[j];long low=k&((1L<<p)-1);k=((k>>p)<<(p+1))|low;}return k;}
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
__attribute__((target("avx2,fma"))) void dense1b(float*p,long L,long t,const float*m){
  long stride=1L<<t; long n=1L<<(L-1); long pos[1]={t};
  const __m256 r00=_mm256_set1_ps(m[0]),i00=_mm256_set1_ps(m[1]),r01=_mm256_set1_ps(m[2]),i01=_mm256_set1_ps(m[3]);
  const __m256 r10=_mm256_set1_ps(m[4]),i10=_mm256_set1_ps(m[5]),r11=_mm256_set1_ps(m[6]),i11=_mm256_set1_ps(m[7]);
  for(long k=0;k<n;k+=stride){ long i0=ins(k,pos,1); long last=i0+stride;
    for(;i0<last;i0+=4){ float*pa=p+2*i0,*pb=p+2*(i0+stride);
      __m256 a=_mm256_loadu_ps(pa),b=_mm256_loadu_ps(pb),as=_mm256_permute_ps(a,0xB1),bs=_mm256_permute_ps(b,0xB1);
      __m256 y0=_mm256_fmadd_ps(b,r01,_mm256_fmaddsub_ps(a,r00,_mm256_fmadd_ps(bs,i01,_mm256_mul_ps(as,i00))));
      __m256 y1=_mm256_fmadd_ps(b,r11,_mm256_fmaddsub_ps(a,r10,_mm256_fmadd_ps(bs,i11,_mm256_mul_ps(as,i10))));
      _mm256_storeu_ps(pa,y0);_mm256_storeu_ps(pb,y1);} } }
// avx512 dense1, target >= 3
__attribute__((target("avx512f,fma"))) void dense1z(float*p,long L,long t,const float*m){
  long stride=1L<<t; long n=1L<<(L-1); long pos[1]={t};
  const __m512 r00=_mm512_set1_ps(m[0]),i00=_mm512_set1_ps(m[1]),r01=_mm512_set1_ps(m[2]),i01=_mm512_set1_ps(m[3]);
  const __m512 r10=_mm512_set1_ps(m[4]),i10=_mm512_set1_ps(m[5]),r11=_mm512_set1_ps(m[6]),i11=_mm512_set1_ps(m[7]);
  for(long k=0;k<n;k+=stride){ long i0=ins(k,pos,1); long last=i0+stride;
    for(;i0<last;i0+=8){ float*pa=p+2*i0,*pb=p+2*(i0+stride);
      __m512 a=_mm512_loadu_ps(pa),b=_mm512_loadu_ps(pb),as=_mm512_permute_ps(a,0xB1),bs=_mm512_permute_ps(b,0xB1);
      __m512 y0=_mm512_fmadd_ps(b,r01,_mm512_fmaddsub_ps(a,r00,_mm512_fmadd_ps(bs,i01,_mm512_mul_ps(as,i00))));
      __m512 y1=_mm512_fmadd_ps(b,r11,_mm512_fmaddsub_ps(a,r10,_mm512_fmadd_ps(bs,i11,_mm512_mul_ps(as,i10))));
      _mm512_storeu_ps(pa,y0);_mm512_storeu_ps(pb,y1);} } }
// H-diag-H on three targets: x -> H3 D H3 x, D = 8 complex constants (dr[j], di[j]) broadcast from memory
#define BF(a,b) { __m256 s_=_mm256_add_ps(a,b); b=_mm256_sub_ps(a,b); a=s_; }
#define CMUL(x,j) x=_mm256_fmaddsub_ps(x,_mm256_broadcast_ss(dr+j),_mm256_mul_ps(_mm256_permute_ps(x,0xB1),_mm256_broadcast_ss(di+j)))
__attribute__((target("avx2,fma"))) void hd3(float*p,long L,const long*t,const float*dr,const float*di){
  long s0=1L<<t[0],s1=1L<<t[1],s2=1L<<t[2]; long n=1L<<(L-3);
  long pos[3]={t[0],t[1],t[2]}; long run=s0;
  for(long k=0;k<n;k+=run){ long i=ins(k,pos,3); long last=i+run;
   for(;i<last;i+=4){ float*b0=p+2*i;
    __m256 v0=_mm256_loadu_ps(b0),v1=_mm256_loadu_ps(b0+2*s0),v2=_mm256_loadu_ps(b0+2*s1),v3=_mm256_loadu_ps(b0+2*(s0+s1));
    __m256 v4=_mm256_loadu_ps(b0+2*s2),v5=_mm256_loadu_ps(b0+2*(s2+s0)),v6=_mm256_loadu_ps(b0+2*(s2+s1)),v7=_mm256_loadu_ps(b0+2*(s2+s1+s0));
    BF(v0,v1) BF(v2,v3) BF(v4,v5) BF(v6,v7) BF(v0,v2) BF(v1,v3) BF(v4,v6) BF(v5,v7) BF(v0,v4) BF(v1,v5) BF(v2,v6) BF(v3,v7)
    CMUL(v0,0); CMUL(v1,1); CMUL(v2,2); CMUL(v3,3); CMUL(v4,4); CMUL(v5,5); CMUL(v6,6); CMUL(v7,7);
    BF(v0,v1) BF(v2,v3) BF(v4,v5) BF(v6,v7) BF(v0,v2) BF(v1,v3) BF(v4,v6) BF(v5,v7) BF(v0,v4) BF(v1,v5) BF(v2,v6) BF(v3,v7)
    _mm256_storeu_ps(b0,v0);_mm256_storeu_ps(b0+2*s0,v1);_mm256_storeu_ps(b0+2*s1,v2);_mm256_storeu_ps(b0+2*(s0+s1),v3);
    _mm256_storeu_ps(b0+2*s2,v4);_mm256_storeu_ps(b0+2*(s2+s0),v5);_mm256_storeu_ps(b0+2*(s2+s1),v6);_mm256_storeu_ps(b0+2*(s2+s1+s0),v7);}}}
#define CMULQ(x,j) x=_mm256_fmaddsub_ps(x,_mm256_broadcast_ss(qr+j),_mm256_mul_ps(_mm256_permute_ps(x,0xB1),_mm256_broadcast_ss(qi+j)))
#define CMULP(x,j) x=_mm256_fmaddsub_ps(x,_mm256_broadcast_ss(pr+j),_mm256_mul_ps(_mm256_permute_ps(x,0xB1),_mm256_broadcast_ss(pi+j)))
__attribute__((target("avx2,fma"))) void zxz3(float*p,long L,const long*t,const float*dr,const float*di,const float*qr,const float*qi,const float*pr,const float*pi){
  long s0=1L<<t[0],s1=1L<<t[1],s2=1L<<t[2]; long n=1L<<(L-3);
  long pos[3]={t[0],t[1],t[2]}; long run=s0;
  for(long k=0;k<n;k+=run){ long i=ins(k,pos,3); long last=i+run;
   for(;i<last;i+=4){ float*b0=p+2*i;
    __m256 v0=_mm256_loadu_ps(b0),v1=_mm256_loadu_ps(b0+2*s0),v2=_mm256_loadu_ps(b0+2*s1),v3=_mm256_loadu_ps(b0+2*(s0+s1));
    __m256 v4=_mm256_loadu_ps(b0+2*s2),v5=_mm256_loadu_ps(b0+2*(s2+s0)),v6=_mm256_loadu_ps(b0+2*(s2+s1)),v7=_mm256_loadu_ps(b0+2*(s2+s1+s0));
    CMULQ(v0,0); CMULQ(v1,1); CMULQ(v2,2); CMULQ(v3,3); CMULQ(v4,4); CMULQ(v5,5); CMULQ(v6,6); CMULQ(v7,7);
    BF(v0,v1) BF(v2,v3) BF(v4,v5) BF(v6,v7) BF(v0,v2) BF(v1,v3) BF(v4,v6) BF(v5,v7) BF(v0,v4) BF(v1,v5) BF(v2,v6) BF(v3,v7)
    CMUL(v0,0); CMUL(v1,1); CMUL(v2,2); CMUL(v3,3); CMUL(v4,4); CMUL(v5,5); CMUL(v6,6); CMUL(v7,7);
    BF(v0,v1) BF(v2,v3) BF(v4,v5) BF(v6,v7) BF(v0,v2) BF(v1,v3) BF(v4,v6) BF(v5,v7) BF(v0,v4) BF(v1,v5) BF(v2,v6) BF(v3,v7)
    CMULP(v0,0); CMULP(v1,1); CMULP(v2,2); CMULP(v3,3); CMULP(v4,4); CMULP(v5,5); CMULP(v6,6); CMULP(v7,7);
    _mm256_storeu_ps(b0,v0);_mm256_storeu_ps(b0+2*s0,v1);_mm256_storeu_ps(b0+2*s1,v2);_mm256_storeu_ps(b0+2*(s0+s1),v3);
    _mm256_storeu_ps(b0+2*s2,v4);_mm256_storeu_ps(b0+2*(s2+s0),v5);_mm256_storeu_ps(b0+2*(s2+s1),v6);_mm256_storeu_ps(b0+2*(s2+s1+s0),v7);}}}
int main(int argc,char**argv){ long L=argc>1?atol(argv[1]):16; float*p=aligned_alloc(64,8L<<L); for(long i=0;i<(2L<<L);i++)p[i]=0.001f*(i%97);
  float c=0.9950041652780258f,s=0.09983341664682815f; // rx(0.2)
  float m[24]; for(int j=0;j<3;j++){float*q=m+8*j; q[0]=c;q[1]=0;q[2]=0;q[3]=-s;q[4]=0;q[5]=-s;q[6]=c;q[7]=0;}
  // rx = H diag(c - i s, c + i s) H ; with H unnormalised (two H's: factor 1/2 per qubit -> 1/8)
  float dr[8],di[8]; for(int j=0;j<8;j++){ float complex_r=1,complex_i=0; for(int g=0;g<3;g++){ float er=c, ei=((j>>g)&1)? s : -s; float nr=complex_r*er-complex_i*ei, ni=complex_r*ei+complex_i*er; complex_r=nr; complex_i=ni;} dr[j]=complex_r/8; di[j]=complex_i/8; }
  long t[3]={4,9,L-1}; int R=(int)(2000L*(1L<<16)/(1L<<L));
  for(int rep=0;rep<3;rep++){
  double a=now(); for(int r=0;r<R;r++){dense1(p,L,t[0],m);dense1(p,L,t[1],m+8);dense1(p,L,t[2],m+16);} double b=now();
  for(int r=0;r<R;r++){dense1z(p,L,t[0],m);dense1z(p,L,t[1],m+8);dense1z(p,L,t[2],m+16);} double c2=now();
  for(int r=0;r<R;r++) hd3(p,L,t,dr,di); double d=now();
  for(int r=0;r<R;r++){dense1b(p,L,t[0],m);dense1b(p,L,t[1],m+8);dense1b(p,L,t[2],m+16);} double e=now();
  float qr[8],qi[8],pr[8],pi_[8]; for(int j=0;j<8;j++){qr[j]=cosf(0.1f*j);qi[j]=sinf(0.1f*j);pr[j]=cosf(0.2f*j);pi_[j]=sinf(0.2f*j);}
  for(int r=0;r<R;r++) zxz3(p,L,t,dr,di,qr,qi,pr,pi_); double f=now();
  double amps=(double)R*(1L<<L);
  printf("L=%ld 3x dense1 %.3f ns/amp/gate  3x dense1 avx512 %.3f  hd3 %.3f dense1b %.3f zxz3 %.3f\n",L,(b-a)/amps/3*1e9,(c2-b)/amps/3*1e9,(d-c2)/amps/3*1e9,(e-d)/amps/3*1e9,(f-e)/amps/3*1e9);}
  float*q1=aligned_alloc(64,8L<<L),*q2=aligned_alloc(64,8L<<L),*q3=aligned_alloc(64,8L<<L); for(long i=0;i<(2L<<L);i++)q1[i]=q2[i]=q3[i]=sinf(i*0.37f);
  dense1(q1,L,t[0],m);dense1(q1,L,t[1],m+8);dense1(q1,L,t[2],m+16); dense1z(q2,L,t[0],m);dense1z(q2,L,t[1],m+8);dense1z(q2,L,t[2],m+16); hd3(q3,L,t,dr,di);
  double e2=0,e3=0; for(long i=0;i<(2L<<L);i++){double x=fabs(q1[i]-q2[i]),y=fabs(q1[i]-q3[i]); if(x>e2)e2=x; if(y>e3)e3=y;} printf("max diff avx512 %.2e hd3 %.2e\n",e2,e3);
}
