import CLIPSupport
import Foundation
import Testing

@Suite struct JSONValueAndQuotingTests {
    @Test func decodesInsideJSONDecoderToo() throws {
        let data = Data(#"{"a": [1, true, "s", null, {"b": 2.5}]}"#.utf8)
        let decoded = try JSONDecoder().decode([String: JSONValue].self, from: data)
        #expect(decoded == ["a": .array([.number(1), .bool(true), .string("s"), .null, .object(["b": .number(2.5)])])])
        let parsed = try data.withUnsafeBytes { try JSONValue(parsing: $0) }
        #expect(parsed == .object(decoded))
    }

    @Test func integersAndSummaries() {
        #expect(JSONValue.number(224).intValue == 224)
        #expect(JSONValue.number(2.5).intValue == nil)
        #expect(JSONValue.number(1e15).intValue == nil)
        #expect(JSONValue.bool(true).intValue == nil)
        let value = JSONValue.object(["b": .array([.number(1), .number(0.5)]), "a": .string("x"), "c": .null, "d": .bool(false)])
        #expect(value.summary == #"{"a": "x", "b": [1, 0.5], "c": null, "d": false}"#)
    }

    @Test func unknownKeysAndDefaults() throws {
        struct Settings: Decodable {
            enum CodingKeys: String, CodingKey, CaseIterable { case size, name }
            var size: Int
            var name: String
            var unknown: [String]
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                size = try c.value(.size, default: 224)
                name = try c.value(.name, default: "x")
                unknown = try decoder.unknownKeys(besides: CodingKeys.self)
            }
        }
        let settings = try JSONDecoder().decode(Settings.self, from: Data(#"{"zeta": 1, "name": null, "alpha": 2}"#.utf8))
        #expect(settings.size == 224 && settings.name == "x")
        #expect(settings.unknown == ["alpha", "zeta"])
        #expect(AnyCodingKey("k").stringValue == "k" && AnyCodingKey(intValue: 1) == nil)
    }

    @Test func jsonLiteralsEscapeWhatJSONRequires() throws {
        let text = "a\"b\\c\n\r\t\u{1}\u{1F}/é\u{85}\u{2028}😀"
        #expect(text.jsonLiteral == "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u001f/é\u{85}\u{2028}😀\"")
        let back = try JSONDecoder().decode(String.self, from: Data(text.jsonLiteral.utf8))
        #expect(back == text)
    }

    @Test func messageQuotingAlsoEscapesInvisiblesAndShortens() {
        #expect("a\"b\u{85}\u{7F}\u{2028}\u{2029}\n".quotedForMessage == #""a\"b\u0085\u007f\u2028\u2029\n""#)
        let long = String(repeating: "x", count: 250)
        #expect(long.quotedForMessage == "\"" + String(repeating: "x", count: 200) + "…\"")
        #expect(String(repeating: "y", count: 200).quotedForMessage == "\"" + String(repeating: "y", count: 200) + "\"")
    }
}
