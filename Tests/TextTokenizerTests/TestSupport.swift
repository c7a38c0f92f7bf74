import Foundation
import Testing
import TextTokenizer

/// The Fixtures directory copied into the test bundle.
func fixtureURL(_ name: String) throws -> URL {
    let base = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    return base.appendingPathComponent(name)
}

/// Objects of a JSON Lines fixture.
func jsonLines(_ name: String) throws -> [[String: Any]] {
    let data = try Data(contentsOf: try fixtureURL(name))
    return try String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}

func ints(_ value: Any?) -> [Int]? {
    (value as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue }
}

/// The bundled tokenizer, loaded once for all tests.
let sharedTokenizer: CLIPTokenizer? = try? CLIPTokenizer()

func bundledTokenizer() throws -> CLIPTokenizer {
    try #require(sharedTokenizer)
}

/// A fresh temporary directory.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("TextTokenizerTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func write(_ text: String, to url: URL) throws {
    try Data(text.utf8).write(to: url)
}

/// Exact equality of Unicode scalars (`==` on String treats canonically equivalent strings as equal).
func sameScalars(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.elementsEqual(b.unicodeScalars)
}
