import Foundation
import Testing
@testable import SafeTensors
import TensorCore

/// The name in-memory test files carry in errors.
let testName = "test.safetensors"

/// The committed fixture written by Python `safetensors` (see Scripts/make_safetensors_fixture.py).
func fixtureURL(_ name: String) throws -> URL {
    try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
}

/// A safetensors file from a header text and data bytes; `headerLength` overrides the length field.
func makeFile(header: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> [UInt8] {
    let json = Array(header.utf8)
    var bytes: [UInt8] = []
    withUnsafeBytes(of: (headerLength ?? UInt64(json.count)).littleEndian) { bytes += $0 }
    return bytes + json + data
}

/// The error opening `bytes` throws, or `nil` when it opens.
func openError(_ bytes: [UInt8]) -> SafeTensorsError? {
    do {
        _ = try SafeTensorsFile(bytes: bytes, name: testName)
        return nil
    } catch {
        return error
    }
}

/// Runs `body` and returns the `SafeTensorsError` it throws, or `nil` (recording an issue
/// for any other error).
func thrownError<T>(
    _ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation
) -> SafeTensorsError? {
    do {
        _ = try body()
        return nil
    } catch let error as SafeTensorsError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A fresh empty directory under the temporary directory.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("SafeTensorsTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A small deterministic PRNG (SplitMix64, Steele/Lea/Flood 2014), so that tests that use
/// random data or mutations are reproducible from their seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Bit patterns, so that NaN payloads and signed zeros compare exactly.
func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
