// The `tokenizers` library's BertNormalizer (clean_text, handle_chinese_chars, strip_accents,
// lowercase, all on) and BertPreTokenizer, on Unicode scalar values. Their character facts are the
// library's own, read off it by Scripts/generate_wordpiece_tables.py (Generated/BertTables.swift):
// they are neither Python's nor Swift's Unicode data (the NFD and category tables are Unicode 8-12
// era, the lowercase mapping Rust's, the CJK ranges the library's).

/// Per-scalar facts of the BERT normalizer and pre-tokenizer.
struct BertScalarFlags: OptionSet, Sendable {
    let rawValue: UInt16
    /// Dropped by clean_text (control and format characters, private use, U+0000, U+FFFD).
    static let removed = BertScalarFlags(rawValue: 1 << 0)
    /// Made a space by clean_text.
    static let cleanSpace = BertScalarFlags(rawValue: 1 << 1)
    /// A CJK ideograph: surrounded by spaces.
    static let cjk = BertScalarFlags(rawValue: 1 << 2)
    /// Has a canonical decomposition (the table's or a Hangul syllable's).
    static let decomposes = BertScalarFlags(rawValue: 1 << 3)
    /// A nonspacing mark: removed after NFD.
    static let mark = BertScalarFlags(rawValue: 1 << 4)
    /// Lowercasing changes it.
    static let lowercaseChanges = BertScalarFlags(rawValue: 1 << 5)
    /// Isolated by the pre-tokenizer.
    static let punctuation = BertScalarFlags(rawValue: 1 << 6)
    /// The pre-tokenizer splits at it (Rust's `char::is_whitespace`).
    static let splitSpace = BertScalarFlags(rawValue: 1 << 7)
    /// A nonzero canonical combining class (reordered by NFD).
    static let nonStarter = BertScalarFlags(rawValue: 1 << 8)
}

/// The BERT tables, built once from Generated/BertTables.swift.
final class BertCharacterData: Sendable {
    static let shared = BertCharacterData()

    private let table: TwoStageTable
    /// Full canonical decompositions (Hangul syllables are computed).
    let decomposition: [UInt32: [UInt32]]
    /// Nonzero canonical combining classes.
    let combiningClass: [UInt32: UInt8]
    /// Lowercase mappings that change the scalar.
    let lowercase: [UInt32: [UInt32]]

    private init() {
        decomposition = TableParser.mappings(GeneratedBertTables.decomposition)
        lowercase = TableParser.mappings(GeneratedBertTables.lowercase)
        var classes: [UInt32: UInt8] = [:]
        for field in TableParser.fields(GeneratedBertTables.combiningClass) {
            guard let colon = field.firstIndex(of: ":") else { continue }
            let value = UInt8(field[field.index(after: colon)...]) ?? 0
            for scalar in TableParser.range(field[..<colon]) { classes[scalar] = value }
        }
        combiningClass = classes

        var flat = [UInt16](repeating: 0, count: 0x110000)
        func assign(_ flag: BertScalarFlags, _ ranges: [ClosedRange<UInt32>]) {
            for range in ranges where range.lowerBound < 0x110000 {
                for scalar in range.lowerBound...min(range.upperBound, 0x10FFFF) { flat[Int(scalar)] |= flag.rawValue }
            }
        }
        assign(.removed, TableParser.ranges(GeneratedBertTables.removed))
        assign(.cleanSpace, TableParser.ranges(GeneratedBertTables.cleanSpace))
        assign(.cjk, TableParser.ranges(GeneratedBertTables.cjk))
        assign(.decomposes, decomposition.keys.map { $0...$0 } + [Hangul.syllables])
        assign(.mark, TableParser.ranges(GeneratedBertTables.nonspacingMark))
        assign(.lowercaseChanges, lowercase.keys.map { $0...$0 })
        assign(.punctuation, TableParser.ranges(GeneratedBertTables.punctuation))
        assign(.splitSpace, TableParser.ranges(GeneratedBertTables.splitSpace))
        assign(.nonStarter, classes.keys.map { $0...$0 })

        // Two stages: blocks of 256 flags, identical blocks stored once.
        table = TwoStageTable(flat, blockShift: 8)
    }

    @inline(__always)
    func flags(_ scalar: UInt32) -> BertScalarFlags { BertScalarFlags(rawValue: table[scalar]) }

    /// Hangul syllable decomposition (Unicode's algorithm; the NFD crate's agrees on all 11,172).
    enum Hangul {
        static let sBase: UInt32 = 0xAC00, lBase: UInt32 = 0x1100, vBase: UInt32 = 0x1161, tBase: UInt32 = 0x11A7
        static let tCount: UInt32 = 28, nCount: UInt32 = 588, sCount: UInt32 = 11_172
        static let syllables: ClosedRange<UInt32> = sBase...(sBase + sCount - 1)

        static func decompose(_ scalar: UInt32, into output: inout [UInt32]) {
            let index = scalar - sBase
            output.append(lBase + index / nCount)
            output.append(vBase + (index % nCount) / tCount)
            if index % tCount != 0 { output.append(tBase + index % tCount) }
        }
    }
}

