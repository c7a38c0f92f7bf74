import Foundation
import Testing
@testable import TextTokenizer

/// The fixture folder of the SigLIP SentencePiece tokenizer (Scripts/make_siglip_tokenizer_fixtures.py).
func siglipFixtureURL(_ name: String) throws -> URL {
    try fixtureURL("siglip-spiece").appendingPathComponent(name)
}

/// Objects of a (gzip-compressed when the name ends in .gz) JSON Lines fixture of siglip-spiece.
func siglipJSONLines(_ name: String) throws -> [[String: Any]] {
    var bytes = [UInt8](try Data(contentsOf: try siglipFixtureURL(name)))
    if name.hasSuffix(".gz") { bytes = try Gzip.decompress(bytes, path: name) }
    return try String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}

/// The fixture model and tokenizer, loaded once.
let sharedSiglipModel: SentencePieceModel? = try? SentencePieceModel(contentsOf: try siglipFixtureURL("spiece.model"))
let sharedSiglipTokenizer: SiglipTokenizer? = try? SiglipTokenizer(
    modelURL: try siglipFixtureURL("spiece.model"), settingsURL: try siglipFixtureURL("tokenizer_config.json"))

func siglipTokenizer() throws -> SiglipTokenizer { try #require(sharedSiglipTokenizer) }
func siglipModel() throws -> SentencePieceModel { try #require(sharedSiglipModel) }

/// Parity with transformers 5.24's SiglipTokenizer on the fixture model.
@Suite struct SentencePieceParityTests {
    @Test func everyFixtureLineGivesTransformersIDs() throws {
        let tokenizer = try siglipTokenizer()
        let rows = try siglipJSONLines("parity.jsonl.gz")
        #expect(rows.count >= 2000)
        var encodeMismatches: [String] = []
        var paddedMismatches: [String] = []
        for row in rows {
            let text = try #require(row["text"] as? String)
            let ids = try #require(ints(row["ids"]))
            let got = tokenizer.encode(text)
            if got != ids {
                encodeMismatches.append("\(text.debugDescription): expected \(ids), got \(got)")
            }
            // input_ids is stored only where it differs from ids[:63] + </s> (not doubled) + padding.
            var expected = ints(row["input_ids"]) ?? Array(ids.prefix(63))
            if row["input_ids"] == nil {
                if expected.last != 1 { expected.append(1) }
                expected += Array(repeating: 1, count: 64 - expected.count)
            }
            let padded = tokenizer.tokenize(text)
            if padded != expected {
                paddedMismatches.append("\(text.debugDescription): expected \(expected), got \(padded)")
            }
        }
        #expect(encodeMismatches.isEmpty, "\(encodeMismatches.count) of \(rows.count) lines differ:\n\(encodeMismatches.prefix(10).joined(separator: "\n"))")
        #expect(paddedMismatches.isEmpty, "\(paddedMismatches.count) of \(rows.count) padded rows differ:\n\(paddedMismatches.prefix(10).joined(separator: "\n"))")
    }

    @Test func normalizerMatchesSentencePiece() throws {
        let model = try siglipModel()
        let rows = try siglipJSONLines("normalize.jsonl.gz")
        #expect(rows.count >= 400)
        var mismatches: [String] = []
        for row in rows {
            let text = try #require(row["text"] as? String)
            let expected = try #require(row["normalized"] as? String)
            let got = model.normalize(text)
            if !sameScalars(got, expected) { mismatches.append("\(text.debugDescription): \(expected.debugDescription) vs \(got.debugDescription)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }

    @Test func decodeMatchesTransformers() throws {
        let tokenizer = try siglipTokenizer()
        let rows = try siglipJSONLines("decode.jsonl")
        #expect(rows.count >= 100)
        var mismatches: [String] = []
        for row in rows {
            let ids = try #require(ints(row["ids"]))
            let expected = try #require(row["text"] as? String)
            let got = try tokenizer.decode(ids)
            if !sameScalars(got, expected) { mismatches.append("\(ids): \(expected.debugDescription) vs \(got.debugDescription)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
        #expect(throws: TextTokenizerError.unknownTokenID(3000)) { try tokenizer.decode([5, 3000]) }
        #expect(throws: TextTokenizerError.unknownTokenID(-1)) { try tokenizer.decode([-1]) }
    }

    @Test func shapesAndSpecialIDs() throws {
        let tokenizer = try siglipTokenizer()
        #expect(tokenizer.contextLength == 64)
        #expect(tokenizer.endOfSequenceID == 1 && tokenizer.paddingID == 1 && tokenizer.unknownID == 2)
        #expect(tokenizer.tokenize("").count == 64)
        #expect(tokenizer.tokenize("") == Array(repeating: 1, count: 64))
        let long = String(repeating: "a photo of a cat ", count: 40)
        let row = tokenizer.tokenize(long)
        #expect(row.count == 64 && row.last == 1 && row[62] != 1)
        let short = try tokenizer.tokenize(long, contextLength: 8)
        #expect(short.count == 8 && short.last == 1 && Array(short.prefix(7)) == Array(tokenizer.encode(long).prefix(7)))
        #expect(throws: TextTokenizerError.invalidContextLength(0)) { try tokenizer.tokenize("a", contextLength: 0) }
        #expect(tokenizer.tokenize(["a", "b"]).map(\.count) == [64, 64])
        let model = try siglipModel()
        #expect(model.pieces.count == 3000)
        #expect(model.pieces[0] == SentencePieceModel.Piece(text: "<pad>", score: 0, type: .control))
        #expect(model.pieces[1].text == "</s>" && model.pieces[2].type == .unknown)
        #expect(model.trainerSpec.modelType == .unigram && model.trainerSpec.paddingID == 0 && model.trainerSpec.beginningOfSentenceID == -1)
        #expect(model.normalizerSpec.name == "nmt_nfkc" && model.normalizerSpec.addDummyPrefix)
    }
}
