// Unicode facts the cleaning and pre-tokenization need, as Python 3.11.7 and the `regex`
// module see them (see Generated/UnicodeTables.swift and Scripts/generate_tokenizer_tables.py).

/// Parsing helpers for the compact hex tables in Generated/.
enum TableParser {
    /// Splits a table on spaces and newlines.
    static func fields(_ text: String) -> [Substring] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" })
    }

    static func hex(_ text: Substring) -> UInt32 {
        var value: UInt32 = 0
        for byte in text.utf8 {
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            default: digit = 0
            }
            value = value &* 16 &+ digit
        }
        return value
    }

    /// `a-b` or `a` → inclusive range.
    static func range(_ text: Substring) -> ClosedRange<UInt32> {
        if let dash = text.firstIndex(of: "-") {
            let low = hex(text[..<dash])
            let high = hex(text[text.index(after: dash)...])
            return low...max(low, high)
        }
        let value = hex(text)
        return value...value
    }

    static func ranges(_ text: String) -> [ClosedRange<UInt32>] {
        fields(text).map(range)
    }

    /// `cp:s1,s2` entries → dictionary of code point to scalars.
    static func mappings(_ text: String) -> [UInt32: [UInt32]] {
        var result: [UInt32: [UInt32]] = [:]
        for field in fields(text) {
            guard let colon = field.firstIndex(of: ":") else { continue }
            let key = hex(field[..<colon])
            result[key] = field[field.index(after: colon)...].split(separator: ",").map(hex)
        }
        return result
    }
}

/// Per-scalar flags, looked up in a two-stage table.
struct ScalarFlags: OptionSet, Sendable {
    let rawValue: UInt16
    /// `[\p{L}]` (regex module, IGNORECASE).
    static let letter = ScalarFlags(rawValue: 1 << 0)
    /// `[\p{N}]` (regex module, IGNORECASE).
    static let number = ScalarFlags(rawValue: 1 << 1)
    /// `[^\s\p{L}\p{N}]` (regex module, IGNORECASE).
    static let other = ScalarFlags(rawValue: 1 << 2)
    /// Python `str.isspace()`.
    static let space = ScalarFlags(rawValue: 1 << 3)
    /// Python `str.isalnum()`.
    static let alnum = ScalarFlags(rawValue: 1 << 4)
    /// Python `str.isdecimal()`.
    static let decimal = ScalarFlags(rawValue: 1 << 5)
    /// Skipped by the Final_Sigma context test of `str.lower()`.
    static let caseIgnorable = ScalarFlags(rawValue: 1 << 6)
    /// Cased for the Final_Sigma context test.
    static let cased = ScalarFlags(rawValue: 1 << 7)
    /// May make NFC differ from its input.
    static let nfcSensitive = ScalarFlags(rawValue: 1 << 8)
    /// `str.lower()` changes it.
    static let lowercaseChanges = ScalarFlags(rawValue: 1 << 9)
    /// A non-ASCII member of one of ftfy's mojibake character classes.
    static let mojibakeClue = ScalarFlags(rawValue: 1 << 10)
    /// A character one of the per-character cleaning steps (C1, ligature, width, quote, line break,
    /// control) would change, or the escape/ampersand that starts a sequence they handle.
    static let cleanupCandidate = ScalarFlags(rawValue: 1 << 11)
}

/// A two-stage lookup table of 16-bit values for every code point: blocks of `2^blockShift`
/// values, identical blocks stored once, and an index of blocks.
struct TwoStageTable: Sendable {
    private let blockShift: Int
    private let index: [UInt16]
    private let blocks: [UInt16]

    /// The table of `flat` (`0x110000` values, one per code point).
    init(_ flat: [UInt16], blockShift: Int) {
        self.blockShift = blockShift
        let blockSize = 1 << blockShift
        var index = [UInt16]()
        index.reserveCapacity(flat.count >> blockShift)
        var blocks = [UInt16]()
        var seen: [[UInt16]: UInt16] = [:]
        var start = 0
        while start + blockSize <= flat.count {
            let block = Array(flat[start..<(start + blockSize)])
            if let existing = seen[block] {
                index.append(existing)
            } else {
                let number = UInt16(blocks.count >> blockShift)
                seen[block] = number
                blocks.append(contentsOf: block)
                index.append(number)
            }
            start += blockSize
        }
        self.index = index
        self.blocks = blocks
    }

    /// The value of `scalar` (0 above U+10FFFF).
    @inline(__always)
    subscript(_ scalar: UInt32) -> UInt16 {
        guard scalar < 0x110000 else { return 0 }
        let block = Int(index[Int(scalar >> UInt32(blockShift))])
        return blocks[(block << blockShift) | Int(scalar & UInt32((1 << blockShift) - 1))]
    }
}

