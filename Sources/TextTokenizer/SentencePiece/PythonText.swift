/// The few Python `str` operations SigLIP's tokenizer applies, on Unicode scalars.
enum PythonText {
    /// `str.isspace()`: bidirectional class WS, B or S, or general category Zs.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `string.punctuation`: the 32 ASCII punctuation characters.
    static func isASCIIPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: return true
        default: return false
        }
    }

    /// `str.lower()` of Python 3.11.7 (Unicode 14.0.0; `Normalization.lowercased`): full
    /// lowercase mappings, capital sigma becoming final sigma when a cased letter precedes it and
    /// none follows (case-ignorable characters skipped). The standard library's mappings are a
    /// newer Unicode's (they lowercase U+A7CB, U+1C89, ..., which Python 3.11 leaves alone).
    static func lowercased(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        Normalization.lowercased(scalars.map(\.value)).compactMap(Unicode.Scalar.init)
    }

    /// `str.strip()` (Python whitespace) of a scalar slice.
    static func stripped(_ scalars: ArraySlice<Unicode.Scalar>, leading: Bool = true, trailing: Bool = true) -> ArraySlice<Unicode.Scalar> {
        var slice = scalars
        if leading { while let first = slice.first, isSpace(first) { slice = slice.dropFirst() } }
        if trailing { while let last = slice.last, isSpace(last) { slice = slice.dropLast() } }
        return slice
    }
}
