import CLIPSupport

// open_clip's text cleaning for its default `clean="lower"`:
//   whitespace_clean(basic_clean(text)).lower()
// with basic_clean = ftfy.fix_text, html.unescape twice, strip; whitespace_clean = runs of
// whitespace collapsed to one space, stripped.

/// The text cleaning that open_clip's `SimpleTokenizer` applies before pre-tokenization.
public enum CLIPTextCleaner {
    /// Repairs text the way ftfy 6.3.1's `fix_text` does with its default configuration: HTML
    /// entities, mojibake, C1 controls, Latin ligatures, full-width and half-width forms, curly
    /// quotes, line breaks, terminal escapes and control characters, then NFC.
    public static func fixText(_ text: String) -> String {
        string(TextFixer.fixText(scalars(text)))
    }

    /// The complete cleaning open_clip applies: `fixText`, HTML unescaping twice, whitespace
    /// collapsed to single spaces and stripped, lowercased (Python's `str.lower`).
    public static func clean(_ text: String) -> String {
        string(cleanScalars(scalars(text)))
    }

    static func cleanScalars(_ input: [UInt32]) -> [UInt32] {
        var text = TextFixer.fixText(input)
        text = HTMLUnescaper.pythonUnescape(HTMLUnescaper.pythonUnescape(text))
        text = collapseWhitespace(text)
        return Normalization.lowercased(text)
    }

    /// `" ".join(text.split())` with Python's notion of whitespace.
    static func collapseWhitespace(_ text: [UInt32]) -> [UInt32] {
        let unicode = UnicodeData.shared
        var output: [UInt32] = []
        output.reserveCapacity(text.count)
        var pendingSpace = false
        for scalar in text {
            let isSpace: Bool
            if scalar < 0x80 {
                isSpace = scalar == 0x20 || (scalar >= 0x09 && scalar <= 0x0D) || (scalar >= 0x1C && scalar <= 0x1F)
            } else {
                isSpace = unicode.flags(scalar).contains(.space)
            }
            if isSpace {
                pendingSpace = !output.isEmpty
            } else {
                if pendingSpace { output.append(0x20); pendingSpace = false }
                output.append(scalar)
            }
        }
        return output
    }

    static func scalars(_ text: String) -> [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars { result.append(scalar.value) }
        return result
    }

    static func string(_ scalars: [UInt32]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(scalars.count)
        for scalar in scalars { bytes.appendUTF8(scalar) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
