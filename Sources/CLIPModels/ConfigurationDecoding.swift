import CLIPSupport
import Foundation

extension KeyedDecodingContainer {
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

extension KeyedDecodingContainer {
    /// A token id given as an integer or as a list of integers (its first element is kept);
    /// `nil` for `null`, `fallback` when absent.
    func tokenID(_ key: Key, default fallback: Int?) throws -> Int? {
        guard contains(key) else { return fallback }
        switch try decode(JSONValue.self, forKey: key) {
        case .null:
            return nil
        case let .array(items):
            return items.first?.intValue
        case let value:
            guard let id = value.intValue else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: self, debugDescription: "expected an integer or a list of integers")
            }
            return id
        }
    }
}

/// Decodes a configuration file, turning decoding failures into `CLIPModelError` values that
/// name the file and the key.
package func decodeConfiguration<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws(CLIPModelError) -> T {
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
