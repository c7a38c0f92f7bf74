// HTML character-reference decoding with the semantics of Python 3.11's `html.unescape` and of
// ftfy 6.3.1's `fixes.unescape_html`. The entity table is a fact (WHATWG HTML5 named character
// references, via Python's html.entities.html5); the logic is written here from the standard's rules.

final class HTMLEntityTable: Sendable {
    static let shared = HTMLEntityTable()

    /// HTML5 names (with or without the trailing `;` as the standard lists them) → scalars.
    let html5: [String: [UInt32]]
    /// ftfy's table: HTML5 names ending in `;`, plus upper-cased variants of some lowercase names.
    let ftfyUppercase: [String: [UInt32]]
    let invalidCharrefs: [UInt32: [UInt32]]
    let invalidCodepoints: Set<UInt32>

    private init() {
        func table(_ text: String) -> [String: [UInt32]] {
            var result: [String: [UInt32]] = [:]
            for field in TableParser.fields(text) {
                guard let colon = field.lastIndex(of: ":") else { continue }
                result[String(field[..<colon])] = field[field.index(after: colon)...].split(separator: ",").map(TableParser.hex)
            }
            return result
        }
        html5 = table(GeneratedHTMLTables.html5Entities)
        ftfyUppercase = table(GeneratedHTMLTables.ftfyUppercaseEntities)
        invalidCharrefs = TableParser.mappings(GeneratedHTMLTables.invalidCharrefs)
        invalidCodepoints = Set(TableParser.fields(GeneratedHTMLTables.invalidCodepoints).map(TableParser.hex))
    }
}

enum HTMLUnescaper {
    private static let ampersand: UInt32 = 0x26
    private static let hash: UInt32 = 0x23
    private static let semicolon: UInt32 = 0x3B

    @inline(__always) static func isASCIIDigit(_ s: UInt32) -> Bool { s >= 0x30 && s <= 0x39 }
    @inline(__always) static func isASCIIHexDigit(_ s: UInt32) -> Bool {
        isASCIIDigit(s) || (s >= 0x41 && s <= 0x46) || (s >= 0x61 && s <= 0x66)
    }
    @inline(__always) static func isASCIIAlnum(_ s: UInt32) -> Bool {
        isASCIIDigit(s) || (s >= 0x41 && s <= 0x5A) || (s >= 0x61 && s <= 0x7A)
    }

    /// The scalars a numeric character reference stands for (`_replace_charref` of Python's html module).
    /// `value` is saturated: anything above U+10FFFF stays above it.
    static func numericReference(_ value: UInt32) -> [UInt32] {
        let table = HTMLEntityTable.shared
        if let replacement = table.invalidCharrefs[value] { return replacement }
        if (0xD800...0xDFFF).contains(value) || value > 0x10FFFF { return [0xFFFD] }
        if table.invalidCodepoints.contains(value) { return [] }
        return [value]
    }

    private static func name(_ scalars: ArraySlice<UInt32>) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(scalars.count)
        for scalar in scalars {
            guard scalar < 128 else { return nil }
            bytes.append(UInt8(scalar))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Python's `html.unescape`.
    static func pythonUnescape(_ text: [UInt32]) -> [UInt32] {
        guard text.contains(ampersand) else { return text }
        let table = HTMLEntityTable.shared
        var output: [UInt32] = []
        output.reserveCapacity(text.count)
        let count = text.count
        var i = 0
        while i < count {
            let scalar = text[i]
            if scalar != ampersand {
                output.append(scalar)
                i += 1
                continue
            }
            let j = i + 1
            if j < count && text[j] == hash {
                // `#[0-9]+;?` then `#[xX][0-9a-fA-F]+;?`
                var k = j + 1
                var value: UInt32 = 0
                while k < count && isASCIIDigit(text[k]) {
                    value = min(value &* 10 &+ (text[k] - 0x30), 0x110000)
                    k += 1
                }
                if k == j + 1, j + 1 < count, text[j + 1] == 0x78 || text[j + 1] == 0x58 {
                    k = j + 2
                    while k < count && isASCIIHexDigit(text[k]) {
                        let digit = text[k] <= 0x39 ? text[k] - 0x30 : (text[k] | 0x20) - 0x61 + 10
                        value = min(value &* 16 &+ digit, 0x110000)
                        k += 1
                    }
                    if k == j + 2 { output.append(scalar); i += 1; continue }
                } else if k == j + 1 {
                    output.append(scalar)
                    i += 1
                    continue
                }
                if k < count && text[k] == semicolon { k += 1 }
                output.append(contentsOf: numericReference(value))
                i = k
                continue
            }
            // `[^\t\n\f <&#;]{1,32};?`
            var k = j
            while k < count && k - j < 32 {
                let s = text[k]
                if s == 0x09 || s == 0x0A || s == 0x0C || s == 0x20 || s == 0x3C || s == ampersand || s == hash || s == semicolon { break }
                k += 1
            }
            if k == j {
                output.append(scalar)
                i += 1
                continue
            }
            let end = (k < count && text[k] == semicolon) ? k + 1 : k
            let reference = text[j..<end]
            if let key = name(reference), let value = table.html5[key] {
                output.append(contentsOf: value)
            } else {
                var matched = false
                var length = reference.count - 1
                while length >= 2 {
                    if let key = name(reference.prefix(length)), let value = table.html5[key] {
                        output.append(contentsOf: value)
                        output.append(contentsOf: reference.dropFirst(length))
                        matched = true
                        break
                    }
                    length -= 1
                }
                if !matched {
                    output.append(ampersand)
                    output.append(contentsOf: reference)
                }
            }
            i = end
        }
        return output
    }

    /// ftfy's `unescape_html`: only `&#?[0-9A-Za-z]{1,24};` references, HTML5 names ending in `;`
    /// (and some upper-cased ones), numeric references that decode completely.
    static func ftfyUnescape(_ text: [UInt32]) -> [UInt32] {
        guard text.contains(ampersand) else { return text }
        let table = HTMLEntityTable.shared
        var output: [UInt32] = []
        output.reserveCapacity(text.count)
        let count = text.count
        var i = 0
        while i < count {
            let scalar = text[i]
            guard scalar == ampersand else {
                output.append(scalar)
                i += 1
                continue
            }
            var j = i + 1
            let numeric = j < count && text[j] == hash
            if numeric { j += 1 }
            var k = j
            while k < count && k - j < 24 && isASCIIAlnum(text[k]) { k += 1 }
            guard k > j, k < count, text[k] == semicolon else {
                output.append(scalar)
                i += 1
                continue
            }
            let match = text[i...k]
            if !numeric, let key = name(text[(i + 1)...k]), let value = table.html5[key] ?? table.ftfyUppercase[key] {
                output.append(contentsOf: value)
            } else if numeric {
                let decoded = pythonUnescape(Array(match))
                if decoded.contains(semicolon) { output.append(contentsOf: match) } else { output.append(contentsOf: decoded) }
            } else {
                output.append(contentsOf: match)
            }
            i = k + 1
        }
        return output
    }
}
