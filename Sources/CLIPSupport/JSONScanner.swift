/// A JSON number as written: where its literal is and, when it is an integer that fits `Int`,
/// its value.
package struct JSONNumber: Equatable, Sendable {
    /// The byte range of the literal (e.g. `-12`, `1.5e3`) in the scanned text; see
    /// ``JSONScanner/text(_:)``.
    package var byteRange: Range<Int>
    /// Whether the literal has neither a fraction nor an exponent.
    package var isInteger: Bool
    /// The value when `isInteger` and it fits in `Int`; `nil` otherwise.
    package var integerValue: Int?
}

/// The lexical layer of JSON (RFC 8259) over bytes in memory: whitespace, strings with their
/// escapes, numbers and the three literals, each checked exactly against the grammar.
///
/// ``StrictJSONReader`` builds objects and arrays on it; a reader for one fixed shape (such as a
/// vocabulary's token → id object) may use it directly. On an error the scanner's
/// ``position`` is left where reading stopped (the offending byte, or the end of the text),
/// and the error's offset names the token at fault. The lexing steps are `@inlinable` so that
/// other modules' fast paths (the vocabulary reader) compile them into their own loops.
package struct JSONScanner {
    /// The JSON text. The caller keeps it alive while scanning.
    package let bytes: UnsafeRawBufferPointer
    /// The byte offset of the next unread character.
    package var position: Int

    /// A scanner at `position` of `bytes`.
    @inlinable
    package init(bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    /// Whether every byte has been read.
    @inlinable
    package var isAtEnd: Bool { position >= bytes.count }

    /// Skips spaces, tabs, line feeds and carriage returns.
    @inlinable
    package mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, without consuming it (whitespace is consumed).
    @inlinable
    package mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < bytes.count ? bytes[position] : nil
    }

    /// A short description of the value starting at the next non-whitespace byte, for messages:
    /// `an object`, `a number`, `'x'`, `the end of the JSON text`.
    package mutating func describeNextValue() -> String {
        guard let byte = peek() else { return "the end of the JSON text" }
        switch byte {
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return "a number"
        case UInt8(ascii: "t"): return "true"
        case UInt8(ascii: "f"): return "false"
        case UInt8(ascii: "n"): return "null"
        default: return Self.describe(byte: byte)
        }
    }

    /// A byte for messages: `'x'` when printable ASCII, else `byte 0x0a`.
    package static func describe(byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7f { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
    }

    /// The text of `range` (a number's ``JSONNumber/byteRange``).
    package func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    // MARK: - Literals

    /// Consumes `word` (`true`, `false` or `null`), which must come next (after whitespace).
    package mutating func readLiteral(_ word: StaticString) throws(JSONSyntaxError) {
        skipWhitespace()
        let start = position
        let length = word.utf8CodeUnitCount
        let failure = JSONSyntaxError(.invalidLiteral(expected: "\(word)"), at: start)
        guard bytes.count - position >= length else { throw failure }
        let pointer = word.utf8Start
        for i in 0..<length where bytes[position + i] != pointer[i] {
            throw failure
        }
        position += length
    }

    // MARK: - Strings

    /// Reads a string: the next non-whitespace byte must be its opening quote.
    @inlinable
    package mutating func readString() throws(JSONSyntaxError) -> String {
        guard peek() == UInt8(ascii: "\"") else {
            throw JSONSyntaxError(.unexpected("expected a string, found \(describeNextValue())"), at: position)
        }
        let open = position
        position += 1
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                // Typed bytes: `String(validating:)` then validates the contiguous buffer in
                // one pass instead of byte by byte through the raw buffer's iterator.
                let text = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
                let validated = text.withMemoryRebound(to: UInt8.self) { String(validating: $0, as: UTF8.self) }
                guard let string = validated else {
                    throw JSONSyntaxError(.invalidUTF8, at: open)
                }
                position += 1
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw JSONSyntaxError(.unescapedControlCharacter, at: position) }
            position += 1
        }
        guard position < bytes.count else { throw JSONSyntaxError(.unterminatedString, at: open) }
        // Slow path: decode escapes into a byte buffer.
        var buffer = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
            .withMemoryRebound(to: UInt8.self) { [UInt8]($0) }
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                guard let string = String(validating: buffer, as: UTF8.self) else {
                    throw JSONSyntaxError(.invalidUTF8, at: open)
                }
                position += 1
                return string
            }
            if byte < 0x20 { throw JSONSyntaxError(.unescapedControlCharacter, at: position) }
            if byte != UInt8(ascii: "\\") {
                buffer.append(byte)
                position += 1
                continue
            }
            let escapeOffset = position
            position += 1
            guard position < bytes.count else { break }
            let code = bytes[position]
            position += 1
            switch code {
            case UInt8(ascii: "\""): buffer.append(0x22)
            case UInt8(ascii: "\\"): buffer.append(0x5C)
            case UInt8(ascii: "/"): buffer.append(0x2F)
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "n"): buffer.append(0x0A)
            case UInt8(ascii: "r"): buffer.append(0x0D)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"):
                var value = try readHex4(escapeOffset: escapeOffset)
                if (0xDC00...0xDFFF).contains(value) {
                    throw JSONSyntaxError(.unpairedLowSurrogate, at: escapeOffset)
                }
                if (0xD800...0xDBFF).contains(value) {
                    guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"),
                          bytes[position + 1] == UInt8(ascii: "u") else {
                        throw JSONSyntaxError(.unpairedHighSurrogate, at: escapeOffset)
                    }
                    position += 2
                    let low = try readHex4(escapeOffset: position - 2)
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw JSONSyntaxError(.highSurrogateBeforeNonLowSurrogate, at: escapeOffset)
                    }
                    value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                }
                buffer.appendUTF8(value)
            default:
                position -= 1
                throw JSONSyntaxError(.invalidEscape(code), at: escapeOffset)
            }
        }
        throw JSONSyntaxError(.unterminatedString, at: open)
    }

    /// The four hexadecimal digits after `\u`; errors name the escape's backslash.
    @usableFromInline
    mutating func readHex4(escapeOffset: Int) throws(JSONSyntaxError) -> UInt32 {
        guard bytes.count - position >= 4 else {
            throw JSONSyntaxError(.truncatedUnicodeEscape, at: escapeOffset)
        }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONSyntaxError(.invalidHexDigit, at: escapeOffset)
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    // MARK: - Numbers

    /// Reads a number (after whitespace) following the JSON grammar exactly; errors name its
    /// first byte.
    @inlinable
    package mutating func readNumber() throws(JSONSyntaxError) -> JSONNumber {
        skipWhitespace()
        // Local copies keep the digit loops in registers (a vocabulary has one number per token).
        let bytes = self.bytes
        let start = position
        var index = position
        defer { position = index }
        func digit(at i: Int) -> Int? {
            guard i < bytes.count else { return nil }
            let value = bytes[i] &- UInt8(ascii: "0")
            return value < 10 ? Int(value) : nil
        }
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard let first = digit(at: index) else { throw JSONSyntaxError(.invalidNumber, at: start) }
        // Integer part, accumulated as a negative value so that Int.min fits.
        var accumulator = 0
        var overflow = false
        index += 1
        if first == 0 {
            if digit(at: index) != nil { throw JSONSyntaxError(.leadingZero, at: start) }
        } else {
            accumulator = -first
            while let next = digit(at: index) {
                if !overflow {
                    let (times10, o1) = accumulator.multipliedReportingOverflow(by: 10)
                    let (sum, o2) = times10.subtractingReportingOverflow(next)
                    if o1 || o2 { overflow = true } else { accumulator = sum }
                }
                index += 1
            }
        }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard digit(at: index) != nil else { throw JSONSyntaxError(.noDigitAfterPoint, at: start) }
            while digit(at: index) != nil { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard digit(at: index) != nil else { throw JSONSyntaxError(.noDigitInExponent, at: start) }
            while digit(at: index) != nil { index += 1 }
        }
        var value: Int?
        if isInteger && !overflow {
            if negative {
                value = accumulator
            } else if accumulator != Int.min {
                value = -accumulator
            }
        }
        return JSONNumber(byteRange: start..<index, isInteger: isInteger, integerValue: value)
    }
}
