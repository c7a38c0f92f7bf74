extension String {
    /// The text as a JSON string literal: in double quotes, with quotes, backslashes and control
    /// characters below U+0020 escaped (`\n`, `\r`, `\t`, else `\u00XX`); everything else as is.
    package var jsonLiteral: String {
        quoted(escapingInvisibles: false, limit: nil)
    }

    /// The text in double quotes for a one-line message: escaped like ``jsonLiteral``, and also
    /// U+007F–U+009F, U+2028 and U+2029; cut to 200 characters (then `…`), so that names taken
    /// from a file never break a message.
    package var quotedForMessage: String {
        quoted(escapingInvisibles: true, limit: 200)
    }

    private func quoted(escapingInvisibles: Bool, limit: Int?) -> String {
        var out = "\""
        var count = 0
        for scalar in unicodeScalars {
            if count == limit { out += "…"; break }
            count += 1
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                let value = scalar.value
                if value < 0x20 || escapingInvisibles && ((0x7f...0x9f).contains(value) || value == 0x2028 || value == 0x2029) {
                    let hex = String(value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