/// BertNormalizer and BertPreTokenizer as `bert-base-uncased` configures them.
enum BertTextProcessing {
    /// BertNormalizer(clean_text: true, handle_chinese_chars: true, strip_accents: true, lowercase: true)
    /// of `text`: control and format characters dropped, whitespace made spaces, CJK ideographs
    /// surrounded by spaces, NFD with nonspacing marks removed, then each scalar lowercased.
    static func normalize(_ text: ArraySlice<UInt32>) -> [UInt32] {
        let data = BertCharacterData.shared
        var output: [UInt32] = []
        output.reserveCapacity(text.count + 8)
        var needsOrdering = false
        for scalar in text {
            if scalar < 0x80 {
                // ASCII: controls other than tab, LF and CR go, those three become spaces.
                if scalar >= 0x41 && scalar <= 0x5A {
                    output.append(scalar + 0x20)
                } else if scalar >= 0x20 && scalar < 0x7F {
                    output.append(scalar)
                } else if scalar == 0x09 || scalar == 0x0A || scalar == 0x0D {
                    output.append(0x20)
                }
                continue
            }
            let flags = data.flags(scalar)
            if flags.contains(.removed) { continue }
            if flags.contains(.cleanSpace) {
                output.append(0x20)
                continue
            }
            // CJK compatibility ideographs both get spaces and decompose.
            let isCJK = flags.contains(.cjk)
            if isCJK { output.append(0x20) }
            if flags.contains(.decomposes) {
                let start = output.count
                if BertCharacterData.Hangul.syllables.contains(scalar) {
                    BertCharacterData.Hangul.decompose(scalar, into: &output)
                } else if let parts = data.decomposition[scalar] {
                    output.append(contentsOf: parts)
                }
                if !needsOrdering {
                    needsOrdering = output[start...].contains { data.flags($0).contains(.nonStarter) }
                }
            } else {
                output.append(scalar)
                if flags.contains(.nonStarter) { needsOrdering = true }
            }
            if isCJK { output.append(0x20) }
        }
        if needsOrdering { canonicallyOrder(&output, data) }
        // Nonspacing marks removed, then each scalar lowercased (in this order, as BertNormalizer).
        var result: [UInt32] = []
        result.reserveCapacity(output.count)
        for scalar in output {
            if scalar < 0x80 {
                // Capitals from decompositions ("Ü" is "U" and a mark) are lowercased here.
                result.append(scalar >= 0x41 && scalar <= 0x5A ? scalar + 0x20 : scalar)
                continue
            }
            let flags = data.flags(scalar)
            if flags.contains(.mark) { continue }
            if flags.contains(.lowercaseChanges), let lower = data.lowercase[scalar] {
                result.append(contentsOf: lower)
            } else {
                result.append(scalar)
            }
        }
        return result
    }

    /// Canonical ordering: each run of nonzero-class scalars stably sorted by class.
    private static func canonicallyOrder(_ text: inout [UInt32], _ data: BertCharacterData) {
        var classes = text.map { $0 < 0x300 ? 0 : (data.combiningClass[$0] ?? 0) }
        var i = 1
        while i < text.count {
            let value = classes[i]
            if value != 0 {
                var j = i
                while j > 0 && classes[j - 1] > value {
                    text.swapAt(j, j - 1)
                    classes.swapAt(j, j - 1)
                    j -= 1
                }
            }
            i += 1
        }
    }

    /// BertPreTokenizer's words of normalized text: split at whitespace (removed), then each
    /// punctuation character its own word.
    static func words(_ text: [UInt32]) -> [ArraySlice<UInt32>] {
        let data = BertCharacterData.shared
        var words: [ArraySlice<UInt32>] = []
        var start = 0
        for (position, scalar) in text.enumerated() {
            let flags: BertScalarFlags
            if scalar < 0x80 {
                if scalar == 0x20 || (scalar >= 0x09 && scalar <= 0x0D) {
                    flags = .splitSpace
                } else if (scalar >= 0x21 && scalar <= 0x2F) || (scalar >= 0x3A && scalar <= 0x40)
                            || (scalar >= 0x5B && scalar <= 0x60) || (scalar >= 0x7B && scalar <= 0x7E) {
                    flags = .punctuation
                } else {
                    continue
                }
            } else {
                flags = data.flags(scalar)
            }
            if flags.contains(.splitSpace) {
                if position > start { words.append(text[start..<position]) }
                start = position + 1
            } else if flags.contains(.punctuation) {
                if position > start { words.append(text[start..<position]) }
                words.append(text[position...position])
                start = position + 1
            }
        }
        if start < text.count { words.append(text[start...]) }
        return words
    }

    /// Rust's `char::is_whitespace` (what `str::trim_end` removes).
    static func isWhitespace(_ scalar: UInt32) -> Bool {
        if scalar < 0x80 { return scalar == 0x20 || (scalar >= 0x09 && scalar <= 0x0D) }
        return BertCharacterData.shared.flags(scalar).contains(.splitSpace)
    }
}
