// ftfy's character maps and mojibake character classes, parsed from Generated/FTFYTables.swift.

/// A single-byte character map from ftfy's list of encodings it tries (latin-1, sloppy-windows-125x,
/// iso-8859-2, macroman, cp437).
struct CharacterMap: Sendable {
    let name: String
    /// The scalar each byte decodes to.
    let decode: [UInt32]
    /// The byte each encodable non-ASCII scalar encodes to.
    let encodeNonASCII: [UInt32: UInt8]
    /// Whether each ASCII scalar is encodable (it encodes to itself). U+001A is not in the sloppy maps.
    let asciiEncodable: [Bool]

    var isSloppy: Bool { name.hasPrefix("sloppy") }
    var isMacRoman: Bool { name == "macroman" }
    var isLatin1: Bool { name == "latin-1" }

    init(name: String, decode: [UInt32]) {
        self.name = name
        self.decode = decode
        var encode: [UInt32: UInt8] = [:]
        var ascii = [Bool](repeating: false, count: 128)
        for (byte, scalar) in decode.enumerated() {
            if scalar < 128 {
                if scalar == UInt32(byte) { ascii[byte] = true }
            } else {
                encode[scalar] = UInt8(byte)
            }
        }
        encodeNonASCII = encode
        asciiEncodable = ascii
    }

    /// Whether `text` could have been decoded from this encoding (ftfy's `possible_encoding`).
    func canEncode(_ text: [UInt32]) -> Bool {
        for scalar in text {
            if scalar < 128 {
                if !asciiEncodable[Int(scalar)] { return false }
            } else if encodeNonASCII[scalar] == nil {
                return false
            }
        }
        return true
    }

    /// Encodes text that `canEncode` accepted.
    func encode(_ text: [UInt32]) -> [UInt8] {
        text.map { $0 < 128 ? UInt8($0) : (encodeNonASCII[$0] ?? 0x3F) }
    }
}

/// One class of ftfy's BADNESS_RE.
struct BadnessClass: Sendable {
    var negated = false
    var bit: Int = 0
    var includesSpace = false
    var includesWord = false
}

/// One alternative of BADNESS_RE: a fixed-length sequence of elements.
enum BadnessElement: Sendable {
    case characterClass(Int)
    case anyButNewline
    case startOfText
}

/// One element of a BADNESS_RE alternative, ready for matching.
struct BadnessMatcher: Sendable {
    enum Kind: Sendable { case characterClass, anyButNewline, startOfText }
    var kind: Kind
    /// The class's own bit (for `.characterClass`).
    var low: UInt64 = 0
    var high: UInt64 = 0
    var negated = false
    var includesSpace = false
    var includesWord = false
}

/// A 128-bit set of class memberships.
struct ClassMask: Sendable, Equatable {
    var low: UInt64 = 0
    var high: UInt64 = 0

    mutating func insert(_ bit: Int) {
        if bit < 64 { low |= 1 << UInt64(bit) } else { high |= 1 << UInt64(bit - 64) }
    }

    @inline(__always)
    func contains(_ bit: Int) -> Bool {
        bit < 64 ? (low >> UInt64(bit)) & 1 != 0 : (high >> UInt64(bit - 64)) & 1 != 0
    }
}

enum MojibakeTables {

    /// Ranges of every non-ASCII scalar that appears in a mojibake class (for `ScalarFlags.mojibakeClue`).
    static func clueRanges() -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        for line in GeneratedFTFYTables.badnessClasses.split(separator: "\n") where !line.hasPrefix("!") {
            for item in line.split(separator: ",") where item != "s" && item != "w" {
                let range = TableParser.range(item)
                if range.upperBound >= 0x80 { result.append(max(0x80, range.lowerBound)...range.upperBound) }
            }
        }
        for table in [GeneratedFTFYTables.utf8ContinuationStrict, GeneratedFTFYTables.utf8FirstOf2,
                      GeneratedFTFYTables.utf8Continuation, GeneratedFTFYTables.utf8FirstOf3,
                      GeneratedFTFYTables.utf8FirstOf4] {
            for range in TableParser.ranges(table) where range.upperBound >= 0x80 {
                result.append(max(0x80, range.lowerBound)...range.upperBound)
            }
        }
        return result
    }
}

/// The parsed mojibake data, built once.
final class MojibakeData: Sendable {
    static let shared = MojibakeData()

