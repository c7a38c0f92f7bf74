import CLIPSupport
import Testing

/// Runs `body` on a reader of `text` that throws `JSONSyntaxError`.
private func withReader<T>(
    _ text: String, _ body: (inout StrictJSONReader<JSONSyntaxError>) throws(JSONSyntaxError) -> T
) throws(JSONSyntaxError) -> T {
    var bytes = Array(text.utf8)
    return try withReader(bytes: &bytes, body)
}

private func withReader<T>(
    bytes: inout [UInt8], _ body: (inout StrictJSONReader<JSONSyntaxError>) throws(JSONSyntaxError) -> T
) throws(JSONSyntaxError) -> T {
    let result = bytes.withUnsafeBytes { raw in
        Result { () throws(JSONSyntaxError) in
            var reader = StrictJSONReader(bytes: raw)
            return try body(&reader)
        }
    }
    return try result.get()
}

/// The error of parsing `text` as one JSON value, or `nil` when it parses.
private func parseError(_ text: String) -> JSONSyntaxError? {
    parseError(bytes: Array(text.utf8))
}

private func parseError(bytes: [UInt8]) -> JSONSyntaxError? {
    bytes.withUnsafeBytes { raw -> JSONSyntaxError? in
        do throws(JSONSyntaxError) {
            _ = try JSONValue(parsing: raw)
            return nil
        } catch {
            return error
        }
    }
}

private func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
    let result = Array(text.utf8).withUnsafeBytes { raw in
        Result { () throws(JSONSyntaxError) in try JSONValue(parsing: raw) }
    }
    return try result.get()
}

