import Foundation
import Testing
@testable import Quantum

/// Where a state's bytes come from: the allocator, or (asked with `VERDANT_HUGE_PAGES=1`) a buffer
/// aligned to a huge page. Either way a new state must read as |0…0⟩, also when it reuses memory a
/// dirtied state gave back.
@Suite("State memory: allocated and huge-page buffers")
struct StateBufferTests {
    /// Every amplitude of `state` but the first is zero, and the first is 1.
    static func isGroundState<Real: StateScalar>(_ state: StateVector<Real>) -> Bool {
        let p = state.storage.pointer
        guard p[0] == 1, p[1] == 0 else { return false }
        for i in 2..<(2 * state.count) where p[i] != 0 { return false }
        return true
    }

    /// Fills every amplitude of `state` with a nonzero pattern, so that memory it gives back is dirty.
    static func dirty<Real: StateScalar>(_ state: inout StateVector<Real>) {
        let p = state.storage.pointer
        for i in 0..<(2 * state.count) { p[i] = Real(i % 7 + 1) }
    }

    @Test("Huge pages, when asked for, align a buffer of two huge pages or more to a huge page; every byte is usable",
          arguments: [hugePageBytes - 64, 2 * hugePageBytes, 3 * hugePageBytes + 4096])
    func hugePageAlignment(bytes: Int) {
        for hugePages in [false, true] {
            let buffer = allocateStateBuffer(byteCount: bytes, hugePages: hugePages)
            defer { buffer.deallocate() }
            #expect(Int(bitPattern: buffer) % 64 == 0)
            #if os(Linux)
            if hugePages, bytes >= 2 * hugePageBytes { #expect(Int(bitPattern: buffer) % hugePageBytes == 0) }
            #endif
            buffer.initializeMemory(as: UInt8.self, repeating: 0xA5, count: bytes)
            #expect(buffer.load(fromByteOffset: bytes - 1, as: UInt8.self) == 0xA5)
        }
    }

    @Test("New states read as |0…0⟩ on both sides of the huge-page size, after a dirtied state was freed", arguments: [8, 17, 18, 19, 20])
    func freshStatesAreGround(qubits: Int) throws {
        for _ in 0..<2 {
            var dirtied = try StateVector<Double>(numQubits: qubits, threads: 2)
            Self.dirty(&dirtied)
        }
        let fresh = try StateVector<Double>(numQubits: qubits, threads: 2)
        #expect(Self.isGroundState(fresh))
        var dirtied = try StateVector<Float>(numQubits: qubits, threads: 1)
        Self.dirty(&dirtied)
        _ = dirtied
        let freshSingle = try StateVector<Float>(numQubits: qubits, threads: 1)
        #expect(Self.isGroundState(freshSingle))
    }
}
