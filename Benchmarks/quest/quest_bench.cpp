// QuEST v4.1 side of Benchmarks/distributed_side_by_side.sh: times QuEST's native full QFT, or a
// circuit of u and cx gates read from the OpenQASM file Verdant exports (`verdant bench
// --export-qasm`), on a distributed, multithreaded Qureg. Prints one JSON line from rank 0.
//   mpirun -np P quest_bench qft N REPEATS
//   mpirun -np P quest_bench FILE.qasm N REPEATS
// REPEATS = 0 runs once and prints the final state instead ({"statevector": [[re, im], ...]}), for
// the script's cross-check against Verdant on a small circuit.
#include "quest.h"
#include <mpi.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <algorithm>

struct Op { bool cx; int a, b; double theta, phi, lambda; };

static std::vector<Op> readQASM(const char* path) {
    std::ifstream in(path);
    std::vector<Op> ops;
    std::string line;
    while (std::getline(in, line)) {
        Op op{};
        if (std::sscanf(line.c_str(), "u(%lf,%lf,%lf) q[%d];", &op.theta, &op.phi, &op.lambda, &op.a) == 4) {
            op.cx = false; ops.push_back(op);
        } else if (std::sscanf(line.c_str(), "u3(%lf,%lf,%lf) q[%d];", &op.theta, &op.phi, &op.lambda, &op.a) == 4) {
            op.cx = false; ops.push_back(op);
        } else if (std::sscanf(line.c_str(), "cx q[%d],q[%d];", &op.a, &op.b) == 2) {
            op.cx = true; ops.push_back(op);
        } else if (line.rfind("OPENQASM", 0) == 0 || line.rfind("include", 0) == 0 || line.rfind("qreg", 0) == 0
                   || line.rfind("//", 0) == 0 || line.rfind("gate ", 0) == 0
                   || line.rfind("creg", 0) == 0 || line.rfind("barrier", 0) == 0 || line.empty()) {
            continue;
        } else {
            std::fprintf(stderr, "quest_bench: unsupported line: %s\n", line.c_str());
            std::exit(2);
        }
    }
    return ops;
}

int main(int argc, char** argv) {
    if (argc != 4) { std::fprintf(stderr, "usage: quest_bench qft|FILE.qasm N REPEATS\n"); return 2; }
    std::string what = argv[1];
    int n = std::atoi(argv[2]);
    int repeats = std::atoi(argv[3]);
    initCustomQuESTEnv(1, 0, 1);
    QuESTEnv env = getQuESTEnv();
    std::vector<Op> ops;
    if (what != "qft") ops = readQASM(what.c_str());
    Qureg q = createCustomQureg(n, 0, env.isDistributed, 0, 1);
    std::vector<double> times;
    for (int r = 0; r <= std::max(repeats, 0); r++) {
        initZeroState(q);
        syncQuESTEnv();
        auto start = std::chrono::steady_clock::now();
        if (what == "qft") {
            applyFullQuantumFourierTransform(q);
        } else {
            for (const Op& op : ops) {
                if (op.cx) { applyControlledPauliX(q, op.a, op.b); continue; }
                double c = std::cos(op.theta / 2), s = std::sin(op.theta / 2);
                qcomp m00 = qcomp(c, 0), m01 = -std::exp(qcomp(0, op.lambda)) * s;
                qcomp m10 = std::exp(qcomp(0, op.phi)) * s, m11 = std::exp(qcomp(0, op.phi + op.lambda)) * c;
                applyCompMatr1(q, op.a, getInlineCompMatr1({{m00, m01}, {m10, m11}}));
            }
        }
        syncQuESTEnv();
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        double slowest = seconds;
        MPI_Allreduce(&seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (r > 0) times.push_back(slowest);
    }
    qreal norm = calcTotalProb(q);
    if (repeats == 0) {
        // getQuregAmp is collective: every rank calls it for every index.
        if (env.rank == 0) std::printf("{\"statevector\": [");
        for (long long i = 0; i < (1LL << n); i++) {
            qcomp a = getQuregAmp(q, i);
            if (env.rank == 0) std::printf("%s[%.17g, %.17g]", i ? ", " : "", (double) std::real(a), (double) std::imag(a));
        }
        if (env.rank == 0) std::printf("]}\n");
        destroyQureg(q);
        finalizeQuESTEnv();
        return 0;
    }
    if (env.rank == 0) {
        std::vector<double> sorted = times;
        std::sort(sorted.begin(), sorted.end());
        std::printf("{\"simulator\": \"QuEST v4.1\", \"case\": \"%s\", \"qubits\": %d, \"ranks\": %d, \"threads\": %d, "
                    "\"seconds_median\": %.6f, \"seconds\": [", what == "qft" ? "qft" : "qasm", n, env.numNodes,
                    std::atoi(std::getenv("OMP_NUM_THREADS") ? std::getenv("OMP_NUM_THREADS") : "0"), sorted[sorted.size() / 2]);
        for (size_t i = 0; i < times.size(); i++) std::printf("%s%.6f", i ? ", " : "", times[i]);
        std::printf("], \"total_probability\": %.12f, \"gates\": %zu}\n", (double) norm, ops.size());
    }
    destroyQureg(q);
    finalizeQuESTEnv();
    return 0;
}