@Suite struct StrictJSONReaderTests {
    @Test func valuesKeepBooleansNumbersAndStringsApart() throws {
        let value = try parse(#" { "a": [1, -2.5e1, true, false, null, "x"], "b": {}, "c": [] } "#)
        #expect(value == .object([
            "a": .array([.number(1), .number(-25), .bool(true), .bool(false), .null, .string("x")]),
            "b": .object([:]), "c": .array([]),
        ]))
        #expect(value != .object(["a": .array([.bool(true)])]))
        #expect(try parse("1") == .number(1) && parse("1") != .bool(true))
        #expect(try parse("\u{FEFF}{}") == .object([:]))
    }

    @Test func duplicateKeysAreErrorsAtTheKey() {
        #expect(parseError(#"{"a": 1, "a": 2}"#) == JSONSyntaxError(.duplicateKey("a"), at: 9))
        // Also inside values that are only skipped, and for two spellings of one key.
        let skipped = Result { () throws(JSONSyntaxError) in
            try withReader(#"[{"k": 1, "\u006b": 2}]"#) { (reader) throws(JSONSyntaxError) in try reader.skipValue() }
        }
        #expect(skipped.error == JSONSyntaxError(.duplicateKey("k"), at: 10))
        #expect(parseError(#"{"a": {"x": 1}, "b": {"x": 2}}"#) == nil)
        #expect(JSONSyntaxError(.duplicateKey("a\n"), at: 0).message == #"duplicate key "a\n""#)
    }

    @Test func nestingDepthIsLimitedTo64() {
        let deepest = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(parseError(deepest) == nil)
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let error = parseError(tooDeep)
        #expect(error == JSONSyntaxError(.nestingTooDeep(limit: 64), at: 64))
        #expect(error?.message == "nesting deeper than 64 levels")
        let objects = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)
        #expect(parseError(objects)?.problem == .nestingTooDeep(limit: 64))
    }

    @Test func stringsAndEscapes() throws {
        #expect(try parse(#""q\"\\\/\b\f\n\r\t\u00e9\u0041\ud83d\ude00""#) == .string("q\"\\/\u{8}\u{C}\n\r\t\u{E9}A😀"))
        let cases: [(String, JSONSyntaxError.Problem, Int, String)] = [
            (#"  "\x""#, .invalidEscape(UInt8(ascii: "x")), 3, #"invalid escape \'x'"#),
            (#""ab\u12"#, .truncatedUnicodeEscape, 3, #"truncated \u escape"#),
            (#""\u12G4""#, .invalidHexDigit, 1, #"invalid hex digit in \u escape"#),
            (#""\ud800""#, .unpairedHighSurrogate, 1, #"unpaired high surrogate in \u escape"#),
            (#""a\ud800\u0041""#, .highSurrogateBeforeNonLowSurrogate, 2, #"unpaired high surrogate in \u escape"#),
            (#""\ud800\u12""#, .truncatedUnicodeEscape, 7, #"truncated \u escape"#),
            (#""\udc00""#, .unpairedLowSurrogate, 1, #"unpaired low surrogate in \u escape"#),
            ("\"a\u{1}\"", .unescapedControlCharacter, 2, "unescaped control character in string"),
            ("\"a\\n\u{1F}\"", .unescapedControlCharacter, 4, "unescaped control character in string"),
            (#"["abc"#, .unterminatedString, 1, "unterminated string"),
            (#"["a\"#, .unterminatedString, 1, "unterminated string"),
        ]
        for (text, problem, offset, message) in cases {
            let error = parseError(text)
            #expect(error == JSONSyntaxError(problem, at: offset), "\(text)")
            #expect(error?.message == message, "\(text)")
        }
        // Invalid UTF-8 is reported at the opening quote, with and without escapes.
        #expect(parseError(bytes: [0x20, 0x22, 0xFF, 0x22]) == JSONSyntaxError(.invalidUTF8, at: 1))
        #expect(parseError(bytes: [0x22, 0x5C, 0x6E, 0xC3, 0x22]) == JSONSyntaxError(.invalidUTF8, at: 0))
        #expect(parseError(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22])?.message == "string is not valid UTF-8")
    }

    @Test func numbersFollowTheGrammarExactly() throws {
        let numbers = try withReader("[0, -0, 12, -9223372036854775808, 9223372036854775808, 1.5, 2e-3, 1E+2]") {
            (reader) throws(JSONSyntaxError) -> [(String, Bool, Int?)] in
            var numbers: [(String, Bool, Int?)] = []
            try reader.readArray { (reader, _) throws(JSONSyntaxError) in
                let number = try reader.readNumber()
                numbers.append((reader.literal(of: number), number.isInteger, number.integerValue))
            }
            return numbers
        }
        #expect(numbers.map(\.0) == ["0", "-0", "12", "-9223372036854775808", "9223372036854775808", "1.5", "2e-3", "1E+2"])
        #expect(numbers.map(\.1) == [true, true, true, true, true, false, false, false])
        #expect(numbers.map(\.2) == [0, 0, 12, Int.min, nil, nil, nil, nil])
        let cases: [(String, JSONSyntaxError.Problem, Int, String)] = [
            ("[1, 01]", .leadingZero, 4, "number with a leading zero"),
            ("[-]", .invalidNumber, 1, "invalid number"),
            ("[1.]", .noDigitAfterPoint, 1, "invalid number: no digit after '.'"),
            ("[1e+]", .noDigitInExponent, 1, "invalid number: no digit in exponent"),
            ("[ 1e999]", .numberOutOfRange, 2, "number out of range"),
        ]
        for (text, problem, offset, message) in cases {
            let error = parseError(text)
            #expect(error == JSONSyntaxError(problem, at: offset), "\(text)")
            #expect(error?.message == message, "\(text)")
        }
        #expect(parseError("+1")?.message == "unexpected '+'")
        #expect(parseError(".5")?.message == "unexpected '.'")
    }

    @Test func structuralErrorsNameWhatWasFoundAndWhere() {
        let cases: [(String, Int, String)] = [
            ("", 0, "unexpected end of the JSON text"),
            (#"{"a" 1}"#, 5, "expected ':' after key, found a number"),
            (#"{"a": 1"#, 7, "expected ',' or '}' in object, found the end of the JSON text"),
            (#"{"a": 1,}"#, 8, "expected a string key, found '}'"),
            ("{'a': 1}", 1, "expected a string key, found '''"),
            ("[1 2]", 3, "expected ',' or ']' in array, found a number"),
            ("[tru]", 1, "invalid literal (expected true)"),
            ("[nul", 1, "invalid literal (expected null)"),
            ("{} x", 3, "unexpected characters after the JSON value"),
            ("\u{1}", 0, "unexpected byte 0x01"),
        ]
        for (text, offset, message) in cases {
            let error = parseError(text)
            #expect(error?.offset == offset, "\(text.debugDescription)")
            #expect(error?.message == message, "\(text.debugDescription)")
        }
    }

    @Test func wrapsErrorsIntoTheCallersType() {
        struct Wrapped: Error, Equatable {
            var file: String
            var error: JSONSyntaxError
        }
        var bytes = Array(#"{"a": [1, "x"]}"#.utf8)
        let result = bytes.withUnsafeMutableBytes { raw in
            Result { () throws(Wrapped) in
                var reader = StrictJSONReader(bytes: UnsafeRawBufferPointer(raw)) { Wrapped(file: "f.json", error: $0) }
                try reader.readObject { (reader, key, keyOffset) throws(Wrapped) in
                    #expect(key == "a" && keyOffset == 1)
                    try reader.readArray { (reader, index) throws(Wrapped) in
                        guard reader.peek() != UInt8(ascii: "\"") else {
                            throw reader.syntaxError("element \(index) is a string")
                        }
                        _ = try reader.readNumber()
                    }
                }
            }
        }
        #expect(result.error == Wrapped(file: "f.json", error: JSONSyntaxError(.unexpected("element 1 is a string"), at: 10)))
    }

    @Test func readsStreamingWithoutATree() throws {
        let (metadata, isNull, atEnd) = try withReader(#" {"k": "v", "skip": [1, {"x": null}], "n": null} "#) {
            (reader) throws(JSONSyntaxError) -> ([String: String], Bool, Bool) in
            var metadata: [String: String] = [:]
            var isNull = false
            try reader.readObject { (reader, key, _) throws(JSONSyntaxError) in
                switch key {
                case "k": metadata[key] = try reader.readString()
                case "n": isNull = try reader.readNullIfPresent()
                default:
                    #expect(reader.describeNextValue() == "an array")
                    try reader.skipValue()
                }
            }
            return (metadata, isNull, reader.isAtEndAfterWhitespace())
        }
        #expect(metadata == ["k": "v"])
        #expect(isNull && atEnd)
    }
}

extension Result {
    fileprivate var error: Failure? {
        if case let .failure(error) = self { return error }
        return nil
    }
}
