/// A strict, streaming reader for RFC 8259 JSON text held in memory.
///
/// It builds no document tree unless asked (``readValue()``): callers walk objects and arrays
/// with ``readObject(_:)`` and ``readArray(_:)`` and read or skip each value, so memory use stays
/// proportional to what they keep. Unlike `JSONSerialization` it rejects duplicate keys in every
/// object (kept values and skipped ones alike). Nesting is limited to ``maximumDepth`` levels,
/// strings must be valid UTF-8 without raw control characters, `\u` escapes must pair
/// surrogates, and numbers follow the JSON grammar exactly (``JSONScanner``). Every step is
/// linear in the input size.
///
/// Syntax errors are ``JSONSyntaxError`` values that the reader hands to the `wrap` function it
/// was made with, so every method throws the caller's own error type (`Failure`) — the same
/// type the caller's `readObject` / `readArray` closures throw.
package struct StrictJSONReader<Failure: Error> {
    /// The deepest nesting of objects and arrays accepted.
    package static var maximumDepth: Int { 64 }

    private var scanner: JSONScanner
    private let wrap: (JSONSyntaxError) -> Failure
    private var depth = 0

    /// A reader at the start of `bytes` (kept alive by the caller) whose syntax errors become
    /// `wrap(error)`.
    package init(bytes: UnsafeRawBufferPointer, wrap: @escaping (JSONSyntaxError) -> Failure) {
        self.scanner = JSONScanner(bytes: bytes)
        self.wrap = wrap
    }

    /// The byte offset of the next unread character.
    package var position: Int { scanner.position }

    // MARK: - Low-level helpers

    /// The caller's error for `message` at `offset` (default: the current position).
    package func syntaxError(_ message: String, at offset: Int? = nil) -> Failure {
        wrap(JSONSyntaxError(.unexpected(message), at: offset ?? scanner.position))
    }

    /// Whether only whitespace remains.
    package mutating func isAtEndAfterWhitespace() -> Bool {
        scanner.skipWhitespace()
        return scanner.isAtEnd
    }

    /// The next non-whitespace byte, without consuming it.
    package mutating func peek() -> UInt8? { scanner.peek() }

    /// A short description of the value starting at the next non-whitespace byte, for messages.
    package mutating func describeNextValue() -> String { scanner.describeNextValue() }

    /// Consumes the opening bracket (the caller checked it), counting the nesting, and then
    /// `close` if it follows at once; returns whether the container was empty (and is left).
    private mutating func enterContainer(closedBy close: UInt8) throws(Failure) -> Bool {
        guard depth < Self.maximumDepth else {
            throw wrap(JSONSyntaxError(.nestingTooDeep(limit: Self.maximumDepth), at: scanner.position))
        }
        depth += 1
        scanner.position += 1
        guard peek() == close else { return false }
        scanner.position += 1
        depth -= 1
        return true
    }

    /// After a member or element of `container` (`object`, `array`): consumes `,` (returning
    /// `false`: another one follows) or `close` (returning `true`: the container is left).
    private mutating func endsContainer(closedBy close: UInt8, in container: String) throws(Failure) -> Bool {
        switch peek() {
        case UInt8(ascii: ","):
            scanner.position += 1
            return false
        case close:
            scanner.position += 1
            depth -= 1
            return true
        default:
            let bracket = Character(Unicode.Scalar(close))
            throw syntaxError("expected ',' or '\(bracket)' in \(container), found \(describeNextValue())")
        }
    }

    // MARK: - Containers

    /// Reads an object, calling `member` once per key with the reader positioned at the value,
    /// which `member` must consume (read or skip). Throws on a duplicate key
    /// (``JSONSyntaxError/Problem/duplicateKey(_:)`` at the key's opening quote).
    package mutating func readObject(
        _ member: (inout StrictJSONReader, _ key: String, _ keyOffset: Int) throws(Failure) -> Void
    ) throws(Failure) {
        guard peek() == UInt8(ascii: "{") else {
            throw syntaxError("expected an object, found \(describeNextValue())")
        }
        if try enterContainer(closedBy: UInt8(ascii: "}")) { return }
        var keys = Set<String>()
        while true {
            guard peek() == UInt8(ascii: "\"") else {
                throw syntaxError("expected a string key, found \(describeNextValue())")
            }
            let keyOffset = scanner.position
            let key = try readString()
            guard keys.insert(key).inserted else {
                throw wrap(JSONSyntaxError(.duplicateKey(key), at: keyOffset))
            }
            guard peek() == UInt8(ascii: ":") else {
                throw syntaxError("expected ':' after key, found \(describeNextValue())")
            }
            scanner.position += 1
            try member(&self, key, keyOffset)
            if try endsContainer(closedBy: UInt8(ascii: "}"), in: "object") { return }
        }
    }

    /// Reads an array, calling `element` once per element (with its index) with the reader
    /// positioned at the element, which `element` must consume.
    package mutating func readArray(
        _ element: (inout StrictJSONReader, _ index: Int) throws(Failure) -> Void
    ) throws(Failure) {
        guard peek() == UInt8(ascii: "[") else {
            throw syntaxError("expected an array, found \(describeNextValue())")
        }
        if try enterContainer(closedBy: UInt8(ascii: "]")) { return }
        var index = 0
        while true {
            try element(&self, index)
            index += 1
            if try endsContainer(closedBy: UInt8(ascii: "]"), in: "array") { return }
        }
    }

    /// Validates and skips one value of any kind.
    package mutating func skipValue() throws(Failure) {
        guard let byte = peek() else { throw syntaxError("unexpected end of the JSON text") }
        switch byte {
        case UInt8(ascii: "{"):
            try readObject { (reader, _, _) throws(Failure) in try reader.skipValue() }
        case UInt8(ascii: "["):
            try readArray { (reader, _) throws(Failure) in try reader.skipValue() }
        case UInt8(ascii: "\""):
            _ = try readString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try readNumber()
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            _ = try readLiteral()
        default:
            throw syntaxError("unexpected \(JSONScanner.describe(byte: byte))")
        }
    }

    /// Reads one value of any kind into a tree (objects keep no order; numbers become `Double`s,
    /// and one too large for a `Double` is an error).
    package mutating func readValue() throws(Failure) -> JSONValue {
        guard let byte = peek() else { throw syntaxError("unexpected end of the JSON text") }
        switch byte {
        case UInt8(ascii: "{"):
            var members: [String: JSONValue] = [:]
            try readObject { (reader, key, _) throws(Failure) in members[key] = try reader.readValue() }
            return .object(members)
        case UInt8(ascii: "["):
            var elements: [JSONValue] = []
            try readArray { (reader, _) throws(Failure) in elements.append(try reader.readValue()) }
            return .array(elements)
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let number = try readNumber()
            guard let value = Double(literal(of: number)), value.isFinite else {
                throw wrap(JSONSyntaxError(.numberOutOfRange, at: number.byteRange.lowerBound))
            }
            return .number(value)
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            return try readLiteral().map(JSONValue.bool) ?? .null
        default:
            throw syntaxError("unexpected \(JSONScanner.describe(byte: byte))")
        }
    }

    /// Consumes `null` if it comes next; returns whether it did.
    package mutating func readNullIfPresent() throws(Failure) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try scan { (scanner) throws(JSONSyntaxError) in try scanner.readLiteral("null") }
        return true
    }

    /// Reads `true` or `false` (returned) or `null` (`nil`), chosen by the next byte.
    private mutating func readLiteral() throws(Failure) -> Bool? {
        switch peek() {
        case UInt8(ascii: "t"):
            try scan { (scanner) throws(JSONSyntaxError) in try scanner.readLiteral("true") }
            return true
        case UInt8(ascii: "f"):
            try scan { (scanner) throws(JSONSyntaxError) in try scanner.readLiteral("false") }
            return false
        default:
            try scan { (scanner) throws(JSONSyntaxError) in try scanner.readLiteral("null") }
            return nil
        }
    }

    // MARK: - Scalars

    /// Reads a string (the next non-whitespace byte must be its opening quote).
    package mutating func readString() throws(Failure) -> String {
        try scan { (scanner) throws(JSONSyntaxError) in try scanner.readString() }
    }

    /// Reads a number following the JSON grammar exactly.
    package mutating func readNumber() throws(Failure) -> JSONNumber {
        try scan { (scanner) throws(JSONSyntaxError) in try scanner.readNumber() }
    }

    /// The literal text of a number read by this reader: `"-12"`, `"1.5e3"`.
    package func literal(of number: JSONNumber) -> String { scanner.text(number.byteRange) }

    /// Runs one scanner step, wrapping its syntax error.
    private mutating func scan<T>(_ step: (inout JSONScanner) throws(JSONSyntaxError) -> T) throws(Failure) -> T {
        do {
            return try step(&scanner)
        } catch {
            throw wrap(error)
        }
    }
}

extension StrictJSONReader where Failure == JSONSyntaxError {
    /// A reader that throws ``JSONSyntaxError`` itself.
    package init(bytes: UnsafeRawBufferPointer) {
        self.init(bytes: bytes, wrap: { $0 })
    }
}
