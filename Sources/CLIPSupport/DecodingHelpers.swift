/// A coding key for any string, to list the keys a JSON object actually has.
package struct AnyCodingKey: CodingKey {
    /// The key.
    package var stringValue: String
    /// Always `nil`: these keys name object members.
    package var intValue: Int? { nil }
    /// The key `string`.
    package init(_ string: String) { stringValue = string }
    /// The key `stringValue`.
    package init?(stringValue: String) { self.stringValue = stringValue }
    /// Always `nil`: these keys name object members.
    package init?(intValue: Int) { return nil }
}

extension Decoder {
    /// The keys of the JSON object being decoded that are not in `known`, sorted.
    package func unknownKeys<Key: CodingKey & CaseIterable>(besides known: Key.Type) throws -> [String] {
        let container = try container(keyedBy: AnyCodingKey.self)
        let knownNames = Set(Key.allCases.map(\.stringValue))
        return container.allKeys.map(\.stringValue).filter { !knownNames.contains($0) }.sorted()
    }
}

extension KeyedDecodingContainer {
    /// The value at `key`, or `fallback` when the key is absent or `null`.
    package func value<T: Decodable>(_ key: Key, default fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }
}
