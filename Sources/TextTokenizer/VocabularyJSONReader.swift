/// Reads a Hugging Face `vocab.json`: one JSON object mapping token strings to integer ids.
///
/// A dedicated single-pass reader instead of `JSONDecoder`, which spends about 100 ms on the
/// 49,408-entry CLIP vocabulary (a third of opening a ViT-B/32 model); this one takes a few.
/// It accepts exactly RFC 8259 JSON of that shape — whitespace, string escapes including
/// surrogate pairs, integer values — and reports anything else with its byte offset. A key that
/// appears twice is an error (a vocabulary cannot give one token two ids).
struct VocabularyJSONReader {
    private let bytes: [UInt8]
    private var index = 0
    private let path: String

    private init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    /// The token → id table of `bytes`.
    /// - Throws: `TextTokenizerError.malformedVocabulary` naming the file and byte offset.
    static func read(_ bytes: [UInt8], path: String) throws(TextTokenizerError) -> [String: Int] {
        var reader = VocabularyJSONReader(bytes: bytes, path: path)
        return try reader.readObject()
    }

    private func failure(_ reason: String) -> TextTokenizerError {
        .malformedVocabulary(path: path, reason: "\(reason) at byte \(index)")
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(TextTokenizerError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else {
            throw failure(index < bytes.count ? "expected \(what)" : "unexpected end of file, expected \(what)")
        }
        index += 1
    }

    private mutating func readObject() throws(TextTokenizerError) -> [String: Int] {
        // Skip a UTF-8 byte order mark, which some writers add.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        try expect(UInt8(ascii: "{"), "a JSON object mapping tokens to integer ids")
        var table: [String: Int] = [:]
        table.reserveCapacity(min(bytes.count / 8, 1 << 20))
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                let keyOffset = index
                let key = try readString()
                try expect(UInt8(ascii: ":"), "':' after a token")
                let value = try readInteger()
                guard table.updateValue(value, forKey: key) == nil else {
                    index = keyOffset
                    throw failure("token \"\(key)\" appears twice")
                }
                skipWhitespace()
                guard index < bytes.count else { throw failure("unexpected end of file, expected ',' or '}'") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; break }
                throw failure("expected ',' or '}'")
            }
        }
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected content after the object") }
        return table
    }

    private mutating func readInteger() throws(TextTokenizerError) -> Int {
        skipWhitespace()
        let start = index
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        var value = 0
        var digits = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            if digits == 1, value == 0 { index = start; throw failure("a number with a leading zero") }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(bytes[index] - 0x30))
            guard !overflow1, !overflow2 else { index = start; throw failure("an id too large") }
            value = sum
            digits += 1
            index += 1
        }
        guard digits > 0 else { index = start; throw failure("expected an integer id") }
        if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
            index = start
            throw failure("expected an integer id, found a fraction or exponent")
        }
        return negative ? -value : value
    }

    private mutating func readString() throws(TextTokenizerError) -> String {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
            throw failure(index < bytes.count ? "expected a token string" : "unexpected end of file, expected a token string")
        }
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                guard let text = String(validating: bytes[start..<index], as: UTF8.self) else {
                    index = start
                    throw failure("a token that is not valid UTF-8")
                }
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw failure("an unescaped control character in a string") }
            index += 1
        }
        guard index < bytes.count else { throw failure("unexpected end of file inside a string") }
        // Slow path: unescape into a byte buffer.
        var buffer = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: buffer, as: UTF8.self) else {
                    index = start
                    throw failure("a token that is not valid UTF-8")
                }
                index += 1
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                              bytes[index + 1] == UInt8(ascii: "u") else {
                            throw failure("a high surrogate escape without its low surrogate")
                        }
                        index += 2
                        let low = try readHex4()
                        guard (0xDC00..<0xE000).contains(low) else {
                            throw failure("a high surrogate escape followed by a non-low surrogate")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw failure("a lone low surrogate escape")
                    }
                    UTF8Codec.append(scalar, to: &buffer)
                default:
                    index -= 1
                    throw failure("an invalid escape sequence")
                }
            default:
                if byte < 0x20 { throw failure("an unescaped control character in a string") }
                buffer.append(byte)
                index += 1
            }
        }
        throw failure("unexpected end of file inside a string")
    }

    private mutating func readHex4() throws(TextTokenizerError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("unexpected end of file in a \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw failure("a \\u escape with a non-hexadecimal digit")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
