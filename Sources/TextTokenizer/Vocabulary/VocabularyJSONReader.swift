import CLIPSupport

/// Reads a Hugging Face BPE vocabulary: one JSON object mapping token strings to integer ids.
///
/// A dedicated single-pass reader instead of `JSONDecoder`, which spends about 100 ms on the
/// 49,408-entry CLIP vocabulary (a third of opening a ViT-B/32 model). Strings and numbers are
/// lexed by the package's shared ``JSONScanner`` (exactly RFC 8259: escapes including surrogate
/// pairs, the number grammar); this reader walks the one object and accepts only integer
/// values, reporting anything else with its byte offset. A key that appears twice is an error
/// (a vocabulary cannot give one token two ids).
struct VocabularyJSONReader {
    private var scanner: JSONScanner
    private let path: String

    /// The token → id table of `bytes`.
    /// - Throws: `TextTokenizerError.malformedVocabulary` naming the file and byte offset.
    static func read(_ bytes: [UInt8], path: String) throws(TextTokenizerError) -> [String: Int] {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(TextTokenizerError) in
                var reader = VocabularyJSONReader(scanner: JSONScanner(bytes: raw), path: path)
                return try reader.readObject()
            }
        }
        return try result.get()
    }

    private init(scanner: JSONScanner, path: String) {
        self.scanner = scanner
        self.path = path
    }

    /// A failure at the scanner's position.
    private func failure(_ reason: String) -> TextTokenizerError {
        .malformedVocabulary(path: path, reason: "\(reason) at byte \(scanner.position)")
    }

    private var bytes: UnsafeRawBufferPointer { scanner.bytes }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(TextTokenizerError) {
        guard let next = scanner.peek(), next == byte else {
            throw failure(scanner.isAtEnd ? "unexpected end of file, expected \(what)" : "expected \(what)")
        }
        scanner.position += 1
    }

    private mutating func readObject() throws(TextTokenizerError) -> [String: Int] {
        // Skip a UTF-8 byte order mark, which some writers add.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { scanner.position = 3 }
        try expect(UInt8(ascii: "{"), "a JSON object mapping tokens to integer ids")
        var table: [String: Int] = [:]
        table.reserveCapacity(min(bytes.count / 8, 1 << 20))
        if scanner.peek() == UInt8(ascii: "}") {
            scanner.position += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let keyOffset = scanner.position
                let key = try readString()
                try expect(UInt8(ascii: ":"), "':' after a token")
                let value = try readInteger()
                guard table.updateValue(value, forKey: key) == nil else {
                    scanner.position = keyOffset
                    throw failure("token \"\(key)\" appears twice")
                }
                guard let next = scanner.peek() else { throw failure("unexpected end of file, expected ',' or '}'") }
                if next == UInt8(ascii: ",") { scanner.position += 1; continue }
                if next == UInt8(ascii: "}") { scanner.position += 1; break }
                throw failure("expected ',' or '}'")
            }
        }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw failure("unexpected content after the object") }
        return table
    }

    private mutating func readInteger() throws(TextTokenizerError) -> Int {
        guard let first = scanner.peek(), first == UInt8(ascii: "-") || (0x30...0x39).contains(first) else {
            throw failure("expected an integer id")
        }
        let start = scanner.position
        let number: JSONNumber
        do {
            number = try scanner.readNumber()
        } catch {
            scanner.position = error.offset
            switch error.problem {
            case .leadingZero: throw failure("a number with a leading zero")
            case .noDigitAfterPoint, .noDigitInExponent: throw failure("expected an integer id, found a fraction or exponent")
            default: throw failure("expected an integer id")
            }
        }
        guard number.isInteger else {
            scanner.position = start
            throw failure("expected an integer id, found a fraction or exponent")
        }
        // Ids are counted as positive magnitudes, so -2^63 is out of range too.
        guard let value = number.integerValue, value != Int.min else {
            scanner.position = start
            throw failure("an id too large")
        }
        return value
    }

    /// A token string (the caller has skipped the whitespace before it), with the scanner's
    /// errors in this reader's words and at the byte where it stopped.
    private mutating func readString() throws(TextTokenizerError) -> String {
        guard !scanner.isAtEnd, bytes[scanner.position] == UInt8(ascii: "\"") else {
            throw failure(scanner.isAtEnd ? "unexpected end of file, expected a token string" : "expected a token string")
        }
        do {
            return try scanner.readString()
        } catch {
            let reason: String
            switch error.problem {
            case .invalidUTF8:
                scanner.position = error.offset + 1
                reason = "a token that is not valid UTF-8"
            case .unterminatedString: reason = "unexpected end of file inside a string"
            case .unescapedControlCharacter: reason = "an unescaped control character in a string"
            case .invalidEscape: reason = "an invalid escape sequence"
            case .truncatedUnicodeEscape: reason = "unexpected end of file in a \\u escape"
            case .invalidHexDigit: reason = "a \\u escape with a non-hexadecimal digit"
            case .unpairedHighSurrogate: reason = "a high surrogate escape without its low surrogate"
            case .highSurrogateBeforeNonLowSurrogate: reason = "a high surrogate escape followed by a non-low surrogate"
            case .unpairedLowSurrogate: reason = "a lone low surrogate escape"
            default: reason = error.message
            }
            throw failure(reason)
        }
    }
}
