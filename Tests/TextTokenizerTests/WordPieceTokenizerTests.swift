import Foundation
import Testing
@testable import TextTokenizer

/// The wordpiece fixture folder (Scripts/make_wordpiece_fixtures.py).
enum WordPieceFixture {
    struct Row: Sendable {
        let category: String
        let text: String
        /// transformers' `tokenizer(text)["input_ids"]`: [CLS] ... [SEP], untruncated.
        let ids: [Int]
        /// The same padded and truncated to 32.
        let row32: [Int]
        /// open_clip's whitespace cleaning of the text.
        let clean: String
        /// open_clip's HFTokenizer row (context 32, strip_sep_token).
        let openCLIP: [Int]
        /// The same with context_length=8.
        let openCLIP8: [Int]
    }

    static let categories = ["hard", "bert", "bert-random"]
    /// The number of rows of each category (the hard corpus, BERT's cases, random mixtures).
    static let counts = ["hard": 3099, "bert": 206, "bert-random": 396]

    static func vocabularyURL() throws -> URL { try fixtureURL("wordpiece/vocab.txt") }

    /// The rows of `parity.jsonl.gz`, read once (nil if the file cannot be read: `rows` reads it
    /// again to report why).
    static let allRows: [Row]? = try? readRows()

    static func rows(_ category: String? = nil) throws -> [Row] {
        let rows = try allRows ?? readRows()
        guard let category else { return rows }
        return rows.filter { $0.category == category }
    }

    private static func readRows() throws -> [Row] {
        let url = try fixtureURL("wordpiece/parity.jsonl.gz")
        let bytes = try Gzip.decompress(Array(try Data(contentsOf: url)), path: url.path)
        return try String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return Row(category: try #require(object["category"] as? String), text: try #require(object["text"] as? String),
                       ids: try #require(ints(object["ids"])), row32: try #require(ints(object["row32"])),
                       clean: try #require(object["clean"] as? String), openCLIP: try #require(ints(object["openclip"])),
                       openCLIP8: try #require(ints(object["openclip8"])))
        }
    }

    static let sharedTokenizer: Result<WordPieceTokenizer, TextTokenizerError> = Result {
        () throws(TextTokenizerError) -> WordPieceTokenizer in
        let url: URL
        do { url = try vocabularyURL() } catch { throw .unreadableFile(path: "wordpiece/vocab.txt", reason: "\(error)") }
        return try WordPieceTokenizer(vocabularyAt: url)
    }

    static func tokenizer() throws -> WordPieceTokenizer { try sharedTokenizer.get() }
}

/// transformers 5.24's BertTokenizer and open_clip 3.3.0's HFTokenizer (CLIPA's configuration) on
/// the hard corpus, with the fixture vocabulary.
@Suite struct WordPieceParityTests {
    @Test func fixtureVocabularyLoads() throws {
        let tokenizer = try WordPieceFixture.tokenizer()
        #expect(tokenizer.vocabularySize == 3026)
        #expect(tokenizer.padTokenID == 0)
        #expect(tokenizer.unknownTokenID == 11)
        #expect(tokenizer.classifierTokenID == 12)
        #expect(tokenizer.separatorTokenID == 13)
        #expect(tokenizer.maskTokenID == 14)
        #expect(tokenizer.contextLength == 32)
        #expect(tokenizer.token(of: 0) == "[PAD]")
        #expect(tokenizer.id(of: "[unused3]") == 4)
        #expect(try WordPieceFixture.rows().count == 3701)
    }

