import Foundation

/// A parsed JSON value that keeps booleans, numbers and strings apart, for strict validation of
/// configuration files (Foundation's `JSONSerialization` lets `true` pass as the number 1).
enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
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

    /// Parses `data`, or returns `nil` when it is not JSON.
    static func parse(_ data: Data) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// A short rendering for error messages.
    var summary: String {
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
