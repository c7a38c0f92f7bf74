import Foundation
import Testing
@testable import TextTokenizer

/// The openclip-siglip fixture folder (Scripts/make_openclip_siglip_tokenizer_fixtures.py).
enum OpenCLIPSiglipFixture {
    struct Row {
        let text: String
        let clean: String
        let ids: [Int]
        let ids16: [Int]
    }

    /// The rows of `parity-spiece.jsonl.gz` or `parity-gemma.jsonl.gz`.
    static func rows(_ name: String) throws -> [Row] {
        let url = try fixtureURL("openclip-siglip/" + name)
        let bytes = try Gzip.decompress(Array(try Data(contentsOf: url)), path: name)
        return try String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return Row(text: try #require(object["text"] as? String), clean: try #require(object["clean"] as? String),
                       ids: try #require(ints(object["ids"])), ids16: try #require(ints(object["ids16"])))
        }
    }

    static func spieceTokenizer(contextLength: Int = 64) throws -> OpenCLIPHFTokenizer {
        try OpenCLIPHFTokenizer(sentencePieceModel: try fixtureURL("siglip-spiece/spiece.model"),
                                settings: try fixtureURL("siglip-spiece/tokenizer_config.json"),
                                contextLength: contextLength, cleaning: .canonicalize)
    }

    static func gemmaTokenizer(contextLength: Int = 64) throws -> OpenCLIPHFTokenizer {
        try OpenCLIPHFTokenizer(tokenizerJSON: try fixtureURL("siglip2-gemma/tokenizer.json"),
                                settings: try fixtureURL("siglip2-gemma/tokenizer_config.json"),
                                contextLength: contextLength, cleaning: .canonicalize)
    }

    /// Checks every row: the 64-id rows, the 16-id rows (by a tokenizer made for 16 and by
    /// `tokenize(_:contextLength:)`). Returns the number of rows that matched in all three.
    static func check(_ rows: [Row], _ tokenizer: OpenCLIPHFTokenizer, _ short: OpenCLIPHFTokenizer,
                      _ label: String) throws -> Int {
        var matched = 0
        var reported = 0
        for (index, row) in rows.enumerated() {
            let ids = tokenizer.tokenize(row.text)
            let ids16 = short.tokenize(row.text)
            let called16 = try tokenizer.tokenize(row.text, contextLength: 16)
            if ids == row.ids && ids16 == row.ids16 && called16 == row.ids16 {
                matched += 1
            } else if reported < 20 {
                reported += 1
                Issue.record("""
                    \(label) line \(index + 1) \(row.text.debugDescription) (clean \(row.clean.debugDescription)):
                      expected \(row.ids) / \(row.ids16)
                      got      \(ids) / \(ids16) / \(called16)
                    """)
            }
        }
        return matched
    }
}

/// open_clip 3.3.0's `HFTokenizer(folder, context_length, clean="canonicalize")` over the
/// repository's SigLIP and SigLIP 2 tokenizer fixtures.
@Suite struct OpenCLIPHFTokenizerParityTests {
    @Test func sentencePieceRowsMatchOpenCLIP() throws {
        let rows = try OpenCLIPSiglipFixture.rows("parity-spiece.jsonl.gz")
        #expect(rows.count >= 3_000)
        let tokenizer = try OpenCLIPSiglipFixture.spieceTokenizer()
        #expect(tokenizer.contextLength == 64)
        #expect(tokenizer.base is SiglipTokenizer)
        let matched = try OpenCLIPSiglipFixture.check(rows, tokenizer, try OpenCLIPSiglipFixture.spieceTokenizer(contextLength: 16),
                                                      "spiece")
        #expect(matched == rows.count, "\(rows.count - matched) of \(rows.count) rows differ")
    }

