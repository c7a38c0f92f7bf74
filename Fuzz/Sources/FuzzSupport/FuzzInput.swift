import CFuzzing
import Foundation

/// One libFuzzer input, with helpers the harnesses share: splitting it into parts, and writing
/// parts to files for readers that take a path.
public struct FuzzInput {
    /// The input's bytes.
    public let bytes: [UInt8]

    /// Copies `count` bytes at `start` (libFuzzer's arguments).
    public init(_ start: UnsafePointer<UInt8>?, _ count: Int) {
        bytes = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    }

    /// The first byte (a selector among a harness's readers) and the rest; `nil` when empty.
    public var selectorAndRest: (UInt8, [UInt8])? {
        guard let first = bytes.first else { return nil }
        return (first, Array(bytes.dropFirst()))
    }

    /// The input cut at the first occurrence of `separator` (the second part empty when absent).
    public func split(at separator: [UInt8], from offset: Int = 0) -> ([UInt8], [UInt8]) {
        let body = Array(bytes[min(offset, bytes.count)...])
        guard !separator.isEmpty, body.count >= separator.count else { return (body, []) }
        for i in 0...(body.count - separator.count) where body[i..<(i + separator.count)].elementsEqual(separator) {
            return (Array(body[..<i]), Array(body[(i + separator.count)...]))
        }
        return (body, [])
    }
}

/// A per-process directory for files handed to path-based readers (in /dev/shm when it exists,
/// so that each execution costs no disk I/O).
public enum FuzzScratch {
    /// The directory, created on first use.
    public static let directory: URL = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let url = URL(fileURLWithPath: base).appendingPathComponent("swift-clip-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Writes `bytes` to `name` in ``directory`` (replacing it) and returns its URL.
    public static func file(_ name: String, _ bytes: [UInt8]) -> URL {
        let url = directory.appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
        return url
    }
}

/// Stops the process with a message when a property the harness checks does not hold (a bug
/// libFuzzer then reports with the input).
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        FileHandle.standardError.write(Data("fuzz check failed: \(message())\n".utf8))
        abort()
    }
}

/// Runs libFuzzer's driver on `harness` with the process's arguments and exits with its status.
public func runFuzzer(_ harness: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = withUnsafeMutablePointer(to: &argv) { argvPointer in
        argvPointer.withMemoryRebound(to: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?.self, capacity: 1) {
            LLVMFuzzerRunDriver(&argc, $0, harness)
        }
    }
    exit(status)
}
