import Foundation
import ImageProcessing
import Testing
@testable import CLIPModels

// What CLIPModelDirectory decides about any folder: its preprocessing settings and its
// tokenizer files. (These rules lived in ImageProcessing and TextTokenizer before they moved to
// the one module that knows model-folder file names; the assertions are the ones they had.)

private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("swift-clip-folder-\(UUID())")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Test func preprocessingSettingsOfAFolder() throws {
    let directory = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(try CLIPModelDirectory.preprocessingConfiguration(in: directory) == .openAI)

    try Data(#"{"model_cfg": {"vision_cfg": {"image_size": 384}}}"#.utf8)
        .write(to: directory.appendingPathComponent("open_clip_config.json"))
    #expect(try CLIPModelDirectory.preprocessingConfiguration(in: directory).resize == .shortestEdge(384))

    try Data(#"{"size": {"shortest_edge": 336}, "crop_size": 336}"#.utf8)
        .write(to: directory.appendingPathComponent("preprocessor_config.json"))
    let preferred = try CLIPModelDirectory.preprocessingConfiguration(in: directory)
    #expect(preferred.resize == .shortestEdge(336))
    #expect(preferred.cropConvention == .transformers)

    try Data(#"{"size": {"shortest_edge": "336"}}"#.utf8)
        .write(to: directory.appendingPathComponent("preprocessor_config.json"))
    do {
        _ = try CLIPModelDirectory.preprocessingConfiguration(in: directory)
        Issue.record("bad file accepted")
    } catch {
        guard case let .imageProcessing(.invalidConfiguration(file, key, _), _) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(file.hasSuffix("preprocessor_config.json"))
        #expect(key == "size.shortest_edge")
    }

    let missing = directory.appendingPathComponent("nope")
    #expect(throws: CLIPModelError.imageProcessing(
        .fileUnreadable(path: missing.path, reason: "not a directory"),
        context: "image preprocessing settings of \(missing.path)")) {
        try CLIPModelDirectory.preprocessingConfiguration(in: missing)
    }
}

@Test func tokenizerFilesOfAFolderInOrderOfPreference() throws {
    let directory = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: directory) }
    func write(_ name: String) throws { try Data("x".utf8).write(to: directory.appendingPathComponent(name)) }
    func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    #expect(CLIPModelDirectory.tokenizerFiles(in: directory) == nil)
    guard case let .missingComponent(name, reason)? = modelError({ try CLIPModelDirectory.tokenizerSource(in: directory) })
    else {
        Issue.record("a folder without tokenizer files was accepted")
        return
    }
    #expect(name == "tokenizer" && reason.contains(directory.path) && reason.contains("vocab.json"))

    try write("bpe_simple_vocab_16e6.txt")
    #expect(CLIPModelDirectory.tokenizerFiles(in: directory) == .mergesFile(url("bpe_simple_vocab_16e6.txt")))
    try write("bpe_simple_vocab_16e6.txt.gz")
    #expect(CLIPModelDirectory.tokenizerFiles(in: directory) == .mergesFile(url("bpe_simple_vocab_16e6.txt.gz")))
    try write("vocab.json")   // without merges.txt it is not a pair
    try write("tokenizer.json")
    #expect(CLIPModelDirectory.tokenizerFiles(in: directory) == .tokenizerJSON(url("tokenizer.json")))
    try write("merges.txt")
    #expect(CLIPModelDirectory.tokenizerFiles(in: directory)
        == .vocabularyAndMerges(vocabulary: url("vocab.json"), merges: url("merges.txt")))
    #expect(try CLIPModelDirectory.tokenizerSource(in: directory)
        == .vocabularyAndMerges(vocabulary: url("vocab.json"), merges: url("merges.txt")))
    // The files are read when the vocabulary is: a bad one is a tokenizer error naming it.
    guard case let .tokenizer(error, _)? = modelError({ try CLIPModelDirectory.tokenizerFiles(in: directory)?.vocabulary() })
    else {
        Issue.record("a malformed vocabulary was accepted")
        return
    }
    #expect("\(error)".contains("vocab.json"))
}

@Test func theTokenizerRule() throws {
    let standard = try #require(CLIPPreset.architecture(named: "ViT-B/32")).text
    #expect(CLIPModelDirectory.tokenizerRule(files: nil, text: standard) == .standard)
    let files = TokenizerSource.tokenizerJSON(URL(fileURLWithPath: "/m/tokenizer.json"))
    #expect(CLIPModelDirectory.tokenizerRule(files: files, text: standard) == files)
    var small = standard
    small.vocabularySize = 1000
    #expect(CLIPModelDirectory.tokenizerRule(files: nil, text: small) == nil)
}
