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

    /// `str.lower()`: full lowercase mappings, with capital sigma becoming final sigma when a
    /// cased letter precedes it and none follows (case-ignorable characters skipped).
    static func lowercased(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        for (index, scalar) in scalars.enumerated() {
            if scalar.value < 0x80 {
                if scalar.value >= 0x41 && scalar.value <= 0x5A {
                    output.append(Unicode.Scalar(UInt8(scalar.value) + 0x20))
                } else {
                    output.append(scalar)
                }
                continue
            }
            if scalar.value == 0x03A3 {
                output.append(isFinalSigma(scalars, at: index) ? "\u{03C2}" : "\u{03C3}")
                continue
            }
            output.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
        }
        return output
    }

    private static func isFinalSigma(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        var before = index - 1
        while before >= 0, scalars[before].properties.isCaseIgnorable { before -= 1 }
        guard before >= 0, scalars[before].properties.isCased else { return false }
        var after = index + 1
        while after < scalars.count, scalars[after].properties.isCaseIgnorable { after += 1 }
        return !(after < scalars.count && scalars[after].properties.isCased)
    }

    /// `str.strip()` (Python whitespace) of a scalar slice.
    static func stripped(_ scalars: ArraySlice<Unicode.Scalar>, leading: Bool = true, trailing: Bool = true) -> ArraySlice<Unicode.Scalar> {
        var slice = scalars
        if leading { while let first = slice.first, isSpace(first) { slice = slice.dropFirst() } }
        if trailing { while let last = slice.last, isSpace(last) { slice = slice.dropLast() } }
        return slice
    }
}
