import Foundation

/// Runs the `clip` executable built next to this test bundle.
struct ToolRun {
    let status: Int32
    let standardOutput: String
    let standardError: String

    /// The stderr lines.
    var errorLines: [Substring] { standardError.split(separator: "\n") }
}

let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let repositoryDirectory = testsDirectory.deletingLastPathComponent()
let modelFixtures = testsDirectory.appendingPathComponent("CLIPModelsTests/Fixtures")
func fixtureModel(_ name: String) -> String { modelFixtures.appendingPathComponent("models/\(name)").path }

/// The `clip` binary in the build products directory (where the test bundle lives).
func toolURL() throws -> URL {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("clip")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    struct NotFound: Error, CustomStringConvertible { var description: String }
    throw NotFound(description: "no built clip executable near \(CommandLine.arguments[0])")
}

func runTool(_ arguments: [String], environment: [String: String] = [:]) throws -> ToolRun {
    let process = Process()
    process.executableURL = try toolURL()
    process.arguments = arguments
    process.currentDirectoryURL = repositoryDirectory
    var env = ProcessInfo.processInfo.environment
    env["OPENBLAS_NUM_THREADS"] = "1"
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes fully before waiting, so a large output cannot block the child.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ToolRun(status: process.terminationStatus,
                   standardOutput: String(decoding: outData, as: UTF8.self),
                   standardError: String(decoding: errData, as: UTF8.self))
}

/// Parses each non-empty stdout line as a JSON array of numbers.
func jsonRows(_ text: String) throws -> [[Double]] {
    try text.split(separator: "\n").map { line in
        try JSONDecoder().decode([Double].self, from: Data(line.utf8))
    }
}
