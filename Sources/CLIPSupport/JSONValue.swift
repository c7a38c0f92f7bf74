/// A parsed JSON value that keeps booleans, numbers and strings apart, for configuration fields
/// whose type varies between files (an image size given as `224` or `[224, 224]`) and for strict
/// validation (Foundation's `JSONSerialization` lets `true` pass as the number 1).
///
/// Made by ``StrictJSONReader/readValue()`` (or ``init(parsing:)``), or decoded from within a
/// `Decodable` type by Foundation's `JSONDecoder`.
package enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Decodes whichever kind of value the decoder holds.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Parses a whole JSON text (one value, then only whitespace; a leading UTF-8 byte order
    /// mark is skipped) with ``StrictJSONReader``.
    /// - Throws: ``JSONSyntaxError`` for malformed text, a repeated key, nesting deeper than
    ///   ``StrictJSONReader/maximumDepth`` or a number too large for a `Double`.
    package init(parsing bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) {
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        let skip = bytes.starts(with: byteOrderMark) ? byteOrderMark.count : 0
        let text = UnsafeRawBufferPointer(rebasing: bytes[skip...])
        var reader = StrictJSONReader(bytes: text)
        do throws(JSONSyntaxError) {
            self = try reader.readValue()
            guard reader.isAtEndAfterWhitespace() else {
                throw reader.syntaxError("unexpected characters after the JSON value")
            }
        } catch {
            throw JSONSyntaxError(error.problem, at: error.offset + skip)
        }
    }

    /// The value as an integer, when it is a number without a fractional part (below 10^15 in
    /// magnitude).
    package var intValue: Int? {
        guard case let .number(value) = self, value.rounded() == value, abs(value) < 1e15 else { return nil }
        return Int(value)
    }

    /// A short rendering for error messages: `[1, 2]`, `{"a": true}`.
    package var summary: String {
        switch self {
        case .null: return "null"
        case let .bool(value): return "\(value)"
        case let .number(value):
            return value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
        case let .string(value): return "\"\(value)\""
        case let .array(values): return "[" + values.map(\.summary).joined(separator: ", ") + "]"
        case let .object(members):
            return "{" + members.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value.summary)" }
                .joined(separator: ", ") + "}"
        }
    }
}