    @Test func gemmaRowsMatchOpenCLIP() throws {
        let rows = try OpenCLIPSiglipFixture.rows("parity-gemma.jsonl.gz")
        #expect(rows.count >= 3_000)
        let tokenizer = try OpenCLIPSiglipFixture.gemmaTokenizer()
        #expect(tokenizer.base is GemmaTokenizer)
        let matched = try OpenCLIPSiglipFixture.check(rows, tokenizer, try OpenCLIPSiglipFixture.gemmaTokenizer(contextLength: 16),
                                                      "gemma")
        #expect(matched == rows.count, "\(rows.count - matched) of \(rows.count) rows differ")
    }

    @Test func cleaningMatchesOpenCLIPOnEveryLine() throws {
        let rows = try OpenCLIPSiglipFixture.rows("parity-spiece.jsonl.gz")
        var mismatches: [String] = []
        for row in rows {
            let got = OpenCLIPTextCleaning.canonicalize.clean(row.text)
            if !sameScalars(got, row.clean) {
                mismatches.append("\(row.text.debugDescription): expected \(row.clean.debugDescription), got \(got.debugDescription)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(rows.count) differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
        // Both files hold the same texts and cleanings.
        let gemma = try OpenCLIPSiglipFixture.rows("parity-gemma.jsonl.gz")
        #expect(gemma.map(\.text) == rows.map(\.text))
    }

    @Test func wrappingAnExistingTokenizerIsTheSame() throws {
        let base = try GemmaTokenizer(tokenizerJSON: try fixtureURL("siglip2-gemma/tokenizer.json"),
                                      settings: try GemmaFixture.settings(), contextLength: 64)
        let wrapped = OpenCLIPHFTokenizer(base: base, cleaning: .canonicalize)
        let fromFiles = try OpenCLIPSiglipFixture.gemmaTokenizer()
        for text in ["A photo of a DOG.", "snake_case &amp; more", "ΑΣ_Β", ""] {
            #expect(wrapped.tokenize(text) == fromFiles.tokenize(text))
            #expect(wrapped.encode(text) == base.encode(wrapped.clean(text)))
        }
        #expect(wrapped.vocabularySize == base.vocabularySize)
        #expect(try wrapped.decode(wrapped.tokenize("a cat")) == (try base.decode(base.tokenize("a cat"))))
    }

    @Test func contextLengthsAndPadding() throws {
        let spiece = try OpenCLIPSiglipFixture.spieceTokenizer()
        let empty = spiece.tokenize("")
        #expect(empty == [Int](repeating: 1, count: 64))           // </s>, then </s> padding
        #expect(spiece.tokenize("</s>") == spiece.tokenize("s"))   // brackets are punctuation
        let gemma = try OpenCLIPSiglipFixture.gemmaTokenizer()
        #expect(gemma.tokenize("...") == [1] + [Int](repeating: 0, count: 63))  // <eos>, then <pad>
        #expect(gemma.tokenize("<eos>") == gemma.tokenize("eos"))
        #expect(throws: TextTokenizerError.invalidContextLength(0)) {
            try OpenCLIPSiglipFixture.spieceTokenizer(contextLength: 0)
        }
        #expect(throws: TextTokenizerError.invalidContextLength(0)) {
            try gemma.tokenize("a", contextLength: 0)
        }
    }
}

/// open_clip's cleaning functions on hand-written cases (the Python results are in the comments'
/// reasoning; the fixture lines check the same code on 3,000 texts).
@Suite struct OpenCLIPTextCleaningTests {
    private func canonical(_ text: String) -> String { OpenCLIPTextCleaning.canonicalize.clean(text) }

    @Test func canonicalizeRemovesASCIIPunctuationAndLowercases() {
        #expect(canonical("A photo of a DOG.") == "a photo of a dog")
        #expect(canonical("It's a close-up, isn't it?") == "its a closeup isnt it")
        #expect(canonical("snake_case_name") == "snake case name")          // "_" is a space, not removed
        #expect(canonical("__init__") == "init")
        #expect(canonical("a {} b") == "a b")
        #expect(canonical("</s> <pad>") == "s pad")
        #expect(canonical("¿Qué? ¡Sí!") == "¿qué ¡sí")                      // only ASCII punctuation goes
        #expect(canonical("  many \t\n spaces  ") == "many spaces")
        #expect(canonical("!!!") == "")
        #expect(canonical("") == "")
    }