    /// `encode` and `tokenize` (32 ids) against transformers' ids, per category of the corpus.
    @Test(arguments: WordPieceFixture.categories)
    func idsMatchTransformers(category: String) throws {
        let tokenizer = try WordPieceFixture.tokenizer()
        let rows = try WordPieceFixture.rows(category)
        #expect(rows.count == WordPieceFixture.counts[category])
        var mismatches = 0
        for (index, row) in rows.enumerated() {
            let encoded = tokenizer.encode(row.text)
            let full = [tokenizer.classifierTokenID] + encoded + [tokenizer.separatorTokenID]
            let padded = tokenizer.tokenize(row.text)
            if full != row.ids || padded != row.row32 {
                mismatches += 1
                if mismatches <= 10 {
                    Issue.record("""
                        \(category) row \(index + 1) \(row.text.unicodeScalars.map { String($0.value, radix: 16) }.prefix(40)):
                          expected \(row.ids)
                          got      \(full)
                        """)
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(rows.count) \(category) rows differ")
    }

    /// open_clip's `HFTokenizer(..., context_length=32, strip_sep_token=True)` rows, and the same
    /// at context length 8 (a tokenizer made for 8, and `tokenize(_:contextLength:)`).
    @Test(arguments: WordPieceFixture.categories)
    func openCLIPRowsMatch(category: String) throws {
        let url = try WordPieceFixture.vocabularyURL()
        let openCLIP = try OpenCLIPHFTokenizer(wordPieceVocabulary: url)
        let short = try OpenCLIPHFTokenizer(wordPieceVocabulary: url, contextLength: 8)
        #expect(openCLIP.contextLength == 32 && short.contextLength == 8)
        #expect(openCLIP.strippedTokenID == 13 && openCLIP.cleaning == .whitespace)
        let rows = try WordPieceFixture.rows(category)
        var mismatches = 0
        for (index, row) in rows.enumerated() {
            let ids = openCLIP.tokenize(row.text)
            let ids8 = short.tokenize(row.text)
            let called8 = try openCLIP.tokenize(row.text, contextLength: 8)
            let clean = openCLIP.clean(row.text)
            if ids != row.openCLIP || ids8 != row.openCLIP8 || called8 != row.openCLIP8 || !sameScalars(clean, row.clean) {
                mismatches += 1
                if mismatches <= 10 {
                    Issue.record("""
                        \(category) row \(index + 1) \(row.text.debugDescription.prefix(120)) (clean \(row.clean.debugDescription.prefix(120))):
                          expected \(row.openCLIP) / \(row.openCLIP8)
                          got      \(ids) / \(ids8) / \(called8) (clean \(clean.debugDescription.prefix(120)))
                        """)
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(rows.count) \(category) rows differ")
    }

    @Test func decodeMatchesTransformers() throws {
        let tokenizer = try WordPieceFixture.tokenizer()
        let rows = try jsonLines("wordpiece/decode.jsonl")
        #expect(rows.count > 600)
        var mismatches: [String] = []
        for row in rows {
            let ids = try #require(ints(row["ids"]))
            let expected = try #require(row["text"] as? String)
            let got = try tokenizer.decode(ids)
            if !sameScalars(got, expected) {
                mismatches.append("\(ids): expected \(expected.debugDescription), got \(got.debugDescription)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(rows.count) differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }

    @Test func everyParityRowHasTheContextLength() throws {
        let tokenizer = try WordPieceFixture.tokenizer()
        for row in try WordPieceFixture.rows("bert") {
            #expect(tokenizer.tokenize(row.text).count == 32)
            #expect(try tokenizer.tokenize(row.text, contextLength: 2) == [12, 13])
        }
    }
}

/// Hand-made vocabulary, ids checked against transformers 5.24 (`BertTokenizer.from_pretrained`)
/// and open_clip's HFTokenizer with context length 8 and `strip_sep_token`.
@Suite struct WordPieceBehaviourTests {
    static let tokens = ["[PAD]", "[unused0]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "##b", "un", "##aff", "##able",
                         "cafe", "uber", "naive", "##s", ".", ",", "!", "中", "文", "x", "##x", "hello", "world", "'", "s",
                         "[", "]", "sep", "##a", "ab", "abc", "##c", "aff"]

    static func tokenizer(contextLength: Int = 8) throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabularyData: Data(tokens.map { $0 + "\n" }.joined().utf8), path: "vocab.txt",
                               contextLength: contextLength)
    }

    @Test func greedyLongestMatchFirst() throws {
        let t = try Self.tokenizer()
        #expect(t.encode("unaffable") == [9, 10, 11])
        #expect(t.tokens(of: "unaffable") == ["un", "##aff", "##able"])
        #expect(t.encode("abc") == [32])          // the longest first piece, not "ab" + "##c"
        #expect(t.encode("abcb") == [32, 8])
        #expect(t.encode("abb") == [31, 8])
        #expect(t.encode("aba") == [31, 30])
        #expect(t.encode("a b a b") == [6, 7, 6, 7])
    }

    @Test func unknownPiecesMakeTheWholeWordUnknown() throws {
        let t = try Self.tokenizer()
        #expect(t.encode("abd") == [2])           // "ab" matches, "##d" does not: one [UNK]
        #expect(t.encode("ab-c") == [31, 2, 2])   // "-" has no token; "c" has only "##c"
        #expect(t.encode("😀") == [2])
        #expect(t.encode("😀 a") == [2, 6])
        #expect(t.encode("e\u{301}") == [2])       // "e" is not in this vocabulary
        // NUL and U+200B are dropped, so "hello" and "world" join into one unknown word.
        #expect(t.encode("hello\u{0}world\u{200B}") == [2])
    }

    @Test func wordsLongerThanOneHundredCharactersAreUnknown() throws {
        let t = try Self.tokenizer()
        let hundred = t.encode(String(repeating: "x", count: 100))
        #expect(hundred == [21] + [Int](repeating: 22, count: 99))
        #expect(t.encode(String(repeating: "x", count: 101)) == [2])
        // Counted after normalization: 100 "é" are 100 "e"-like scalars once the marks go.
        #expect(t.encode(String(repeating: "X\u{301}", count: 100)) == hundred)
        #expect(t.tokenize(String(repeating: "x", count: 100)) == [3, 21, 22, 22, 22, 22, 22, 4])
    }

    @Test func normalization() throws {
        let t = try Self.tokenizer()
        #expect(t.encode("Café Über naïve") == [12, 13, 14])
        #expect(t.encode("CAFES!") == [12, 15, 18])
        #expect(t.encode("hello, world.") == [23, 17, 24, 16])
        #expect(t.encode("hello's") == [23, 25, 26])
        #expect(t.encode("中文") == [19, 20])
        #expect(t.encode("中x文") == [19, 21, 20])  // ideographs are words of their own
        #expect(t.encode("hello\u{A0}world\tx") == [23, 24, 21])
        #expect(t.encode("\u{301}x") == [21])
        #expect(t.encode("") == [] && t.encode("   ") == [])
    }

    @Test func specialTokenNamesInTheText() throws {
        let t = try Self.tokenizer()
        #expect(t.encode("hello [SEP] world") == [23, 4, 24])
        #expect(t.encode("hello[SEP]world") == [23, 4, 24])
        #expect(t.encode("hello [sep] world") == [23, 27, 29, 28, 24])  // lowercase: ordinary text
        #expect(t.encode("[MASK] a [PAD]") == [5, 6, 0])
    }

    @Test func rowsTruncateAndPad() throws {
        let t = try Self.tokenizer()
        #expect(t.tokenize("") == [3, 4, 0, 0, 0, 0, 0, 0])
        #expect(t.tokenize("unaffable") == [3, 9, 10, 11, 4, 0, 0, 0])
        #expect(t.tokenize("a b a b a b a b a b") == [3, 6, 7, 6, 7, 6, 7, 4])  // [SEP] kept at the end
        #expect(try t.tokenize("a b a", contextLength: 2) == [3, 4])
        #expect(try t.tokenize("a b a", contextLength: 4) == [3, 6, 7, 4])
        #expect(try t.tokenize("a", contextLength: 3) == [3, 6, 4])
        for length in [0, 1, -5, paddedContextLengthLimit + 1] {
            #expect(throws: TextTokenizerError.invalidContextLength(length)) { try t.tokenize("a", contextLength: length) }
            #expect(throws: TextTokenizerError.invalidContextLength(length)) { try Self.tokenizer(contextLength: length) }
        }
    }

    @Test func openCLIPStripsTheSeparator() throws {
        let base = try Self.tokenizer()
        let t = OpenCLIPHFTokenizer(base: base, cleaning: .whitespace, strippedTokenID: base.separatorTokenID)
        #expect(t.tokenize("hello [SEP] world") == [3, 23, 0, 24, 0, 0, 0, 0])
        #expect(t.tokenize("a b a b a b a b a b") == [3, 6, 7, 6, 7, 6, 7, 0])
        #expect(t.tokenize("") == [3, 0, 0, 0, 0, 0, 0, 0])
        #expect(t.tokenize("Fish &amp; Chips") == base.tokenize(OpenCLIPTextCleaning.whitespace.clean("Fish &amp; Chips")).map { $0 == 4 ? 0 : $0 })
        #expect(t.encode("hello [SEP]") == [23, 4])  // encode is not a row: nothing stripped
        let kept = OpenCLIPHFTokenizer(base: base, cleaning: .whitespace)
        #expect(kept.strippedTokenID == nil)
        #expect(kept.tokenize("hello") == [3, 23, 4, 0, 0, 0, 0, 0])
        #expect(try t.tokenize("a a a", contextLength: 4) == [3, 6, 6, 0])
    }

    @Test func decode() throws {
        let t = try Self.tokenizer()
        #expect(try t.decode([3, 9, 10, 11, 16, 4, 0]) == "[CLS] unaffable. [SEP] [PAD]")
        #expect(try t.decode([25, 26]) == "' s")
        #expect(try t.decode([8, 6]) == "##b a")   // the first token keeps its ##
        #expect(try t.decode([]) == "")
        #expect(throws: TextTokenizerError.unknownTokenID(35)) { try t.decode([6, 35]) }
        #expect(throws: TextTokenizerError.unknownTokenID(-1)) { try t.decode([-1]) }
    }

    @Test func vocabularyWithoutMask() throws {
        let tokens = Self.tokens.filter { $0 != "[MASK]" }
        let t = try WordPieceTokenizer(vocabularyData: Data(tokens.joined(separator: "\n").utf8), path: "v.txt")
        #expect(t.maskTokenID == nil)
        #expect(t.vocabularySize == Self.tokens.count - 1)
        // "[MASK]" is ordinary text then: "[", "mask" (unknown), "]".
        #expect(t.encode("[MASK]") == [26, 2, 27])
    }

    @Test func randomTextNeverLeavesTheVocabulary() throws {
        let t = try Self.tokenizer()
        var generator = SplitMix(seed: 20260607)
        for _ in 0..<2_000 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int(generator.next() % 40) {
                let value: UInt32
                switch generator.next() % 4 {
                case 0: value = UInt32(generator.next() % 0x80)
                case 1: value = UInt32(generator.next() % 0x3000)
                case 2: value = 0x5B  // "[": near-miss special tokens
                default: value = UInt32(generator.next() % 0x110000)
                }
                if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
            }
            let text = String(scalars)
            let ids = t.encode(text)
            #expect(ids.allSatisfy { $0 >= 0 && $0 < t.vocabularySize })
            #expect(t.tokenize(text).count == 8)
            _ = try t.decode(ids)
        }
    }
}

/// Bad `vocab.txt` files: each a typed error naming the file and, where there is one, the line.
@Suite struct WordPieceVocabularyErrorTests {
    static let valid = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n##b\n"

    func load(_ text: String) throws(TextTokenizerError) -> WordPieceTokenizer {
        try load(Array(text.utf8))
    }

    func load(_ bytes: [UInt8]) throws(TextTokenizerError) -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabularyData: Data(bytes), path: "vocab.txt")
    }

    @Test func validVariantsLoad() throws {
        #expect(try load(Self.valid).encode("ab a") == [5, 6, 5])
        // CRLF endings, trailing whitespace, no final newline, blank lines at the end: as tokenizers reads them.
        let crlf = try load("[PAD]\r\n[UNK] \r\n[CLS]\t\n[SEP]\u{3000}\n[MASK]\na\n##b")
        #expect(crlf.encode("ab a") == [5, 6, 5] && crlf.vocabularySize == 7)
        #expect(try load(Self.valid + "\n\n  \n").vocabularySize == 7)
        // Leading whitespace and inner CR are part of the token.
        let inner = try load(Self.valid + " c\nd\re\n")
        #expect(inner.id(of: " c") == 7 && inner.id(of: "d\re") == 8)
    }

    @Test func emptyFiles() {
        #expect(throws: TextTokenizerError.malformedVocabulary(path: "vocab.txt", reason: "the file has no tokens (one token per line expected)")) {
            try load("")
        }
        #expect(throws: TextTokenizerError.malformedVocabulary(path: "vocab.txt", reason: "the file has no tokens (one token per line expected)")) {
            try load("\n \n\t\n")
        }
    }

    @Test func missingSpecialTokens() {
        for name in ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] {
            let text = Self.valid.replacingOccurrences(of: name + "\n", with: "")
            do {
                _ = try load(text)
                Issue.record("no error without \(name)")
            } catch {
                guard case let .missingToken(path, token, _) = error else {
                    Issue.record("unexpected \(error)")
                    continue
                }
                #expect(path == "vocab.txt" && token == name)
                #expect(error.description.contains(name))
            }
        }
        // Special tokens are case-sensitive, and a byte-order mark is part of the first token.
        #expect(throws: TextTokenizerError.self) { try load(Self.valid.replacingOccurrences(of: "[CLS]", with: "[cls]")) }
        do {
            _ = try load("\u{FEFF}" + Self.valid)
            Issue.record("a BOM before [PAD] loaded")
        } catch {
            guard case .missingToken(_, "[PAD]", _) = error else { Issue.record("unexpected \(error)"); return }
        }
    }

    func line(of body: () throws(TextTokenizerError) -> WordPieceTokenizer) -> (Int, String)? {
        do {
            _ = try body()
            return nil
        } catch {
            if case let .malformedVocabularyLine(path, line, reason) = error, path == "vocab.txt" {
                #expect(error.description.contains("line \(line)"))
                return (line, reason)
            }
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test func duplicateTokens() throws {
        let found = try #require(line { () throws(TextTokenizerError) in try load(Self.valid + "c\na\n") })
        #expect(found.0 == 9)
        #expect(found.1 == "token \"a\" repeats line 6")
        // Equal after the trailing whitespace is trimmed.
        #expect(line { () throws(TextTokenizerError) in try load(Self.valid + "a \n") }?.0 == 8)
        #expect(line { () throws(TextTokenizerError) in try load("[PAD]\n[PAD]\n[UNK]\n[CLS]\n[SEP]\n") }?.0 == 2)
    }

    @Test func invalidUTF8() {
        var bytes = Array(Self.valid.utf8)
        bytes += [0x63, 0xC3, 0x28, 0x0A]       // "c", a bad continuation byte
        #expect(line { () throws(TextTokenizerError) in try load(bytes) }?.0 == 8)
        #expect(line { () throws(TextTokenizerError) in try load([0xFF] + Array(Self.valid.utf8)) }?.0 == 1)
        // An encoded surrogate (CESU-8) and a truncated sequence at the end of the file.
        #expect(line { () throws(TextTokenizerError) in try load(Array(Self.valid.utf8) + [0xED, 0xA0, 0x80]) }?.0 == 8)
        #expect(line { () throws(TextTokenizerError) in try load(Array(Self.valid.utf8) + [0xE4, 0xB8]) }?.0 == 8)
    }

    @Test func blankLinesInside() {
        #expect(line { () throws(TextTokenizerError) in try load("[PAD]\n[UNK]\n\n[CLS]\n[SEP]\n") }?.0 == 3)
        #expect(line { () throws(TextTokenizerError) in try load("[PAD]\n \t\n[UNK]\n[CLS]\n[SEP]\n") }?.0 == 2)
    }

    @Test func hugeLines() {
        let long = String(repeating: "x", count: WordPieceVocabulary.lineLimit + 1)
        let found = line { () throws(TextTokenizerError) in try load(Self.valid + long + "\n") }
        #expect(found?.0 == 8)
        #expect(found?.1.contains("1025 bytes") == true)
        // One line of 4 MB with no newline at all.
        #expect(line { () throws(TextTokenizerError) in try load([UInt8](repeating: 0x61, count: 4 << 20)) }?.0 == 1)
        // At the limit it is a token.
        let atLimit = String(repeating: "y", count: WordPieceVocabulary.lineLimit)
        #expect((try? load(Self.valid + atLimit + "\n"))?.vocabularySize == 8)
    }

    @Test func unreadableFiles() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("vocab.txt")
        do {
            _ = try WordPieceTokenizer(vocabularyAt: missing)
            Issue.record("a missing file loaded")
        } catch {
            guard case let .unreadableFile(path, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(path == missing.path)
        }
        do {
            _ = try OpenCLIPHFTokenizer(wordPieceVocabulary: directory)
            Issue.record("a directory loaded")
        } catch {
            guard case .unreadableFile = error else { Issue.record("unexpected \(error)"); return }
        }
        try write(Self.valid, to: missing)
        #expect(try WordPieceTokenizer(vocabularyAt: missing, contextLength: 4).tokenize("a") == [2, 5, 3, 0])
    }
}

/// A small deterministic generator for the random-text test.
struct SplitMix {
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
