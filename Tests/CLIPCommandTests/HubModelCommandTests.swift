import Foundation
import Testing

/// `--model owner/name` resolved from a Hugging Face cache given to the tool through HF_HUB_CACHE.
@Suite("clip --model with Hub ids")
struct HubModelCommandTests {
    let commit = "89abcdef0123456789abcdef0123456789abcdef"
    let fixture = testsDirectory.appendingPathComponent("CLIPCommandTests/Fixtures/tiny-vocab-clip")

    /// A cache laid out as huggingface_hub lays it out: blobs, snapshot links, refs/main, and
    /// `.no_exist` markers for the optional files the repository does not have.
    func makeCache() throws -> URL {
        let manager = FileManager.default
        let cache = manager.temporaryDirectory.appendingPathComponent("clip-hub-\(UUID().uuidString)")
        let repo = cache.appendingPathComponent("models--tiny--clip")
        let snapshot = repo.appendingPathComponent("snapshots/\(commit)")
        for folder in [snapshot, repo.appendingPathComponent("blobs"), repo.appendingPathComponent("refs"),
                       repo.appendingPathComponent(".no_exist/\(commit)")] {
            try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        try Data(commit.utf8).write(to: repo.appendingPathComponent("refs/main"))
        for (index, name) in ["config.json", "model.safetensors"].enumerated() {
            let blob = "blob\(index)"
            try manager.copyItem(at: fixture.appendingPathComponent(name), to: repo.appendingPathComponent("blobs/\(blob)"))
            try manager.createSymbolicLink(atPath: snapshot.appendingPathComponent(name).path, withDestinationPath: "../../blobs/\(blob)")
        }
        for name in ["vocab.json", "merges.txt", "tokenizer.json", "preprocessor_config.json"] {
            try Data().write(to: repo.appendingPathComponent(".no_exist/\(commit)/\(name)"))
        }
        return cache
    }

    @Test func resolvesHubIDsFromTheCacheWithoutTheNetwork() throws {
        let cache = try makeCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let direct = try runTool(["embed-text", "--model", fixture.path, "a photo of a cat"])
        #expect(direct.status == 0, "\(direct.standardError)")
        // Nothing listens on port 9: any request would fail the run.
        let environment = ["HF_HUB_CACHE": cache.path, "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_OFFLINE": "0"]
        for name in ["tiny/clip", "tiny/clip@main", "tiny/clip@\(commit)"] {
            let run = try runTool(["embed-text", "--model", name, "a photo of a cat"], environment: environment)
            #expect(run.status == 0, "\(name): \(run.standardError)")
            #expect(run.standardOutput == direct.standardOutput, "\(name)")
            #expect(run.standardError.isEmpty, "\(name): \(run.standardError)")
        }
        let info = try runTool(["info", "--model", "tiny/clip"], environment: environment)
        #expect(info.standardOutput.contains("snapshots/\(commit)"))
    }

    @Test func offlineModeAndBadIDsGiveOneErrorLine() throws {
        let cache = try makeCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let offline = ["HF_HUB_CACHE": cache.path, "HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9"]
        expectSingleErrorLine(try runTool(["embed-text", "--model", "openai/clip-vit-base-patch32", "x"], environment: offline),
                              containing: "HF_HUB_OFFLINE")
        expectSingleErrorLine(try runTool(["info", "--model", "tiny/clip@v2"], environment: offline),
                              containing: "tiny/clip@v2")
        // Online, but the endpoint cannot be reached: a network error naming the URL.
        let unreachable = ["HF_HUB_CACHE": cache.path, "HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "http://127.0.0.1:9"]
        expectSingleErrorLine(try runTool(["info", "--model", "someone/missing"], environment: unreachable),
                              containing: "127.0.0.1:9/someone/missing/resolve/main/config.json")
    }
}
