import Foundation
import Testing
@testable import TensorCore

@Suite struct BLASRuntimeTests {
    static let avx512 = Set(["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"])

    @Test func aWeakerDetectionIsUpgradedToWhatTheCPUSupports() {
        #expect(BLASRuntime.strongerCores(flags: Self.avx512.union(["avx512_bf16"]), current: "prescott")
                == ["Cooperlake", "SkylakeX", "Haswell"])
        #expect(BLASRuntime.strongerCores(flags: Self.avx512, current: "prescott") == ["SkylakeX", "Haswell"])
        #expect(BLASRuntime.strongerCores(flags: Self.avx512, current: "haswell") == ["SkylakeX"])
        #expect(BLASRuntime.strongerCores(flags: ["sse3", "avx", "avx2", "fma"], current: "prescott") == ["Haswell"])
        #expect(BLASRuntime.strongerCores(flags: Self.avx512.union(["avx512_bf16"]), current: "skylakex") == ["Cooperlake"])
    }

    @Test func aMatchingOrStrongerDetectionIsKept() {
        #expect(BLASRuntime.strongerCores(flags: Self.avx512, current: "skylakex").isEmpty)
        #expect(BLASRuntime.strongerCores(flags: Self.avx512.union(["avx512_bf16"]), current: "cooperlake").isEmpty)
        #expect(BLASRuntime.strongerCores(flags: Self.avx512.union(["avx512_bf16"]), current: "sapphirerapids").isEmpty)
        #expect(BLASRuntime.strongerCores(flags: ["sse3", "avx", "avx2", "fma"], current: "zen").isEmpty)
        // A CPU without AVX2 (or flags we could not read) changes nothing.
        #expect(BLASRuntime.strongerCores(flags: ["sse3", "avx"], current: "sandybridge").isEmpty)
        #expect(BLASRuntime.strongerCores(flags: [], current: "prescott").isEmpty)
    }

    @Test func theRuntimeReportsItsCoreAndProductsStayCorrect() throws {
        ComputeThreads.configure()
        let a = try Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        let b = try Tensor(shape: [2, 2], scalars: [1, 0, 1, 1])
        #expect(try a.matmul(b).scalars == [3, 2, 7, 4, 11, 6])
        #expect(!BLASRuntime.coreName.isEmpty && BLASRuntime.coreName != "unknown")
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil {
            #expect(BLASRuntime.coreSelection == .environment)
        }
        let flags = BLASRuntime.cpuFlags()
        if case .corrected(_, let to) = BLASRuntime.coreSelection {
            // A correction only ever picks a family the CPU reports, and the best one available.
            #expect(to.lowercased() == "haswell" ? flags.contains("avx2") : flags.contains("avx512f"))
            #expect(BLASRuntime.coreName == to)
        }
    }
}
