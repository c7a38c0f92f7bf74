import Foundation
import Testing
@testable import TextTokenizer

@Suite struct VocabularyJSONReaderTests {
    func read(_ text: String) throws(TextTokenizerError) -> [String: Int] {
        try VocabularyJSONReader.read(Array(text.utf8), path: "vocab.json")
    }

    func reason(_ text: String) -> String? {
        do {
            _ = try read(text)
            return nil
        } catch {
            guard case .malformedVocabulary(let path, let reason) = error, path == "vocab.json" else { return "\(error)" }
            return reason
        }
    }

    @Test func readsWhatJSONDecoderReadsForTheWholeCLIPVocabulary() throws {
        let vocabulary = try CLIPVocabulary.bundled()
        var table: [String: Int] = [:]
        for (id, token) in vocabulary.tokens.enumerated() { table[token] = id }
        // Foundation's writer escapes "/" and control characters; both readers must agree.
        table["a/b\"c\\d\u{1}\n\t"] = table.count
        let data = try JSONSerialization.data(withJSONObject: table, options: [.prettyPrinted])
        let ours = try VocabularyJSONReader.read(Array(data), path: "vocab.json")
        let foundation = try JSONDecoder().decode([String: Int].self, from: data)
        #expect(ours.count == 49_409)
        #expect(ours == foundation)
    }

    @Test func escapesWhitespaceAndByteOrderMark() throws {
        #expect(try read(" { } ") == [:])
        #expect(try read("\u{FEFF}{\"a\":1}") == ["a": 1])
        #expect(try read("{\r\n\t\"\\u00e9\\u0041\" : 12 ,\"\\ud83d\\ude00\":3,\"q\\\"\\\\\\/\\b\\f\\n\\r\\t\":0}")
                == ["éA": 12, "😀": 3, "q\"\\/\u{8}\u{C}\n\r\t": 0])
        #expect(try read("{\"ü\": 0, \"\": 5, \"x\": -7}") == ["ü": 0, "": 5, "x": -7])
    }

    @Test func everyMalformedInputNamesItsProblemAndOffset() {
        let cases: [(String, String)] = [
            ("", "unexpected end of file, expected a JSON object"),
            ("[1]", "expected a JSON object mapping tokens to integer ids at byte 0"),
            ("{\"a\": 1", "unexpected end of file, expected ',' or '}'"),
            ("{\"a\": 1,}", "expected a token string at byte 8"),
            ("{\"a\" 1}", "expected ':' after a token at byte 5"),
            ("{\"a\": 1} x", "unexpected content after the object at byte 9"),
            ("{\"a\": 1, \"a\": 2}", "token \"a\" appears twice at byte 9"),
            ("{\"a\": 01}", "a number with a leading zero at byte 6"),
            ("{\"a\": 1.5}", "expected an integer id, found a fraction or exponent at byte 6"),
            ("{\"a\": 1e3}", "expected an integer id, found a fraction or exponent at byte 6"),
            ("{\"a\": \"1\"}", "expected an integer id at byte 6"),
            ("{\"a\": 99999999999999999999}", "an id too large at byte 6"),
            ("{\"a", "unexpected end of file inside a string"),
            ("{\"a\\", "unexpected end of file inside a string"),
            ("{\"\\x\": 1}", "an invalid escape sequence at byte 3"),
            ("{\"\\u12\": 1}", "a \\u escape with a non-hexadecimal digit"),
            ("{\"\\ud800\": 1}", "a high surrogate escape without its low surrogate"),
            ("{\"\\ud800\\u0041\": 1}", "a high surrogate escape followed by a non-low surrogate"),
            ("{\"\\udc00\": 1}", "a lone low surrogate escape"),
            ("{\"a\u{1}\": 1}", "an unescaped control character in a string at byte 3"),
        ]
        for (input, expected) in cases {
            let got = reason(input)
            #expect(got?.hasPrefix(expected) == true, "\(input.debugDescription): \(got ?? "no error")")
        }
        // Invalid UTF-8 inside a token, with and without escapes.
        for bytes: [UInt8] in [[0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D],
                               [0x7B, 0x22, 0x5C, 0x6E, 0xC3, 0x22, 0x3A, 0x31, 0x7D]] {
            #expect(throws: TextTokenizerError.self) { try VocabularyJSONReader.read(bytes, path: "vocab.json") }
        }
    }
}
