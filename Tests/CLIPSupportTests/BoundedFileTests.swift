@testable import CLIPSupport
import Foundation
import Testing

/// `BoundedFile.contents(of:limit:)`: whole-file reads of configurations and vocabularies that
/// never take more memory than the limit, never block on a FIFO and never read a device.
@Suite("Bounded whole-file reads")
struct BoundedFileTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bounded-file-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func file(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    func refusal(_ url: URL, limit: Int) -> BoundedFileError? {
        do {
            _ = try BoundedFile.contents(of: url, limit: limit)
            return nil
        } catch {
            return error
        }
    }

    @Test func readsRegularFilesUpToTheLimitExactly() throws {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let url = try file("a.json", bytes)
        #expect(try BoundedFile.contents(of: url, limit: 1000) == Data(bytes))
        #expect(try BoundedFile.contents(of: try file("empty", []), limit: 0) == Data())
        let link = folder.appendingPathComponent("link.json")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: url)
        #expect(try BoundedFile.contents(of: link, limit: 4096) == Data(bytes))
    }

    @Test func refusesAFileOverTheLimitBeforeReadingIt() throws {
        #expect(refusal(try file("b", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), limit: 10) == .tooLarge(size: 11, limit: 10))
        // A sparse file of 64 GiB: refused from its size, without memory for it.
        let sparse = folder.appendingPathComponent("sparse.json")
        #expect(FileManager.default.createFile(atPath: sparse.path, contents: nil))
        #expect(truncate(sparse.path, 1 << 36) == 0)
        #expect(refusal(sparse, limit: BoundedFile.configurationLimit) == .tooLarge(size: 1 << 36, limit: 16 << 20))
        #expect(BoundedFileError.tooLarge(size: 11, limit: 10).description == "the file has 11 bytes, more than the limit of 10 bytes")
    }

    @Test func refusesDevicesDirectoriesAndFIFOsWithoutBlocking() throws {
        let zeroLink = folder.appendingPathComponent("config.json")
        try FileManager.default.createSymbolicLink(atPath: zeroLink.path, withDestinationPath: "/dev/zero")
        #expect(refusal(zeroLink, limit: 1 << 20) == .notARegularFile)
        #expect(refusal(folder, limit: 1 << 20) == .notARegularFile)
        let fifo = folder.appendingPathComponent("fifo")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        // Opened without a writer: a blocking open would wait here forever.
        #expect(refusal(fifo, limit: 1 << 20) == .notARegularFile)
    }

    @Test func namesTheSystemsReasonWhenAFileCannotBeOpened() throws {
        let missing = folder.appendingPathComponent("missing.json")
        #expect(refusal(missing, limit: 10) == .unreadable(reason: "No such file or directory"))
    }
}
