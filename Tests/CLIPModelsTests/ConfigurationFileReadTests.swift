import Foundation
import Testing
@testable import CLIPModels
import TextTokenizer

/// A model folder's small files (configurations, tokenizer files) are read with a size limit
/// and only when they are regular files: a `config.json` linked to `/dev/zero` or a FIFO used to
/// be read without end (or wait forever); now each is an error naming the file.
@Suite("Configuration and tokenizer files are read within limits")
struct ConfigurationFileReadTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("config-read-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func link(_ name: String, to target: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
        return url
    }

    func sparse(_ name: String, size: off_t) throws -> URL {
        let url = folder.appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        #expect(truncate(url.path, size) == 0)
        return url
    }

    @Test func aConfigurationThatIsADeviceOrFIFOIsAMissingFile() throws {
        let zero = try link("config.json", to: "/dev/zero")
        #expect(throws: CLIPModelError.missingFile(path: zero.path, reason: "cannot be read: not a regular file (a device, FIFO or directory)")) {
            try HuggingFaceCLIPConfiguration(contentsOf: zero)
        }
        let fifo = folder.appendingPathComponent("open_clip_config.json")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        #expect(throws: CLIPModelError.missingFile(path: fifo.path, reason: "cannot be read: not a regular file (a device, FIFO or directory)")) {
            try OpenCLIPConfiguration(contentsOf: fifo)
        }
    }

    @Test func aConfigurationOverSixteenMiBIsRefusedFromItsSize() throws {
        let big = try sparse("config.json", size: 1 << 34)
        #expect(throws: CLIPModelError.unsupportedArchitecture(
            file: big.path, reason: "the file has 17179869184 bytes, more than the limit of 16777216 bytes for a configuration")) {
            try HuggingFaceCLIPConfiguration(contentsOf: big)
        }
    }

    @Test func tokenizerFilesAreBoundedToo() throws {
        let zero = try link("bpe_simple_vocab_16e6.txt.gz", to: "/dev/zero")
        #expect(throws: TextTokenizerError.unreadableFile(path: zero.path, reason: "not a regular file (a device, FIFO or directory)")) {
            try CLIPVocabulary(bpeFile: zero)
        }
        let big = try sparse("tokenizer.json", size: 1 << 30)
        #expect(throws: TextTokenizerError.unreadableFile(
            path: big.path, reason: "the file has 1073741824 bytes, more than the limit of 536870912 bytes")) {
            try GemmaTokenizer(tokenizerJSON: big)
        }
        let fifo = folder.appendingPathComponent("spiece.model")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        #expect(throws: TextTokenizerError.unreadableFile(path: fifo.path, reason: "not a regular file (a device, FIFO or directory)")) {
            try SentencePieceModel(contentsOf: fifo)
        }
    }
}
