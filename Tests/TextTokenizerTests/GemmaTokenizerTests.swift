import Foundation
import Testing
@testable import TextTokenizer

/// The siglip2-gemma fixture folder's files.
enum GemmaFixture {
    static func url(_ name: String) throws -> URL { try fixtureURL("siglip2-gemma/" + name) }

    static func data(_ name: String) throws -> Data { try Data(contentsOf: try url(name)) }

    static func settings() throws -> GemmaTokenizerSettings {
        try GemmaTokenizerSettings(data: try data("tokenizer_config.json"), path: "tokenizer_config.json")
    }

    static func tokenizer(lowercases: Bool = false) throws -> GemmaTokenizer {
        try GemmaTokenizer(tokenizerJSON: try url("tokenizer.json"), settings: try settings(), lowercases: lowercases)
    }

    /// Objects of a gzip-compressed JSON Lines fixture.
    static func gzipLines(_ name: String) throws -> [[String: Any]] {
        let bytes = try Gzip.decompress(Array(try data(name)), path: name)
        return try String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    /// `ids` padded back to 64 with <pad> (0), as the fixture stores them trimmed.
    static func padded(_ ids: [Int]) -> [Int] { ids + [Int](repeating: 0, count: max(0, 64 - ids.count)) }
}

@Suite struct GemmaTokenizerParityTests {
    @Test func everyFixtureLineMatchesTransformers() throws {
        let tokenizer = try GemmaFixture.tokenizer()
        let lowercasing = try GemmaFixture.tokenizer(lowercases: true)
        let lines = try GemmaFixture.gzipLines("parity.jsonl.gz")
        #expect(lines.count >= 2_000)
        var matches = 0, lowerMatches = 0, decodeChecks = 0
        for (index, line) in lines.enumerated() {
            let text = try #require(line["text"] as? String)
            let expected = GemmaFixture.padded(try #require(ints(line["ids"])))
            let got = tokenizer.tokenize(text)
            if got == expected { matches += 1 } else {
                Issue.record("line \(index + 1) \(text.debugDescription): expected \(expected), got \(got)")
            }
            let expectedLower = ints(line["lower"]).map(GemmaFixture.padded) ?? expected
            let gotLower = lowercasing.tokenize(text)
            if gotLower == expectedLower { lowerMatches += 1 } else {
                Issue.record("line \(index + 1) lowercased \(text.debugDescription): expected \(expectedLower), got \(gotLower)")
            }
            let plain = tokenizer.encode(text)
            if let encode = ints(line["encode"]) {
                #expect(plain == encode, "encode, line \(index + 1) \(text.debugDescription)")
            } else {
                #expect(plain + [1] == Array(expected.prefix(plain.count + 1)), "encode, line \(index + 1)")
            }
            if let decoded = line["decoded"] as? String {
                decodeChecks += 1
                let ours = try tokenizer.decode(got)
                #expect(sameScalars(ours, decoded), "decode, line \(index + 1): \(decoded.debugDescription) vs \(ours.debugDescription)")
            }
        }
        #expect(matches == lines.count)
        #expect(lowerMatches == lines.count)
        #expect(decodeChecks > 400)
    }

    @Test func postProcessorOfTheFileDecidesTheSpecialTokens() throws {
        let original = String(decoding: try GemmaFixture.data("tokenizer.json"), as: UTF8.self)
        let eosTemplate = #""post_processor":{"type":"TemplateProcessing","single":[{"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"<eos>","type_id":0}}]"#
        #expect(original.contains(eosTemplate))
        let start = try #require(original.range(of: #""post_processor":"#))
        let end = try #require(original.range(of: #","decoder":"#, range: start.upperBound..<original.endIndex))
        for variant in try GemmaFixture.gzipLines("post_processors.jsonl.gz") {
            let name = try #require(variant["variant"] as? String)
            let replacement = try #require(variant["post_processor"] as? String)
            let json = original.replacingCharacters(in: start.upperBound..<end.lowerBound, with: replacement)
            let tokenizer = try GemmaTokenizer(tokenizerJSONData: Data(json.utf8), path: name, settings: try GemmaFixture.settings())
            let texts = try #require(variant["texts"] as? [String])
            let rows = try #require(variant["ids"] as? [[Int]])
            #expect(texts.count == rows.count && texts.count > 50)
            for (text, ids) in zip(texts, rows) {
                #expect(tokenizer.tokenize(text) == GemmaFixture.padded(ids), "\(name): \(text.debugDescription)")
            }
        }
    }

    @Test func decodeMatchesTransformersForRandomIDs() throws {
        let tokenizer = try GemmaFixture.tokenizer()
        let data = try GemmaFixture.data("decode.jsonl")
        var count = 0
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let ids = try #require(ints(object["ids"]))
            let expected = try #require(object["decoded"] as? String)
            let got = try tokenizer.decode(ids)
            #expect(sameScalars(got, expected), "\(ids): \(expected.debugDescription) vs \(got.debugDescription)")
            count += 1
        }
        #expect(count == 300)
        #expect(throws: TextTokenizerError.unknownTokenID(3000)) { try tokenizer.decode([5, 3000]) }
        #expect(throws: TextTokenizerError.unknownTokenID(-1)) { try tokenizer.decode([-1]) }
    }

    @Test func shapeSpecialTokensAndContextLengths() throws {
        let tokenizer = try GemmaFixture.tokenizer()
        #expect(tokenizer.contextLength == 64)
        #expect(tokenizer.vocabularySize == 3000)
        #expect(tokenizer.padTokenID == 0)
        #expect(tokenizer.prefixTokenIDs == [] && tokenizer.suffixTokenIDs == [1])
        #expect(tokenizer.paddingSide == .right && tokenizer.truncationSide == .right)
        #expect(tokenizer.id(of: "<bos>") == 2 && tokenizer.id(of: "<0x41>") == 72 && tokenizer.token(of: 1) == "<eos>")
        #expect(tokenizer.tokenize("") == [1] + [Int](repeating: 0, count: 63))
        #expect(tokenizer.encode("<bos>") == [2])
        let short = try tokenizer.tokenize("a photo of a cat", contextLength: 3)
        #expect(short.count == 3 && short.last == 1)
        #expect(try tokenizer.tokenize("", contextLength: 1) == [1])
        #expect(throws: TextTokenizerError.invalidContextLength(0)) { try tokenizer.tokenize("a", contextLength: 0) }
        #expect(tokenizer.tokenize(["a", "b"]).count == 2)
    }
}
