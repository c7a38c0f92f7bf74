import FaultTestSupport
import Foundation
import Testing
import TensorCore
@testable import SafeTensors

/// A checkpoint of three tensors written by `SafeTensorsWriter`, and its values.
private func sampleCheckpoint(scale: Float = 1) throws -> (bytes: [UInt8], tensors: [String: [Float]]) {
    let tensors: [String: [Float]] = [
        "a": (0..<64).map { Float($0) * scale }, "b": (0..<300).map { Float($0) * -0.5 * scale }, "c": [scale],
    ]
    var writer = SafeTensorsWriter(metadata: ["format": "pt"])
    for name in tensors.keys.sorted() {
        let values = try #require(tensors[name])
        try writer.add(try Tensor(shape: [values.count], scalars: values), named: name)
    }
    return (writer.serialized(), tensors)
}

@Suite("Faults: truncated and replaced checkpoints")
struct CheckpointFaultTests {
    /// A checkpoint cut anywhere is refused when it is opened, before any tensor is read, with an
    /// error that names the file and what is missing: the header length, the header, or data.
    @Test func aTruncatedCheckpointIsRefusedWhenOpened() throws {
        let (bytes, _) = try sampleCheckpoint()
        let headerLength = Int(bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let dataStart = 8 + headerLength
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        for cut in [0, 3, 7, 8, 8 + headerLength / 2, dataStart - 1, dataStart, dataStart + 4 * 64, bytes.count - 1] {
            try Data(bytes.prefix(cut)).write(to: url)
            do {
                _ = try SafeTensorsFile(contentsOf: url)
                Issue.record("a file cut at \(cut) of \(bytes.count) bytes opened")
            } catch {
                #expect("\(error)".contains(url.path), "cut at \(cut): \(error)")
                switch error {
                case .fileTooSmall(_, let size): #expect(cut < 8 && size == cut)
                case .headerLengthExceedsFile(_, let length, let size): #expect(cut < dataStart && Int(length) == headerLength && size == cut)
                case .offsetsOutOfBounds(_, _, _, _, let bufferSize): #expect(cut >= dataStart && bufferSize == cut - dataStart)
                default: Issue.record("cut at \(cut): unexpected \(error)")
                }
            }
        }
    }

    /// Replacing a checkpoint (a new file renamed over it, as every downloader and the writer
    /// do) while it is open leaves the open map reading the old content; opening again reads
    /// the new one.
    @Test func aReplacedCheckpointKeepsTheOpenMapIntact() throws {
        let (old, oldValues) = try sampleCheckpoint(scale: 1)
        let (new, newValues) = try sampleCheckpoint(scale: 3)
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        try Data(old).write(to: url)
        let open = try SafeTensorsFile(contentsOf: url)
        let before = try open.tensor(named: "b")
        try Data(new).write(to: url, options: .atomic)
        for name in ["a", "b", "c"] {
            #expect(try open.tensor(named: name).scalars == oldValues[name], "\(name) through the old map")
            #expect(try SafeTensorsFile(contentsOf: url).tensor(named: name).scalars == newValues[name], "\(name) reopened")
        }
        #expect(before.scalars == oldValues["b"])
    }
}

@Suite("Faults: a full disk", .serialized,
       .enabled(if: SmallFileSystem.isAvailable("safetensors"), "needs the small filesystems of Scripts/mount-small-filesystems.sh"))
struct DiskFullTests {
    /// Writing a safetensors file or a `.npy` file over an old one on a full disk throws an error
    /// naming the file and leaves the old file byte for byte, with no temporary file behind.
    @Test func writesOnAFullDiskLeaveTheOldFileIntact() throws {
        let disk = try #require(SmallFileSystem(named: "safetensors"))
        try disk.clear()
        defer { try? disk.clear() }
        let checkpoint = disk.folder.appendingPathComponent("index.safetensors")
        let array = disk.folder.appendingPathComponent("part.npy")
        let small = try Tensor(shape: [16, 8], scalars: (0..<128).map(Float.init))
        var writer = SafeTensorsWriter()
        try writer.add(small, named: "embeddings")
        try writer.write(to: checkpoint)
        try NumpyArrayFile.write(small, to: array)
        let oldCheckpoint = try Data(contentsOf: checkpoint), oldArray = try Data(contentsOf: array)

        try disk.fill(leaving: 64 * 1024)
        let large = try Tensor(shape: [768, 512], repeating: 0.25)  // 1.5 MiB: both fit once the space is back
        var bigWriter = SafeTensorsWriter()
        try bigWriter.add(large, named: "embeddings")
        #expect { try bigWriter.write(to: checkpoint) } throws: { error in
            guard case let SafeTensorsError.writeFailed(file, reason) = error else { return false }
            return file == checkpoint.path && !reason.isEmpty
        }
        #expect { try NumpyArrayFile.write(large, to: array) } throws: { error in
            guard case let NumpyFileError.ioFailed(path, reason) = error else { return false }
            return path == array.path && reason.contains("cannot write")
        }
        #expect(try Data(contentsOf: checkpoint) == oldCheckpoint)
        #expect(try Data(contentsOf: array) == oldArray)
        #expect(try disk.names() == ["index.safetensors", "part.npy"], "no temporary file left on the full disk")
        #expect(try SafeTensorsFile(contentsOf: checkpoint).tensor(named: "embeddings").scalars == small.scalars)

        // With the space back, the same writes succeed.
        try disk.unfill()
        try bigWriter.write(to: checkpoint)
        try NumpyArrayFile.write(large, to: array)
        #expect(try NumpyArrayFile.read(contentsOf: array).shape == [768, 512])
    }
}