    @Test func basicCleanRepairsAndUnescapes() {
        #expect(OpenCLIPTextCleaning.basicClean("Fish &amp;amp; Chips ") == "Fish & Chips")
        #expect(canonical("Fish &amp; Chips") == "fish chips")
        #expect(canonical("&ampersand") == "ersand")                         // html.unescape: "&amp" needs no ";"
        #expect(canonical("cafÃ©") == "café")                               // ftfy's mojibake repair
        #expect(canonical("ＨＥＬＬＯ！") == "hello")                          // full width made ASCII first
        #expect(canonical("“curly” ‘quotes’") == "curly quotes")           // uncurled, then removed
        #expect(canonical("ﬁne") == "fine")
    }

    @Test func pythonLowercaseAndWhitespace() {
        #expect(sameScalars(canonical("İSTANBUL"), "i\u{307}stanbul"))
        #expect(canonical("ΟΔΥΣΣΕΥΣ.") == "οδυσσευς")
        #expect(canonical("ΑΣ_Β") == "ας β")      // "_" became a space before lower(): final sigma
        #expect(canonical("ΑΣ-Β") == "ασβ")       // "-" removed before lower(): not final
        #expect(canonical("ΑΣ'Β") == "ασβ")
        #expect(canonical("\u{212A}elvin") == "kelvin")
        // Letters added after Unicode 14 are left as Python 3.11 leaves them.
        #expect(sameScalars(canonical("\u{A7CB}\u{1C89}"), "\u{A7CB}\u{1C89}"))
        // str.split(): U+001C..U+001F, U+0085, U+2028 and U+3000 are whitespace; U+200B and U+180E
        // are not. (In the full cleaning ftfy removes U+001C and makes U+0085 an ellipsis first.)
        #expect(OpenCLIPTextCleaning.canonicalizeText("a\u{1C}b\u{85}c\u{3000}d\u{2028}e") == "a b c d e")
        #expect(canonical("a\u{1C}b\u{85}c\u{3000}d") == "ab…c d")
        #expect(sameScalars(canonical("a\u{200B}b"), "a\u{200B}b"))
        #expect(sameScalars(canonical("a\u{180E}b"), "a\u{180E}b"))
    }

    @Test func siglipTokenizerLowercasesAsPython311() throws {
        // SiglipTokenizer lowercases the (already cleaned) text again: with Python 3.11's table,
        // as transformers does, so letters newer than Unicode 14 stay and the ids do not change.
        let lowered = PythonText.lowercased(Array("\u{A7CB}\u{1C89}\u{10D50}İΑΣ Σ".unicodeScalars))
        #expect(lowered.map(\.value) == [0xA7CB, 0x1C89, 0x10D50, 0x69, 0x307, 0x3B1, 0x3C2, 0x20, 0x3C3])
        let tokenizer = try OpenCLIPSiglipFixture.spieceTokenizer()
        #expect(tokenizer.encode("\u{A7CB}x") == tokenizer.base.encode(tokenizer.clean("\u{A7CB}x")))
    }

    @Test func otherCleaningFunctions() {
        #expect(OpenCLIPTextCleaning.lower.clean("  A_Photo,  OF &amp; ") == "a_photo, of &")
        #expect(OpenCLIPTextCleaning.whitespace.clean("  A_Photo,  OF &amp; ") == "A_Photo, OF &")
        #expect(OpenCLIPTextCleaning.canonicalizeText("A_B.c") == "a bc")
        #expect(OpenCLIPTextCleaning.canonicalizeText("&amp;") == "amp")    // no unescaping in this step
    }

    @Test func namesFromTheConfiguration() throws {
        #expect(try OpenCLIPTextCleaning(name: "canonicalize") == .canonicalize)
        #expect(try OpenCLIPTextCleaning(name: "lower") == .lower)
        #expect(try OpenCLIPTextCleaning(name: nil) == .whitespace)
        #expect(throws: TextTokenizerError.self) { try OpenCLIPTextCleaning(name: "Canonicalize") }
    }
}