/// Two-stage lookup table of `ScalarFlags` for every code point.
struct ScalarPropertyTable: Sendable {
    private let table: TwoStageTable

    init(assigning assignments: [(ScalarFlags, [ClosedRange<UInt32>])]) {
        var flat = [UInt16](repeating: 0, count: 0x110000)
        for (flag, ranges) in assignments {
            for range in ranges where range.lowerBound < 0x110000 {
                for scalar in range.lowerBound...min(range.upperBound, 0x10FFFF) {
                    flat[Int(scalar)] |= flag.rawValue
                }
            }
        }
        table = TwoStageTable(flat, blockShift: 7)
    }

    @inline(__always)
    func flags(_ scalar: UInt32) -> ScalarFlags { ScalarFlags(rawValue: table[scalar]) }
}

/// All Unicode data the tokenizer uses, built once from the generated tables.
final class UnicodeData: Sendable {
    static let shared = UnicodeData()

    let table: ScalarPropertyTable
    /// `str.lower()` of code points whose lowercase is one scalar.
    let lowercaseSingle: [UInt32: UInt32]
    /// `str.lower()` of code points whose lowercase is several scalars.
    let lowercaseMultiple: [UInt32: [UInt32]]
    let combiningClass: [UInt32: UInt8]
    let decomposition: [UInt32: [UInt32]]
    let composition: [UInt64: UInt32]

    private init() {
        let lowercase = TableParser.mappings(GeneratedUnicodeTables.lowercase)
        var single: [UInt32: UInt32] = [:]
        var multiple: [UInt32: [UInt32]] = [:]
        for (key, value) in lowercase {
            if value.count == 1 { single[key] = value[0] } else { multiple[key] = value }
        }
        lowercaseSingle = single
        lowercaseMultiple = multiple

        var ccc: [UInt32: UInt8] = [:]
        for field in TableParser.fields(GeneratedUnicodeTables.canonicalCombiningClass) {
            guard let colon = field.firstIndex(of: ":") else { continue }
            let range = TableParser.range(field[..<colon])
            let value = UInt8(field[field.index(after: colon)...]) ?? 0
            for scalar in range { ccc[scalar] = value }
        }
        combiningClass = ccc
        decomposition = TableParser.mappings(GeneratedUnicodeTables.canonicalDecomposition)
        var composition: [UInt64: UInt32] = [:]
        for field in TableParser.fields(GeneratedUnicodeTables.primaryComposites) {
            guard let plus = field.firstIndex(of: "+"), let colon = field.firstIndex(of: ":") else { continue }
            let first = TableParser.hex(field[..<plus])
            let second = TableParser.hex(field[field.index(after: plus)..<colon])
            let composite = TableParser.hex(field[field.index(after: colon)...])
            composition[UInt64(first) << 32 | UInt64(second)] = composite
        }
        self.composition = composition

        var cleanup: [ClosedRange<UInt32>] = [0x00...0x1F, 0x26...0x26, 0x7F...0x9F, 0x2028...0x2029]
        cleanup += [0x02BC...0x02BC, 0x2018...0x201F, 0x206A...0x206F, 0xFEFF...0xFEFF, 0xFFF9...0xFFFC]
        cleanup += TableParser.mappings(GeneratedFTFYTables.ligatures).keys.map { $0...$0 }
        cleanup += TableParser.mappings(GeneratedFTFYTables.widthMap).keys.map { $0...$0 }
        cleanup += TableParser.ranges(GeneratedFTFYTables.controlCharacters)

        let keys = Array(lowercase.keys) + [0x3A3]
        table = ScalarPropertyTable(assigning: [
            (.letter, TableParser.ranges(GeneratedUnicodeTables.regexLetter)),
            (.number, TableParser.ranges(GeneratedUnicodeTables.regexNumber)),
            (.other, TableParser.ranges(GeneratedUnicodeTables.regexOther)),
            (.space, TableParser.ranges(GeneratedUnicodeTables.pythonSpace)),
            (.alnum, TableParser.ranges(GeneratedUnicodeTables.pythonAlnum)),
            (.decimal, TableParser.ranges(GeneratedUnicodeTables.pythonDecimal)),
            (.caseIgnorable, TableParser.ranges(GeneratedUnicodeTables.caseIgnorable)),
            (.cased, TableParser.ranges(GeneratedUnicodeTables.cased)),
            (.nfcSensitive, TableParser.ranges(GeneratedUnicodeTables.nfcSensitive)),
            (.lowercaseChanges, keys.map { $0...$0 }),
            (.mojibakeClue, MojibakeTables.clueRanges()),
            (.cleanupCandidate, cleanup),
        ])
    }

    @inline(__always)
    func flags(_ scalar: UInt32) -> ScalarFlags { table.flags(scalar) }
}
