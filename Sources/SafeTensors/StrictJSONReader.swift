/// A JSON number as written: its literal text and, when it is an integer that fits `Int`, its value.
struct JSONNumber {
    /// The literal text, e.g. `"-12"`, `"1.5e3"`.
    var literal: String
    /// Whether the literal has neither a fraction nor an exponent.
    var isInteger: Bool
    /// The value when `isInteger` and it fits in `Int`; `nil` otherwise.
    var integerValue: Int?
}

/// A strict, streaming reader for RFC 8259 JSON text held in memory.
///
/// It builds no document tree: callers walk objects and arrays with ``readObject(_:)`` and
/// ``readArray(_:)`` and read or skip each value, so memory use stays proportional to what
/// they keep. Unlike `JSONSerialization` it rejects duplicate keys in every object (kept values
/// and skipped ones alike). Nesting is limited to ``maximumDepth`` levels, strings must be
/// valid UTF-8 without raw control characters, `\u` escapes must pair surrogates, and numbers
/// follow the JSON grammar exactly. Every step is linear in the input size.
struct StrictJSONReader {
    /// The deepest nesting of objects and arrays accepted.
    static let maximumDepth = 64

    let bytes: UnsafeRawBufferPointer
    /// The file named in errors.
    let file: String
    /// The byte offset of the next unread character.
    private(set) var position = 0
    private var depth = 0

    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.bytes = bytes
        self.file = file
    }

    // MARK: - Low-level helpers

    func syntaxError(_ message: String, at offset: Int? = nil) -> SafeTensorsError {
        .invalidJSON(file: file, offset: offset ?? position, message: message)
    }

    /// Whether only whitespace remains.
    mutating func isAtEndAfterWhitespace() -> Bool {
        skipWhitespace()
        return position >= bytes.count
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, without consuming it.
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < bytes.count ? bytes[position] : nil
    }

    /// A short description of the value starting at the next non-whitespace byte, for messages.
    mutating func describeNextValue() -> String {
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

    static func describe(byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7f { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
    }

    private mutating func enterContainer() throws(SafeTensorsError) {
        guard depth < Self.maximumDepth else {
            throw syntaxError("nesting deeper than \(Self.maximumDepth) levels")
        }
        depth += 1
    }

    // MARK: - Containers

    /// Reads an object, calling `member` once per key with the reader positioned at the value,
    /// which `member` must consume (read or skip). Throws on a duplicate key.
    mutating func readObject(
        _ member: (inout StrictJSONReader, _ key: String, _ keyOffset: Int) throws(SafeTensorsError) -> Void
    ) throws(SafeTensorsError) {
        guard peek() == UInt8(ascii: "{") else {
            throw syntaxError("expected an object, found \(describeNextValue())")
        }
        try enterContainer()
        position += 1
        var keys = Set<String>()
        if peek() == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return
        }
        while true {
            guard peek() == UInt8(ascii: "\"") else {
                throw syntaxError("expected a string key, found \(describeNextValue())")
            }
            let keyOffset = position
            let key = try readString()
            guard keys.insert(key).inserted else {
                throw .duplicateKey(file: file, key: key, offset: keyOffset)
            }
            guard peek() == UInt8(ascii: ":") else {
                throw syntaxError("expected ':' after key, found \(describeNextValue())")
            }
            position += 1
            try member(&self, key, keyOffset)
            switch peek() {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return
            default:
                throw syntaxError("expected ',' or '}' in object, found \(describeNextValue())")
            }
        }
    }

    /// Reads an array, calling `element` once per element (with its index) with the reader
    /// positioned at the element, which `element` must consume.
    mutating func readArray(
        _ element: (inout StrictJSONReader, _ index: Int) throws(SafeTensorsError) -> Void
    ) throws(SafeTensorsError) {
        guard peek() == UInt8(ascii: "[") else {
            throw syntaxError("expected an array, found \(describeNextValue())")
        }
        try enterContainer()
        position += 1
        if peek() == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return
        }
        var index = 0
        while true {
            try element(&self, index)
            index += 1
            switch peek() {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return
            default:
                throw syntaxError("expected ',' or ']' in array, found \(describeNextValue())")
            }
        }
    }

    /// Validates and skips one value of any kind.
    mutating func skipValue() throws(SafeTensorsError) {
        guard let byte = peek() else { throw syntaxError("unexpected end of the JSON text") }
        switch byte {
        case UInt8(ascii: "{"):
            try readObject { (reader, _, _) throws(SafeTensorsError) in try reader.skipValue() }
        case UInt8(ascii: "["):
            try readArray { (reader, _) throws(SafeTensorsError) in try reader.skipValue() }
        case UInt8(ascii: "\""):
            _ = try readString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try readNumber()
        case UInt8(ascii: "t"):
            try readLiteral("true")
        case UInt8(ascii: "f"):
            try readLiteral("false")
        case UInt8(ascii: "n"):
            try readLiteral("null")
        default:
            throw syntaxError("unexpected \(Self.describe(byte: byte))")
        }
    }

    /// Consumes `null` if it comes next; returns whether it did.
    mutating func readNullIfPresent() throws(SafeTensorsError) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try readLiteral("null")
        return true
    }

    private mutating func readLiteral(_ word: StaticString) throws(SafeTensorsError) {
        let start = position
        let length = word.utf8CodeUnitCount
        guard bytes.count - position >= length else {
            throw syntaxError("invalid literal (expected \(word))", at: start)
        }
        let pointer = word.utf8Start
        for i in 0..<length where bytes[position + i] != pointer[i] {
            throw syntaxError("invalid literal (expected \(word))", at: start)
        }
        position += length
    }

    // MARK: - Scalars

    /// Reads a string (the reader must be at its opening quote).
    mutating func readString() throws(SafeTensorsError) -> String {
        guard peek() == UInt8(ascii: "\"") else {
            throw syntaxError("expected a string, found \(describeNextValue())")
        }
        let open = position
        position += 1
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
                guard let string = String(validating: text, as: UTF8.self) else {
                    throw syntaxError("string is not valid UTF-8", at: open)
                }
                position += 1
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw syntaxError("unescaped control character in string") }
            position += 1
        }
        guard position < bytes.count else { throw syntaxError("unterminated string", at: open) }
        // Slow path: decode escapes into a byte buffer.
        var buffer = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                guard let string = String(validating: buffer, as: UTF8.self) else {
                    throw syntaxError("string is not valid UTF-8", at: open)
                }
                position += 1
                return string
            }
            if byte < 0x20 { throw syntaxError("unescaped control character in string") }
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
                    throw syntaxError("unpaired low surrogate in \\u escape", at: escapeOffset)
                }
                if (0xD800...0xDBFF).contains(value) {
                    guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"),
                          bytes[position + 1] == UInt8(ascii: "u") else {
                        throw syntaxError("unpaired high surrogate in \\u escape", at: escapeOffset)
                    }
                    position += 2
                    let low = try readHex4(escapeOffset: position - 2)
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw syntaxError("unpaired high surrogate in \\u escape", at: escapeOffset)
                    }
                    value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                }
                Self.appendUTF8(value, to: &buffer)
            default:
                throw syntaxError("invalid escape \\\(Self.describe(byte: code))", at: escapeOffset)
            }
        }
        throw syntaxError("unterminated string", at: open)
    }

    /// Appends the UTF-8 encoding of a scalar value (never a surrogate; at most 0x10FFFF).
    private static func appendUTF8(_ value: UInt32, to buffer: inout [UInt8]) {
        switch value {
        case 0..<0x80:
            buffer.append(UInt8(value))
        case 0x80..<0x800:
            buffer.append(UInt8(0xC0 | (value >> 6)))
            buffer.append(UInt8(0x80 | (value & 0x3F)))
        case 0x800..<0x10000:
            buffer.append(UInt8(0xE0 | (value >> 12)))
            buffer.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            buffer.append(UInt8(0x80 | (value & 0x3F)))
        default:
            buffer.append(UInt8(0xF0 | (value >> 18)))
            buffer.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
            buffer.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            buffer.append(UInt8(0x80 | (value & 0x3F)))
        }
    }

    private mutating func readHex4(escapeOffset: Int) throws(SafeTensorsError) -> UInt32 {
        guard bytes.count - position >= 4 else {
            throw syntaxError("truncated \\u escape", at: escapeOffset)
        }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw syntaxError("invalid hex digit in \\u escape", at: escapeOffset)
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// Reads a number following the JSON grammar exactly.
    mutating func readNumber() throws(SafeTensorsError) -> JSONNumber {
        _ = peek()
        let start = position
        var negative = false
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        func isDigit(_ i: Int) -> Bool {
            i < bytes.count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9")
        }
        guard isDigit(position) else { throw syntaxError("invalid number", at: start) }
        // Integer part, accumulated as a negative value so that Int.min fits.
        var accumulator = 0
        var overflow = false
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if isDigit(position) { throw syntaxError("number with a leading zero", at: start) }
        } else {
            while isDigit(position) {
                let digit = Int(bytes[position] - UInt8(ascii: "0"))
                if !overflow {
                    let (times10, o1) = accumulator.multipliedReportingOverflow(by: 10)
                    let (next, o2) = times10.subtractingReportingOverflow(digit)
                    if o1 || o2 { overflow = true } else { accumulator = next }
                }
                position += 1
            }
        }
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard isDigit(position) else { throw syntaxError("invalid number: no digit after '.'", at: start) }
            while isDigit(position) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard isDigit(position) else { throw syntaxError("invalid number: no digit in exponent", at: start) }
            while isDigit(position) { position += 1 }
        }
        let literal = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        var value: Int?
        if isInteger && !overflow {
            if negative {
                value = accumulator
            } else if accumulator != Int.min {
                value = -accumulator
            }
        }
        return JSONNumber(literal: literal, isInteger: isInteger, integerValue: value)
    }
}
