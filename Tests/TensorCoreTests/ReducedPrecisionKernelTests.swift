import Foundation
import Synchronization
import Testing
@testable import TensorCore

@Suite struct ReducedPrecisionKernelTests {
    @Test("bfloat16 conversion rounds to nearest even, keeps infinities and NaNs, at every length")
    func bfloat16Conversion() throws {
        var rng = SplitMix64(seed: 41)
        // Random values, exact ties (low half 0x8000 with odd and even kept halves), special values.
        var values: [Float] = (0..<200).map { _ in Float.random(in: -1e4...1e4, using: &rng) }
        values += [Float(bitPattern: 0x3f80_8000), Float(bitPattern: 0x3f81_8000), Float(bitPattern: 0x3f80_7fff),
                   .infinity, -.infinity, .nan, 0, -0.0, .greatestFiniteMagnitude, .leastNonzeroMagnitude]
        for count in [0, 1, 15, 16, 17, values.count] {
            var out = [UInt16](repeating: 0xdead, count: count + 1)
            values.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBufferPointer { o in
                    Kernels.convertToBFloat16(v.baseAddress!, count: count, into: o.baseAddress!)
                }
            }
            for i in 0..<count {
                let value = values[i]
                if value.isNaN {
                    #expect(Float(bitPattern: UInt32(out[i]) << 16).isNaN, "NaN at \(i)")
                } else {
                    #expect(out[i] == HalfPrecision.bfloat16Bits(value), "value \(value) at \(i) of \(count)")
                    // Nearest: no other bfloat16 is closer.
                    let rounded = Double(Float(bitPattern: UInt32(out[i]) << 16))
                    if value.isFinite, abs(rounded).isFinite {
                        let up = Double(Float(bitPattern: (UInt32(out[i]) &+ 1) << 16))
                        #expect(abs(rounded - Double(value)) <= abs(up - Double(value)) || !up.isFinite)
                    }
                }
            }
            #expect(out[count] == 0xdead, "wrote past \(count) values")
        }
        #expect(HalfPrecision.bfloat16Bits(Float(bitPattern: 0x3f80_8000)) == 0x3f80)  // tie, even kept
        #expect(HalfPrecision.bfloat16Bits(Float(bitPattern: 0x3f81_8000)) == 0x3f82)  // tie, odd rounds up
    }

    @Test("int8 row quantization: symmetric scale per row, round to nearest even, within half a step")
    func rowQuantization() throws {
        let rows = 5, width = 37
        var x = try randomTensor([rows, width], seed: 7, in: -3...3).scalars
        for c in 0..<width { x[2 * width + c] = 0 }  // an all-zero row
        x[3 * width + 4] = 100  // an outlier sets that row's scale
        var q = [Int8](repeating: 0, count: rows * width)
        var scales = [Float](repeating: 0, count: rows)
        x.withUnsafeBufferPointer { xs in
            q.withUnsafeMutableBufferPointer { qs in
                scales.withUnsafeMutableBufferPointer { s in
                    Kernels.quantizeRows(xs.baseAddress!, rows: rows, width: width, into: qs.baseAddress!,
                                         scales: s.baseAddress!)
                }
            }
        }
        for r in 0..<rows {
            let row = Array(x[(r * width)..<((r + 1) * width)])
            let peak = row.map(abs).max() ?? 0
            let expectedScale: Float = peak > 0 ? peak / 127 : 1
            #expect(scales[r] == expectedScale, "row \(r) scale")
            for c in 0..<width {
                let exact = Double(row[c]) / Double(expectedScale)
                let expected = Int8(max(-127, min(127, (row[c] * (1 / expectedScale)).rounded(.toNearestOrEven))))
                #expect(q[r * width + c] == expected, "row \(r) column \(c)")
                #expect(abs(Double(q[r * width + c]) - exact) <= 0.5 + 1e-4)
            }
        }
        #expect(q[3 * width + 4] == 127)
        #expect(q[(2 * width)..<(3 * width)].allSatisfy { $0 == 0 })
    }

    @Test("int8 epilogue: row scale, bias, accumulation")
    func scaleRows() throws {
        let rows = 3, width = 21
        let products = try randomTensor([rows, width], seed: 3).scalars
        let bias = try randomTensor([width], seed: 4).scalars
        let start = try randomTensor([rows, width], seed: 5).scalars
        let rowScales: [Float] = [0.5, 2, -1]
        for accumulate in [false, true] {
            var out = start
            products.withUnsafeBufferPointer { p in
                bias.withUnsafeBufferPointer { b in
                    rowScales.withUnsafeBufferPointer { s in
                        out.withUnsafeMutableBufferPointer { o in
                            Kernels.scaleRows(p.baseAddress!, rowScales: s.baseAddress!, bias: b.baseAddress!, rows: rows,
                                              width: width, into: o.baseAddress!, accumulate: accumulate)
                        }
                    }
                }
            }
            for r in 0..<rows {
                for c in 0..<width {
                    let i = r * width + c
                    let expected = Double(rowScales[r]) * Double(products[i]) + Double(bias[c])
                        + (accumulate ? Double(start[i]) : 0)
                    #expect(abs(Double(out[i]) - expected) <= 1e-5 * max(1, abs(expected)), "\(accumulate) \(r) \(c)")
                }
            }
        }
    }
}

