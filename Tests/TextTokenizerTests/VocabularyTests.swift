import Foundation
import Testing
@testable import TextTokenizer

/// Loading vocabularies in every supported format, and rejecting malformed files.
@Suite struct VocabularyTests {
    @Test func bundledVocabularyIsTheStandardOne() throws {
        let vocabulary = try CLIPVocabulary.bundled()
        #expect(vocabulary.count == 49408)
        #expect(vocabulary.mergeCount == 48894)
        #expect(vocabulary.startOfTextID == 49406)
        #expect(vocabulary.endOfTextID == 49407)
        #expect(vocabulary.tokens[0] == "!")
        #expect(vocabulary.tokens[256] == "!</w>")
        #expect(vocabulary.tokens[512] == "in")
        #expect(vocabulary.id(for: "cat</w>") == 2368)
        #expect(vocabulary.tokens[49406] == "<start_of_text>")
    }

    private func subsetSamples() throws -> [(String, [Int])] {
        try jsonLines("vocab_subset/expected.jsonl").map { row in
            (try #require(row["text"] as? String), try #require(ints(row["ids"])))
        }
    }

    @Test func subsetVocabularyGivesTheSameIDsInEveryFormat() throws {
        let samples = try subsetSamples()
        #expect(samples.count >= 50)
        let gz = try fixtureURL("vocab_subset/bpe_subset.txt.gz")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The plain-text form of the same file.
        let plain = directory.appendingPathComponent("bpe_simple_vocab_16e6.txt")
        try Data(try Gzip.decompress([UInt8](try Data(contentsOf: gz)), path: gz.path)).write(to: plain)

        let vocabularies = [
            try CLIPVocabulary(bpeFile: gz),
            try CLIPVocabulary(bpeFile: plain),
            try CLIPVocabulary(vocabularyJSON: try fixtureURL("vocab_subset/hf/vocab.json"), merges: try fixtureURL("vocab_subset/hf/merges.txt")),
            try CLIPVocabulary(tokenizerJSON: try fixtureURL("vocab_subset/tokenizer.json")),
        ]
        for vocabulary in vocabularies {
            #expect(vocabulary.count == 2514)
            #expect(vocabulary.mergeCount == 2000)
            #expect(vocabulary.startOfTextID == 2512 && vocabulary.endOfTextID == 2513)
            let tokenizer = try CLIPTokenizer(vocabulary: vocabulary)
            for (text, ids) in samples {
                #expect(tokenizer.encode(text) == ids, "\(text)")
            }
        }
    }

    /// The full standard vocabulary written as Hugging Face files gives the bundled ids.
    @Test func fullVocabularyInHuggingFaceFormatsMatchesBundled() throws {
        let bundled = try CLIPVocabulary.bundled()
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var vocab: [String: Int] = [:]
        for (id, token) in bundled.tokens.enumerated() {
            vocab[token == "<start_of_text>" ? "<|startoftext|>" : token == "<end_of_text>" ? "<|endoftext|>" : token] = id
        }
        // Merges in rank order, recovered from the bundled file itself.
        let merges = try bundledMergeLines()
        #expect(merges.count == 48894)
        let vocabData = try JSONSerialization.data(withJSONObject: vocab)
        try vocabData.write(to: directory.appendingPathComponent("vocab.json"))
        try write("#version: 0.2\n" + merges.joined(separator: "\n") + "\n", to: directory.appendingPathComponent("merges.txt"))
        let pairStyle: [String: Any] = ["model": ["type": "BPE", "vocab": vocab, "end_of_word_suffix": "</w>",
                                                  "merges": merges.map { $0.split(separator: " ").map(String.init) }]]
        let textStyle: [String: Any] = ["model": ["type": "BPE", "vocab": vocab, "merges": merges],
                                        "added_tokens": [["id": 49406, "content": "<|startoftext|>"]]]
        let pairURL = directory.appendingPathComponent("pairs.json")
        let textURL = directory.appendingPathComponent("text.json")
        try JSONSerialization.data(withJSONObject: pairStyle).write(to: pairURL)
        try JSONSerialization.data(withJSONObject: textStyle).write(to: textURL)

        let reference = try CLIPTokenizer(vocabulary: bundled)
        let others = [
            try CLIPTokenizer(vocabulary: try CLIPVocabulary(
                vocabularyJSON: directory.appendingPathComponent("vocab.json"), merges: directory.appendingPathComponent("merges.txt"))),
            try CLIPTokenizer(vocabulary: try CLIPVocabulary(tokenizerJSON: pairURL)),
            try CLIPTokenizer(vocabulary: try CLIPVocabulary(tokenizerJSON: textURL)),
        ]
        let texts = try jsonLines("openclip_parity.jsonl").enumerated().filter { $0.offset % 5 == 0 }.compactMap { $0.element["text"] as? String }
        #expect(texts.count >= 400)
        for other in others {
            #expect(other.vocabulary.count == 49408)
            #expect(other.startOfTextID == 49406 && other.endOfTextID == 49407)
            for text in texts {
                #expect(other.tokenize(text) == reference.tokenize(text), "\(text)")
            }
        }
    }

    private func bundledMergeLines() throws -> [String] {
        let vocabulary = try CLIPVocabulary.bundled()
        // Token 512 + r is the result of merge r; recover its parts from the merge table.
        var lines = [String](repeating: "", count: vocabulary.mergeCount)
        for (key, value) in vocabulary.merges {
            let left = vocabulary.tokens[Int(key >> 32)], right = vocabulary.tokens[Int(key & 0xFFFF_FFFF)]
            lines[Int(value >> 32)] = left + " " + right
        }
        return lines
    }

    // MARK: - Malformed files

    private func expectError(_ expected: (TextTokenizerError) -> Bool, _ body: () throws -> Void,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected an error", sourceLocation: sourceLocation)
        } catch let error as TextTokenizerError {
            #expect(expected(error), "unexpected error: \(error)", sourceLocation: sourceLocation)
            #expect(!error.description.isEmpty, sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func malformedMergesAreRejected() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("bpe.txt")
        try write("#version: 0.2\ni n\nt h e\na n", to: url)
        expectError({ if case .malformedMerges(_, line: 3, _) = $0 { return true } else { return false } }) {
            _ = try CLIPVocabulary(bpeFile: url)
        }
        try write("#version: 0.2\ni n\n\na n", to: url)
        expectError({ if case .malformedMerges(_, line: 3, _) = $0 { return true } else { return false } }) {
            _ = try CLIPVocabulary(bpeFile: url)
        }
        try write("", to: url)
        expectError({ if case .malformedMerges = $0 { return true } else { return false } }) {
            _ = try CLIPVocabulary(bpeFile: url)
        }
        try Data([0x23, 0xFF, 0xFE, 0x0A]).write(to: url)
        expectError({ if case .malformedMerges(_, line: 1, _) = $0 { return true } else { return false } }) {
            _ = try CLIPVocabulary(bpeFile: url)
        }
        // A repeated merge result would give two tokens one string.
        try write("#version: 0.2\ni n\nin g\ni ng\nn g", to: url)
        expectError({ if case .malformedMerges = $0 { return true } else { return false } }) {
            _ = try CLIPVocabulary(bpeFile: url)
        }
        // Merge of a token that no earlier merge produced (Hugging Face files).
        let vocab = try fixtureURL("vocab_subset/hf/vocab.json")
        let merges = directory.appendingPathComponent("merges.txt")
        try write("#version: 0.2\ni n\nqq zz\n", to: merges)
        expectError({ if case .missingToken(_, "qq", _) = $0 { return true } else { return false } }) {
            _ = try CLIPVocabulary(vocabularyJSON: vocab, merges: merges)
        }
        try write("#version: 0.2\ni n\nin\n", to: merges)
        expectError({ if case .malformedMerges(_, line: 3, _) = $0 { return true } else { return false } }) {
            _ = try CLIPVocabulary(vocabularyJSON: vocab, merges: merges)
        }
    }

    @Test func malformedVocabularyJSONIsRejected() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let merges = directory.appendingPathComponent("merges.txt")
        try write("#version: 0.2\n", to: merges)
        let vocab = directory.appendingPathComponent("vocab.json")
        func load(_ json: String) throws {
            try write(json, to: vocab)
            _ = try CLIPVocabulary(vocabularyJSON: vocab, merges: merges)
        }
        let isMalformed: (TextTokenizerError) -> Bool = { if case .malformedVocabulary = $0 { return true } else { return false } }
        expectError(isMalformed) { try load("[1, 2, 3]") }
        expectError(isMalformed) { try load("{\"a\": \"zero\"}") }
        expectError(isMalformed) { try load("{\"a\": 0.5}") }
        expectError(isMalformed) { try load("{\"a\": 0, \"b\": 0}") }
        expectError(isMalformed) { try load("{\"a\": 7}") }
        expectError(isMalformed) { try load("{\"a\": -1}") }
        expectError(isMalformed) { try load("{\"a\": 0,") }
        expectError(isMalformed) { try load("{\"\\u4e00\": 0}") }
        // Well-formed but lacking the byte symbols.
        expectError({ if case .missingToken = $0 { return true } else { return false } }) { try load("{\"a\": 0}") }
        // Full byte alphabet but no special tokens.
        var alphabet: [String: Int] = [:]
        for scalar in ByteLevel.shared.scalarsInVocabularyOrder {
            let symbol = String(Character(Unicode.Scalar(scalar)!))
            alphabet[symbol] = alphabet.count
            alphabet[symbol + "</w>"] = alphabet.count
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: alphabet), as: UTF8.self)
        expectError({ if case .missingToken(_, "<|startoftext|>", _) = $0 { return true } else { return false } }) { try load(json) }
        // A missing file.
        expectError({ if case .unreadableFile = $0 { return true } else { return false } }) {
            _ = try CLIPVocabulary(vocabularyJSON: directory.appendingPathComponent("absent.json"), merges: merges)
        }
    }

    @Test func malformedTokenizerJSONIsRejected() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("tokenizer.json")
        func load(_ json: String) throws {
            try write(json, to: url)
            _ = try CLIPVocabulary(tokenizerJSON: url)
        }
        let isMalformed: (TextTokenizerError) -> Bool = { if case .malformedVocabulary = $0 { return true } else { return false } }
        expectError(isMalformed) { try load("{}") }
        expectError(isMalformed) { try load("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}, \"merges\": []}}") }
        expectError(isMalformed) { try load("{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": [], \"end_of_word_suffix\": \"@@\"}}") }
        expectError(isMalformed) { try load("{\"model\": {\"type\": \"BPE\", \"vocab\": [], \"merges\": []}}") }
        expectError(isMalformed) { try load("not json") }
        let subset = try String(contentsOf: try fixtureURL("vocab_subset/tokenizer.json"), encoding: .utf8)
        expectError({ if case .malformedMerges = $0 { return true } else { return false } }) {
            try load(subset.replacingOccurrences(of: "[\"i\",\"n\"]", with: "[\"i\",\"n\",\"x\"]"))
        }
        expectError({ if case .malformedMerges = $0 { return true } else { return false } }) {
            try load(subset.replacingOccurrences(of: "[\"i\",\"n\"]", with: "\"in\""))
        }
    }

    @Test func corruptGzipIsRejected() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var bytes = [UInt8](try Data(contentsOf: try fixtureURL("vocab_subset/bpe_subset.txt.gz")))
        let url = directory.appendingPathComponent("bpe.txt.gz")
        try Data(bytes.prefix(bytes.count / 2)).write(to: url)
        expectError({ if case .invalidCompressedData = $0 { return true } else { return false } }) {
            _ = try CLIPVocabulary(bpeFile: url)
        }
        bytes[bytes.count - 6] ^= 0xFF  // CRC mismatch
        try Data(bytes).write(to: url)
        expectError({ if case .invalidCompressedData = $0 { return true } else { return false } }) {
            _ = try CLIPVocabulary(bpeFile: url)
        }
        bytes[bytes.count - 6] ^= 0xFF
        bytes[100] ^= 0xFF  // invalid deflate data
        try Data(bytes).write(to: url)
        expectError({ if case .invalidCompressedData = $0 { return true } else { return false } }) {
            _ = try CLIPVocabulary(bpeFile: url)
        }
        try Data([0x1F, 0x8B, 0x08, 0x00]).write(to: url)
        expectError({ if case .invalidCompressedData = $0 { return true } else { return false } }) {
            _ = try CLIPVocabulary(bpeFile: url)
        }
    }
}
