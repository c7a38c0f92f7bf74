import Foundation
import Testing
@testable import TextTokenizer

/// Hand-made protobuf bytes.
enum Proto {
    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value != 0
        return bytes
    }
    static func key(_ field: Int, _ wireType: UInt8) -> [UInt8] { varint(UInt64(field) << 3 | UInt64(wireType)) }
    static func message(_ field: Int, _ payload: [UInt8]) -> [UInt8] { key(field, 2) + varint(UInt64(payload.count)) + payload }
    static func int(_ field: Int, _ value: Int) -> [UInt8] { key(field, 0) + varint(UInt64(bitPattern: Int64(value))) }
    static func float(_ field: Int, _ value: Float) -> [UInt8] {
        let bits = value.bitPattern
        return key(field, 5) + (0..<4).map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) }
    }
    /// A `pieces` entry of ModelProto.
    static func piece(_ text: String, score: Float = -1, type: Int = 1) -> [UInt8] {
        message(1, message(1, Array(text.utf8)) + float(2, score) + int(3, type))
    }
    /// A valid three-piece unigram model: <unk>, ▁, a.
    static let minimal: [UInt8] = piece("<unk>", score: 0, type: 2) + piece("\u{2581}", score: -2) + piece("a", score: -3)
}

@Suite struct SentencePieceMalformedTests {
    /// Loads `bytes`, expecting a malformed-model error at `offset` whose reason contains `reason`.
    func expectMalformed(_ bytes: [UInt8], offset: Int, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try SentencePieceModel(data: Data(bytes), path: "bad.model")
            Issue.record("loaded although malformed (\(reason))", sourceLocation: sourceLocation)
        } catch let TextTokenizerError.malformedSentencePieceModel(path, errorOffset, errorReason) {
            #expect(path == "bad.model", sourceLocation: sourceLocation)
            #expect(errorOffset == offset, "\(errorReason)", sourceLocation: sourceLocation)
            #expect(errorReason.contains(reason), "\(errorReason)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func minimalModelLoadsAndEncodes() throws {
        let model = try SentencePieceModel(data: Data(Proto.minimal + Proto.int(99, 7) + Proto.message(98, [1, 2, 3])), path: "ok.model")
        #expect(model.pieces.count == 3 && model.unknownID == 0)
        #expect(model.encode("a b") == [1, 2, 1, 0])
        #expect(model.encodeAsPieces("aa xy") == ["\u{2581}", "a", "a", "\u{2581}", "xy"])
        #expect(try model.decode([1, 2, 2, 1, 0]) == "aa  \u{2047} ")
    }

    @Test func wireFormatErrorsNameTheirOffset() {
        expectMalformed([], offset: 0, "no pieces")
        expectMalformed([0x0A, 0x80], offset: 1, "truncated varint")
        expectMalformed(Proto.minimal + [0x0A, 0x05, 0x01], offset: Proto.minimal.count + 1, "runs past the end")
        expectMalformed([0x08, 0x01], offset: 0, "field pieces has wire type 0, expected 2")
        expectMalformed([0x0B], offset: 0, "unsupported wire type 3")
        expectMalformed(Proto.minimal + Array(repeating: 0xFF, count: 10) + [0x01], offset: Proto.minimal.count, "varint longer")
        expectMalformed(Proto.minimal + [0x00], offset: Proto.minimal.count, "invalid field number 0")
        // A piece whose score is a varint, not a fixed32: the offset is that of the score key.
        let badScore = Proto.message(1, Proto.message(1, Array("b".utf8)) + Proto.int(2, 1))
        expectMalformed(Proto.minimal + badScore, offset: Proto.minimal.count + 5, "SentencePiece.score has wire type 0")
        // A nested length running past its message (but not past the file).
        let nested = Proto.key(1, 2) + [4] + Proto.key(1, 2) + [9, 0x61, 0x61] + Proto.minimal
        expectMalformed(nested, offset: 3, "runs past the end of the enclosing message")
        expectMalformed(Proto.minimal + Proto.message(2, Proto.key(40, 0) + [0x80]), offset: Proto.minimal.count + 4, "truncated varint")
        let nan = Proto.message(1, Proto.message(1, Array("b".utf8)) + Proto.float(2, .nan))
        expectMalformed(Proto.minimal + nan, offset: Proto.minimal.count + 5, "not finite")
        let badUTF8 = Proto.message(1, Proto.message(1, [0xC3, 0x28]))
        expectMalformed(Proto.minimal + badUTF8, offset: Proto.minimal.count + 2, "not valid UTF-8")
    }