// Serialized: the tests change the process's thread count.
@Suite(.serialized) struct ComputeThreadsTests {
    /// Scripts/test-sanitizers.sh sets CLIP_EXPECT_TSAN=1 for its ThreadSanitizer run: the
    /// barrier annotations must then be found (else TSan would check the parallel loops without
    /// them, and a missing symbol would pass unseen); in a plain run they must be absent.
    @Test func threadSanitizerAnnotationsAreFoundExactlyUnderThreadSanitizer() {
        let expected = ProcessInfo.processInfo.environment["CLIP_EXPECT_TSAN"] == "1"
        #expect((ThreadSanitizerEdges.release != nil) == expected)
        #expect((ThreadSanitizerEdges.acquire != nil) == expected)
    }

    @Test("parallel runs every worker exactly once, at any thread count")
    func everyWorkerOnce() throws {
        let before = ComputeThreads.count
        defer { ComputeThreads.setThreadCount(before) }
        for threads in [1, 2, 3] {
            ComputeThreads.setThreadCount(threads)
            for workers in [1, 2, 5, 16] {
                let counts = UnsafeMutablePointer<Int>.allocate(capacity: workers)
                counts.initialize(repeating: 0, count: workers)
                defer { counts.deallocate() }
                let address = UInt(bitPattern: counts)
                ComputeThreads.parallel(workers) { worker in
                    UnsafeMutablePointer<Int>(bitPattern: address)![worker] += 1
                }
                #expect((0..<workers).allSatisfy { counts[$0] == 1 }, "\(workers) workers on \(threads) threads")
            }
            var seen = [Int](repeating: 0, count: 100)
            seen.withUnsafeMutableBufferPointer { buffer in
                let address = UInt(bitPattern: buffer.baseAddress!)
                ComputeThreads.forEachChunk(of: 100, minimumChunk: 7, alignment: 4) { range in
                    for i in range { UnsafeMutablePointer<Int>(bitPattern: address)![i] += 1 }
                }
            }
            #expect(seen.allSatisfy { $0 == 1 })
        }
        #expect(["openmp", "dispatch"].contains(ComputeThreads.runtimeName))
    }

    @Test("a count of 1 keeps every loop on the calling thread; a count of 2 uses two threads")
    func loopsRunOnCountThreads() throws {
        let before = ComputeThreads.count
        defer { ComputeThreads.setThreadCount(before) }
        let caller = pthread_self()

        ComputeThreads.setThreadCount(1)
        for workers in [1, 2, 5, 16] {
            let log = ThreadLog()
            ComputeThreads.parallel(workers) { _ in log.record() }
            #expect(log.threads == [caller] && log.count == workers, "\(workers) workers")
        }
        let chunks = ThreadLog()
        ComputeThreads.forEachChunk(of: 1000, minimumChunk: 1) { _ in chunks.record() }
        #expect(chunks.threads == [caller] && chunks.count == 1)
        let background = BackgroundWork<pthread_t, Never> { pthread_self() }
        #expect(background.value() == caller)

        ComputeThreads.setThreadCount(2)
        // Each worker waits (up to 10 s) until both have started: two threads, not one after the other.
        let pair = ThreadLog(), arrived = Atomic<Int>(0)
        ComputeThreads.parallel(2) { _ in
            pair.record()
            arrived.add(1, ordering: .relaxed)
            let deadline = ContinuousClock.now + .seconds(10)
            while arrived.load(ordering: .relaxed) < 2, ContinuousClock.now < deadline { sched_yield() }
        }
        #expect(pair.threads.count == 2 && pair.threads.contains(caller))
        let halves = ThreadLog()
        ComputeThreads.forEachChunk(of: 1000, minimumChunk: 1) { _ in halves.record() }
        #expect(halves.count == 2)
        // A loop inside a worker runs on that worker's thread.
        let nested = ThreadLog()
        ComputeThreads.parallel(2) { _ in
            let outer = pthread_self()
            ComputeThreads.parallel(4) { _ in nested.record(matching: outer) }
        }
        #expect(nested.count == 8 && nested.mismatches == 0)
    }
}

/// The threads a loop's workers ran on.
private final class ThreadLog: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [pthread_t] = []
    private var wrongThread = 0

    /// Records the calling thread (and whether it is `expected`).
    func record(matching expected: pthread_t? = nil) {
        let thread = pthread_self()
        lock.withLock {
            seen.append(thread)
            if let expected, expected != thread { wrongThread += 1 }
        }
    }

    var threads: Set<pthread_t> { lock.withLock { Set(seen) } }
    var count: Int { lock.withLock { seen.count } }
    var mismatches: Int { lock.withLock { wrongThread } }
}
