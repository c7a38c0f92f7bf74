import Foundation

/// Any JSON value, for configuration fields whose type varies between files (an image size
/// given as `224` or `[224, 224]`, `eos_token_id` as a number or a list).
enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
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

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(value): try container.encode(value)
        case let .number(value): try container.encode(value)
        case let .string(value): try container.encode(value)
        case let .array(value): try container.encode(value)
        case let .object(value): try container.encode(value)
        }
    }

    /// The value as an integer, when it is a number without a fractional part.
    var intValue: Int? {
        guard case let .number(value) = self, value.rounded() == value, abs(value) < 1e15 else { return nil }
        return Int(value)
    }
}

/// A coding key for any string, to list the keys a JSON object actually has.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

extension Decoder {
    /// The keys of the JSON object being decoded that are not in `known`, sorted.
    func unknownKeys<Key: CodingKey & CaseIterable>(besides known: Key.Type) throws -> [String] {
        let container = try container(keyedBy: AnyCodingKey.self)
        let knownNames = Set(Key.allCases.map(\.stringValue))
        return container.allKeys.map(\.stringValue).filter { !knownNames.contains($0) }.sorted()
    }
}

extension KeyedDecodingContainer {
    /// The value at `key`, or `fallback` when the key is absent or `null`.
    func value<T: Decodable>(_ key: Key, default fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }

    /// A square size given either as one integer or as a list of two equal integers.
    /// Returns `nil` when absent; throws for other shapes, including rectangles.
    func squareSize(_ key: Key) throws -> Int? {
        guard let raw = try decodeIfPresent(JSONValue.self, forKey: key) else { return nil }
        switch raw {
        case .null:
            return nil
        case .number:
            if let value = raw.intValue { return value }
        case let .array(items) where items.count == 2:
            if let first = items[0].intValue, let second = items[1].intValue {
                if first == second { return first }
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: self,
                    debugDescription: "non-square size [\(first), \(second)] is not supported")
            }
        default:
            break
        }
        throw DecodingError.dataCorruptedError(
            forKey: key, in: self, debugDescription: "expected an integer or a list of two integers")
    }
}

/// Decodes a configuration file, turning decoding failures into `CLIPModelError` values that
/// name the file and the key.
func decodeConfiguration<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws(CLIPModelError) -> T {
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let error as CLIPModelError {
        throw error
    } catch let error as DecodingError {
        throw describe(error, file: file)
    } catch {
        throw .invalidConfiguration(file: file, key: "", reason: "\(error)")
    }
}

private func describe(_ error: DecodingError, file: String) -> CLIPModelError {
    func path(_ codingPath: [CodingKey], _ last: CodingKey? = nil) -> String {
        (codingPath + (last.map { [$0] } ?? [])).map { $0.intValue.map(String.init) ?? $0.stringValue }
            .joined(separator: ".")
    }
    switch error {
    case let .typeMismatch(type, context):
        return .invalidConfiguration(file: file, key: path(context.codingPath),
                                     reason: "expected a value of type \(type)")
    case let .valueNotFound(type, context):
        return .invalidConfiguration(file: file, key: path(context.codingPath),
                                     reason: "expected a value of type \(type), found null")
    case let .keyNotFound(key, context):
        return .invalidConfiguration(file: file, key: path(context.codingPath, key), reason: "required key is missing")
    case let .dataCorrupted(context):
        let underlying = (context.underlyingError as NSError?)?.localizedDescription
        let reason = context.codingPath.isEmpty
            ? "not valid JSON" + (underlying.map { " (\($0))" } ?? "")
            : context.debugDescription
        return .invalidConfiguration(file: file, key: path(context.codingPath), reason: reason)
    @unknown default:
        return .invalidConfiguration(file: file, key: "", reason: "\(error)")
    }
}