    let charmaps: [CharacterMap]
    /// Bytes strict windows-1252 cannot decode.
    let windows1252Undefined: Set<UInt8>
    /// sloppy-windows-1252, for `fix_c1_controls`.
    let sloppyWindows1252: CharacterMap

    let classes: [BadnessClass]
    let patterns: [[BadnessElement]]
    let compiledPatterns: [[BadnessMatcher]]
    /// Class memberships of ASCII scalars.
    let asciiMasks: [ClassMask]
    /// Class memberships of non-ASCII scalars.
    let otherMasks: [UInt32: ClassMask]

    /// UTF8_DETECTOR_RE classes (bits 0...4: continuation-strict, first-of-2, continuation, first-of-3, first-of-4).
    let utf8ClassesASCII: [UInt8]
    let utf8Classes: [UInt32: UInt8]

    private init() {
        var maps: [CharacterMap] = []
        for line in GeneratedFTFYTables.charmaps.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let name = fields.first else { continue }
            maps.append(CharacterMap(name: String(name), decode: fields.dropFirst().map(TableParser.hex)))
        }
        charmaps = maps
        sloppyWindows1252 = maps.first { $0.name == "sloppy-windows-1252" } ?? maps[0]
        windows1252Undefined = Set(TableParser.fields(GeneratedFTFYTables.windows1252Undefined).map { UInt8(TableParser.hex($0)) })

        var classes: [BadnessClass] = []
        var ascii = [ClassMask](repeating: ClassMask(), count: 128)
        var other: [UInt32: ClassMask] = [:]
        for (bit, rawLine) in GeneratedFTFYTables.badnessClasses.split(separator: "\n").enumerated() {
            var line = rawLine
            var item = BadnessClass(bit: bit)
            if line.hasPrefix("!") {
                item.negated = true
                line = line.dropFirst()
            }
            for field in line.split(separator: ",") {
                if field == "s" { item.includesSpace = true; continue }
                if field == "w" { item.includesWord = true; continue }
                for scalar in TableParser.range(field) {
                    if scalar < 128 { ascii[Int(scalar)].insert(bit) } else { other[scalar, default: ClassMask()].insert(bit) }
                }
            }
            classes.append(item)
        }
        self.classes = classes
        asciiMasks = ascii
        otherMasks = other
        patterns = GeneratedFTFYTables.badnessPatterns.split(separator: "\n").map { line in
            line.split(separator: " ").map { element -> BadnessElement in
                switch element {
                case "^": return .startOfText
                case ".": return .anyButNewline
                default: return .characterClass(Int(element) ?? 0)
                }
            }
        }

        compiledPatterns = patterns.map { pattern in
            pattern.map { element -> BadnessMatcher in
                switch element {
                case .startOfText: return BadnessMatcher(kind: .startOfText)
                case .anyButNewline: return BadnessMatcher(kind: .anyButNewline)
                case .characterClass(let index):
                    let item = classes[index]
                    var bit = ClassMask()
                    bit.insert(item.bit)
                    return BadnessMatcher(kind: .characterClass, low: bit.low, high: bit.high, negated: item.negated,
                                          includesSpace: item.includesSpace, includesWord: item.includesWord)
                }
            }
        }

        var utf8ASCII = [UInt8](repeating: 0, count: 128)
        var utf8Other: [UInt32: UInt8] = [:]
        let tables = [GeneratedFTFYTables.utf8ContinuationStrict, GeneratedFTFYTables.utf8FirstOf2,
                      GeneratedFTFYTables.utf8Continuation, GeneratedFTFYTables.utf8FirstOf3,
                      GeneratedFTFYTables.utf8FirstOf4]
        for (bit, table) in tables.enumerated() {
            for range in TableParser.ranges(table) {
                for scalar in range {
                    if scalar < 128 { utf8ASCII[Int(scalar)] |= 1 << UInt8(bit) } else { utf8Other[scalar, default: 0] |= 1 << UInt8(bit) }
                }
            }
        }
        utf8ClassesASCII = utf8ASCII
        utf8Classes = utf8Other
    }

    @inline(__always)
    func mask(_ scalar: UInt32) -> ClassMask {
        scalar < 128 ? asciiMasks[Int(scalar)] : (otherMasks[scalar] ?? ClassMask())
    }

    @inline(__always)
    func utf8Class(_ scalar: UInt32) -> UInt8 {
        scalar < 128 ? utf8ClassesASCII[Int(scalar)] : (utf8Classes[scalar] ?? 0)
    }
}
