import Quantum
import Foundation
let q = QuantumRegister(2, name: "q"); let c = ClassicalRegister(2, name: "c")
var circuit = QuantumCircuit(q, c)
circuit.h(q[0]); circuit.cx(q[0], q[1]); circuit.measure(q, c)
let result = try circuit.run(shots: 1024, seed: 7)
print(result.counts)
var u = QuantumCircuit(numQubits: 3)
u.h(0); u.ry(0.3, 1); u.rz(0.2, 1); u.cx(0, 2); u.ccx(0,1,2); u.rzz(0.4, 1, 2); u.cswap(0,1,2); u.u(0.1,0.2,0.3, 2)
print(try u.statevector().amplitudes)
for n in [20, 24] {
  for t in [1, 2] {
    var cc = QuantumCircuit(numQubits: n)
    for k in 0..<20 { cc.h(0); cc.rx(0.1, n-1); cc.cx(k % n, (k+5)%n); cc.rz(0.3, 3) }
    let sim = Simulator(threads: t, fusion: false)
    let t0 = Date()
    let s = try sim.statevector(cc)
    print(n, t, Date().timeIntervalSince(t0), s.normSquared, (Date().timeIntervalSince(t0))/80*1000, "ms/gate")
  }
}
