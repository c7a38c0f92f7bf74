import CLIPSupport
import Foundation

/// Typed access to the members of one JSON object, with errors naming the file and key path.
struct ConfigReader {
    let members: [String: JSONValue]
    let file: String
    let prefix: String

    /// The root object of the JSON text `data` (read by the package's strict reader).
    init(data: Data, file: String) throws(ImageProcessingError) {
        let parsed = data.withUnsafeBytes { bytes in Result { () throws(JSONSyntaxError) in try JSONValue(parsing: bytes) } }
        guard case let .success(root) = parsed else {
            throw .invalidConfiguration(file: file, key: "<root>", reason: "not valid JSON")
        }
        guard case let .object(members) = root else {
            throw .invalidConfiguration(file: file, key: "<root>", reason: "expected a JSON object, got \(root.summary)")
        }
        self.init(members: members, file: file, prefix: "")
    }

    init(members: [String: JSONValue], file: String, prefix: String) {
        self.members = members
        self.file = file
        self.prefix = prefix
    }

    func emptyChild(prefix: String) -> ConfigReader {
        ConfigReader(members: [:], file: file, prefix: prefix)
    }

    private func fail(_ key: String, _ reason: String) -> ImageProcessingError {
        .invalidConfiguration(file: file, key: prefix + key, reason: reason)
    }

    /// The value of `key`, treating JSON `null` as absent.
    func value(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func object(_ key: String, prefix childPrefix: String) throws(ImageProcessingError) -> ConfigReader? {
        guard let value = value(key) else { return nil }
        guard case let .object(members) = value else { throw fail(key, "expected an object, got \(value.summary)") }
        return ConfigReader(members: members, file: file, prefix: childPrefix + key + ".")
    }

    func bool(_ key: String) throws(ImageProcessingError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case let .bool(flag) = value else { throw fail(key, "expected true or false, got \(value.summary)") }
        return flag
    }

    func string(_ key: String) throws(ImageProcessingError) -> String? {
        guard let value = value(key) else { return nil }
        guard case let .string(text) = value else { throw fail(key, "expected a string, got \(value.summary)") }
        return text
    }

    func number(_ key: String) throws(ImageProcessingError) -> Double? {
        guard let value = value(key) else { return nil }
        guard case let .number(number) = value, number.isFinite else { throw fail(key, "expected a number, got \(value.summary)") }
        return number
    }

    func integer(_ key: String) throws(ImageProcessingError) -> Int? {
        guard let value = value(key) else { return nil }
        return try integer(value, key: key)
    }

    func integer(_ value: JSONValue, key: String) throws(ImageProcessingError) -> Int {
        guard let integer = value.intValue else { throw fail(key, "expected an integer, got \(value.summary)") }
        return integer
    }

    /// One number for all three channels, or three numbers.
    func channelValues(_ key: String) throws(ImageProcessingError) -> [Float]? {
        guard let value = value(key) else { return nil }
        switch value {
        case let .number(number) where number.isFinite:
            return Array(repeating: Float(number), count: 3)
        case let .array(items) where items.count == 3:
            var values: [Float] = []
            for item in items {
                guard case let .number(number) = item, number.isFinite else {
                    throw fail(key, "expected 3 numbers, got \(value.summary)")
                }
                values.append(Float(number))
            }
            return values
        default:
            throw fail(key, "expected a number or 3 numbers (one per RGB channel), got \(value.summary)")
        }
    }

    /// An integer, a one- or two-element list, or `{"height", "width"}` as (height, width).
    func heightWidth(_ value: JSONValue, key: String) throws(ImageProcessingError) -> (Int, Int) {
        switch value {
        case .number:
            let size = try integer(value, key: key)
            return (size, size)
        case let .array(items) where items.count == 1:
            let size = try integer(items[0], key: key)
            return (size, size)
        case let .array(items) where items.count == 2:
            return (try integer(items[0], key: key), try integer(items[1], key: key))
        case let .object(members) where Set(members.keys) == ["height", "width"]:
            return (try integer(members["height"] ?? .null, key: key + ".height"),
                    try integer(members["width"] ?? .null, key: key + ".width"))
        default:
            throw fail(key, "expected an integer, [height, width] or {\"height\", \"width\"}, got \(value.summary)")
        }
    }

    func resize(_ value: JSONValue, key: String, defaultToSquare: Bool) throws(ImageProcessingError)
        -> PreprocessingConfiguration.Resize
    {
        switch value {
        case .number:
            let size = try integer(value, key: key)
            return defaultToSquare ? .exact(height: size, width: size) : .shortestEdge(size)
        case let .object(members):
            let keys = Set(members.keys)
            if keys == ["shortest_edge"] {
                return .shortestEdge(try integer(members["shortest_edge"] ?? .null, key: key + ".shortest_edge"))
            }
            if keys == ["shortest_edge", "longest_edge"] {
                return .shortestEdgeLimited(
                    shortest: try integer(members["shortest_edge"] ?? .null, key: key + ".shortest_edge"),
                    longest: try integer(members["longest_edge"] ?? .null, key: key + ".longest_edge"))
            }
            if keys == ["height", "width"] {
                let (height, width) = try heightWidth(value, key: key)
                return .exact(height: height, width: width)
            }
            throw fail(key, "unsupported keys \(keys.sorted()); expected {\"shortest_edge\"}, "
                + "{\"shortest_edge\", \"longest_edge\"} or {\"height\", \"width\"}")
        default:
            let (height, width) = try heightWidth(value, key: key)
            return .exact(height: height, width: width)
        }
    }

    func cropSize(_ value: JSONValue, key: String) throws(ImageProcessingError) -> PreprocessingConfiguration.CropSize {
        let (height, width) = try heightWidth(value, key: key)
        return PreprocessingConfiguration.CropSize(height: height, width: width)
    }
}