    @Test func vocabularyErrorsNameTheirOffset() {
        let count = Proto.minimal.count
        expectMalformed(Proto.minimal + Proto.piece("a"), offset: count, "is already defined")
        expectMalformed(Proto.piece("a") + Proto.piece("b"), offset: Proto.piece("a").count * 2, "no unknown piece")
        expectMalformed(Proto.minimal + Proto.piece("<u2>", type: 2), offset: count, "second unknown piece")
        expectMalformed(Proto.minimal + Proto.piece("", type: 1), offset: count, "is empty")
        expectMalformed(Proto.minimal + Proto.piece("c", type: 9), offset: count + 10, "unknown SentencePiece.type 9")
        expectMalformed(Proto.minimal + Proto.piece("<0x41>", type: 6), offset: count, "byte_fallback is false")
        let trainer = Proto.message(2, Proto.int(40, 7))
        expectMalformed(Proto.minimal + trainer, offset: count, "trainer_spec.unk_id 7 is outside")
        expectMalformed(Proto.minimal + Proto.message(2, Proto.int(43, -5)), offset: count, "trainer_spec.pad_id -5")
        expectMalformed(Proto.minimal + Proto.message(2, Proto.int(40, 1)), offset: count, "is not the unknown piece")
        expectMalformed(Proto.minimal + Proto.message(2, Proto.int(35, 1)), offset: count + Proto.message(2, Proto.int(35, 1)).count,
                        "lacks some of the 256 byte pieces")
        expectMalformed(Proto.minimal + Proto.message(2, Proto.int(3, 7)), offset: count + 2, "unknown trainer_spec.model_type 7")
        // Charsmap: 4-byte trie size larger than the blob, and a size that is not a multiple of 4.
        let charsmapStart = count + 4
        expectMalformed(Proto.minimal + Proto.message(3, Proto.message(2, [0xFF, 0, 0, 0, 1])), offset: charsmapStart, "exceeds")
        expectMalformed(Proto.minimal + Proto.message(3, Proto.message(2, [3, 0, 0, 0, 1, 2, 3, 4])), offset: charsmapStart, "multiple of 4")
        expectMalformed(Proto.minimal + Proto.message(3, Proto.message(2, [1, 0])), offset: charsmapStart, "too short")
    }

    @Test func unimplementedModelTypesAreUnsupported() {
        for (type, name) in [(2, "bpe"), (3, "word"), (4, "character")] {
            #expect(throws: TextTokenizerError.unsupportedTokenizer(
                path: "x.model", reason: "SentencePiece model type \(name) (only unigram models are implemented)")) {
                try SentencePieceModel(data: Data(Proto.minimal + Proto.message(2, Proto.int(3, type))), path: "x.model")
            }
        }
        #expect(throws: TextTokenizerError.unsupportedTokenizer(path: "x.model", reason: "treat_whitespace_as_suffix is not implemented")) {
            try SentencePieceModel(data: Data(Proto.minimal + Proto.message(2, Proto.int(24, 1))), path: "x.model")
        }
    }

    @Test func unreadableFile() {
        let url = URL(fileURLWithPath: "/nonexistent/spiece.model")
        #expect {
            try SentencePieceModel(contentsOf: url)
        } throws: { error in
            guard case let TextTokenizerError.unreadableFile(path, _) = error else { return false }
            return path == url.path
        }
    }

    /// Flipped, deleted, inserted and truncated bytes of the fixture model: each load either
    /// succeeds (and then tokenizes) or throws a TextTokenizerError.
    @Test func mutatedModelsLoadOrThrow() throws {
        let original = [UInt8](try Data(contentsOf: try siglipFixtureURL("spiece.model")))
        var rng = SplitMix64(seed: 0x5167_4C49)
        var loaded = 0
        var failed = 0
        let iterations = 2000
        for iteration in 0..<iterations {
            var bytes = original
            let mutations = 1 + Int(rng.next() % 4)
            for _ in 0..<mutations {
                // Half the mutations hit the first 40 KB (pieces, specs), the rest anywhere.
                let span = rng.next() % 2 == 0 ? min(bytes.count, 40_000) : bytes.count
                guard span > 0 else { break }
                let position = Int(rng.next() % UInt64(span))
                switch rng.next() % 5 {
                case 0: bytes[position] ^= UInt8(1 << (rng.next() % 8))
                case 1: bytes[position] = UInt8(truncatingIfNeeded: rng.next())
                case 2: bytes.remove(at: position)
                case 3: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: position)
                default: bytes.removeSubrange(position...)
                }
            }
            do {
                let model = try SentencePieceModel(data: Data(bytes), path: "mutant-\(iteration)")
                loaded += 1
                if loaded % 20 == 1 {
                    for text in ["a photo of a cat", "東京 😀 café", "  x\t\u{2581}y  ", ""] {
                        let ids = model.encode(text)
                        #expect(ids.allSatisfy { $0 >= 0 && $0 < model.pieces.count })
                        _ = try? model.decode(ids)
                        _ = model.normalize(text)
                    }
                    if let tokenizer = try? SiglipTokenizer(model: model) {
                        #expect(tokenizer.tokenize("A photo of a </s> dog!").count == 64)
                    }
                }
            } catch is TextTokenizerError {
                failed += 1
            }
        }
        #expect(loaded + failed == iterations)
        #expect(loaded > 0 && failed > 0, "loaded \(loaded), failed \(failed)")
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
