// Faulting in a 128 MiB buffer, as a fresh 24-qubit single-precision state is: mode 0 writes one
// float per cache line into plain 4 KiB pages, mode 1 pre-faults with MADV_POPULATE_WRITE first,
// mode 2 asks for transparent huge pages (MADV_HUGEPAGE) on a 2 MiB-aligned buffer. Five rounds,
// each timing the advice, the first write (page faults) and a second write (none).
//   cc -O2 -o page_faults Benchmarks/experiments/page_faults.c && ./page_faults 0 (or 1, 2)
// Results and their use: docs/benchmarks.md, "Pages of a fresh state".
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  size_t n=128ul<<20; int mode=atoi(argv[1]);
  for(int r=0;r<5;r++){
    double t0=now();
    char*p=aligned_alloc(2<<20,n);
    if(mode==1) madvise(p,n,MADV_POPULATE_WRITE);
    if(mode==2) madvise(p,n,MADV_HUGEPAGE);
    double t1=now();
    float*f=(float*)p; for(size_t i=0;i<n/4;i+=16) f[i]=1.0f; // touch every line? every 64B
    double t2=now();
    for(size_t i=0;i<n/4;i+=16) f[i]+=1.0f;
    double t3=now();
    printf("mode %d alloc+advise %.1f ms first write %.1f ms second write %.1f ms\n",mode,(t1-t0)*1e3,(t2-t1)*1e3,(t3-t2)*1e3);
    free(p);
  }
}
