#if Server
import CLIPSupport
import Foundation

/// The top-level object of a JSON request body, read strictly: a syntax error, a repeated key,
/// a key the route does not know or a value of the wrong type is a 400 naming the field.
struct RequestObject {
    private let members: [String: JSONValue]

    /// Parses `body` as one JSON object whose keys are all in `allowedKeys`.
    init(parsing body: [UInt8], allowedKeys: Set<String>) throws(APIError) {
        guard !body.isEmpty else { throw APIError.invalid("the request body is empty; send a JSON object", param: nil, code: "invalid_json") }
        let value: JSONValue
        do {
            value = try body.withUnsafeBytes { (bytes) throws(JSONSyntaxError) in try JSONValue(parsing: bytes) }
        } catch let error as JSONSyntaxError {
            throw APIError.invalid("the body is not valid JSON: \(error.message) at byte \(error.offset)", param: nil,
                                   code: "invalid_json")
        } catch {
            throw APIError.invalid("the body is not valid JSON: \(error)", param: nil, code: "invalid_json")
        }
        guard case let .object(members) = value else {
            throw APIError.invalid("the body must be a JSON object, not \(value.kindName)", param: nil, code: "invalid_json")
        }
        if let unknown = members.keys.sorted().first(where: { !allowedKeys.contains($0) }) {
            let known = allowedKeys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            throw APIError.invalid("unknown field \(unknown.quotedForMessage); the fields are \(known)", param: unknown,
                                   code: "unknown_parameter")
        }
        self.members = members
    }

    /// The value of `key`, nil when absent or `null`.
    subscript(key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    /// `key`'s string, nil when absent.
    func string(_ key: String) throws(APIError) -> String? {
        guard let value = self[key] else { return nil }
        return try value.string(param: key)
    }

    /// `key`'s whole number in `range`, nil when absent.
    func integer(_ key: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let value = self[key] else { return nil }
        guard let number = value.intValue else {
            throw APIError.invalid("\(key) must be a whole number, not \(value.kindName)", param: key, code: "invalid_type")
        }
        guard range.contains(number) else {
            throw APIError.invalid("\(key) must be between \(range.lowerBound) and \(range.upperBound), got \(number)",
                                   param: key, code: "invalid_value")
        }
        return number
    }

    /// `key`'s array of strings, nil when absent.
    func strings(_ key: String) throws(APIError) -> [String]? {
        guard let value = self[key] else { return nil }
        guard case let .array(items) = value else {
            throw APIError.invalid("\(key) must be an array of strings, not \(value.kindName)", param: key, code: "invalid_type")
        }
        var result: [String] = []
        result.reserveCapacity(items.count)
        for (index, item) in items.enumerated() { result.append(try item.string(param: "\(key)[\(index)]")) }
        return result
    }
}

extension JSONValue {
    /// `a string`, `an array`, ... for messages.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The string, else a 400 naming `param`.
    func string(param: String) throws(APIError) -> String {
        guard case let .string(text) = self else {
            throw APIError.invalid("\(param) must be a string, not \(kindName)", param: param, code: "invalid_type")
        }
        return text
    }
}
#endif
