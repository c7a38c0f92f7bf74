// The text repair that open_clip runs before tokenizing: ftfy 6.3.1's `fix_text` with its default
// configuration, reimplemented on Unicode scalars.

enum TextFixer {
    /// ftfy fixes text in segments of at most this many code points (`max_decode_length`).
    static let maximumSegmentLength = 1_000_000
    /// Upper bound on repair rounds of one segment. ftfy repeats its fixes until nothing changes;
    /// each round undoes one level of nested escaping such as `&amp;amp;amp;`, so real text needs a
    /// few rounds. The bound only keeps adversarial input (over 10,000 nested levels) from running
    /// for quadratic time.
    static let maximumRounds = 10_000

    /// ftfy's `fix_text(text)` with the default `TextFixerConfig`.
    static func fixText(_ text: [UInt32]) -> [UInt32] {
        var output: [UInt32] = []
        output.reserveCapacity(text.count)
        // unescape_html="auto": disabled from the first segment that contains "<" onwards.
        var unescapeHTML = true
        var position = 0
        while position < text.count {
            var end = position
            while end < text.count && text[end] != 0x0A { end += 1 }
            end = end < text.count ? end + 1 : text.count
            if end - position > maximumSegmentLength { end = position + maximumSegmentLength }
            let segment = Array(text[position..<end])
            if unescapeHTML && segment.contains(0x3C) { unescapeHTML = false }
            output.append(contentsOf: fixSegment(segment, unescapeHTML: unescapeHTML))
            position = end
        }
        return output
    }

    /// ftfy's `fix_and_explain` on one segment (without the explanation).
    static func fixSegment(_ segment: [UInt32], unescapeHTML: Bool) -> [UInt32] {
        let unicode = UnicodeData.shared
        var text = segment
        for _ in 0..<maximumRounds {
            let original = text
            if unescapeHTML { text = HTMLUnescaper.ftfyUnescape(text) }
            text = EncodingRepair.fixEncoding(text)
            if text.contains(where: { unicode.flags($0).contains(.cleanupCandidate) }) {
                text = applyCharacterFixes(text)
            }
            text = Normalization.nfc(text)
            if text == original { return text }
        }
        return text
    }

    /// fix_c1_controls, fix_latin_ligatures, fix_character_width, uncurl_quotes, fix_line_breaks,
    /// (fix_surrogates: Swift strings hold no surrogates), remove_terminal_escapes, remove_control_chars.
    static func applyCharacterFixes(_ input: [UInt32]) -> [UInt32] {
        let tables = CharacterFixTables.shared
        let sloppy = MojibakeData.shared.sloppyWindows1252
        var text: [UInt32] = []
        text.reserveCapacity(input.count)
        // C1 controls, ligatures, widths and quotes map single scalars and are applied in ftfy's order.
        for var scalar in input {
            if scalar >= 0x80 && scalar <= 0x9F { scalar = sloppy.decode[Int(scalar)] }
            if let ligature = tables.ligatures[scalar] {
                for part in ligature { text.append(uncurl(width(part, tables))) }
                continue
            }
            if let wide = tables.widths[scalar] {
                for part in wide { text.append(uncurl(part)) }
                continue
            }
            text.append(uncurl(scalar))
        }
        // Line breaks: CRLF, CR, U+2028, U+2029, U+0085 become LF.
        var lines: [UInt32] = []
        lines.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            let scalar = text[i]
            if scalar == 0x0D {
                lines.append(0x0A)
                i += (i + 1 < text.count && text[i + 1] == 0x0A) ? 2 : 1
                continue
            }
            lines.append(scalar == 0x2028 || scalar == 0x2029 || scalar == 0x85 ? 0x0A : scalar)
            i += 1
        }
        // Terminal escapes: ESC [ (decimal digit | ;)* ASCII letter.
        var output: [UInt32] = []
        output.reserveCapacity(lines.count)
        let unicode = UnicodeData.shared
        i = 0
        while i < lines.count {
            if lines[i] == 0x1B, i + 1 < lines.count, lines[i + 1] == 0x5B {
                var k = i + 2
                while k < lines.count && (lines[k] == 0x3B || unicode.flags(lines[k]).contains(.decimal)) { k += 1 }
                if k < lines.count, (lines[k] | 0x20) >= 0x61 && (lines[k] | 0x20) <= 0x7A {
                    i = k + 1
                    continue
                }
            }
            output.append(lines[i])
            i += 1
        }
        // Control characters.
        output.removeAll { tables.controls.contains($0) }
        return output
    }

    @inline(__always)
    private static func uncurl(_ scalar: UInt32) -> UInt32 {
        if scalar >= 0x201C && scalar <= 0x201F { return 0x22 }
        if scalar == 0x02BC || (scalar >= 0x2018 && scalar <= 0x201B) { return 0x27 }
        return scalar
    }

    @inline(__always)
    private static func width(_ scalar: UInt32, _ tables: CharacterFixTables) -> UInt32 {
        // Ligatures expand to letters that have no fullwidth mapping; kept for ftfy's order.
        if let wide = tables.widths[scalar], wide.count == 1 { return wide[0] }
        return scalar
    }
}

final class CharacterFixTables: Sendable {
    static let shared = CharacterFixTables()
    let ligatures: [UInt32: [UInt32]]
    let widths: [UInt32: [UInt32]]
    let controls: Set<UInt32>

    private init() {
        ligatures = TableParser.mappings(GeneratedFTFYTables.ligatures)
        widths = TableParser.mappings(GeneratedFTFYTables.widthMap)
        controls = Set(TableParser.fields(GeneratedFTFYTables.controlCharacters).map(TableParser.hex))
    }
}
