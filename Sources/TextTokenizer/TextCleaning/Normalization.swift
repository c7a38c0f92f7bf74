// Unicode NFC with Python 3.11.7's data (Unicode 14.0.0), and Python's `str.lower()`.

enum Normalization {
    private static let sBase: UInt32 = 0xAC00, lBase: UInt32 = 0x1100, vBase: UInt32 = 0x1161, tBase: UInt32 = 0x11A7
    private static let lCount: UInt32 = 19, vCount: UInt32 = 21, tCount: UInt32 = 28
    private static let nCount = vCount * tCount, sCount = lCount * nCount

    /// NFC of `text` (as `unicodedata.normalize("NFC", ...)` in Python 3.11.7).
    static func nfc(_ text: [UInt32]) -> [UInt32] {
        let unicode = UnicodeData.shared
        guard text.contains(where: { $0 >= 0x300 && unicode.flags($0).contains(.nfcSensitive) }) else { return text }

        // Canonical decomposition.
        var buffer: [UInt32] = []
        buffer.reserveCapacity(text.count + 8)
        for scalar in text {
            if scalar >= sBase && scalar < sBase + sCount {
                let index = scalar - sBase
                buffer.append(lBase + index / nCount)
                buffer.append(vBase + (index % nCount) / tCount)
                let t = index % tCount
                if t != 0 { buffer.append(tBase + t) }
            } else if let decomposed = unicode.decomposition[scalar] {
                buffer.append(contentsOf: decomposed)
            } else {
                buffer.append(scalar)
            }
        }
        // Canonical ordering (stable insertion sort of each run of non-starters).
        func ccc(_ s: UInt32) -> UInt8 { s < 0x300 ? 0 : (unicode.combiningClass[s] ?? 0) }
        var classes = buffer.map(ccc)
        var i = 1
        while i < buffer.count {
            let c = classes[i]
            if c != 0 {
                var j = i
                while j > 0 && classes[j - 1] > c {
                    buffer.swapAt(j, j - 1)
                    classes.swapAt(j, j - 1)
                    j -= 1
                }
            }
            i += 1
        }
        // Canonical composition.
        guard !buffer.isEmpty else { return buffer }
        var starterIndex: Int? = classes[0] == 0 ? 0 : nil
        var lastClass: Int = classes[0] == 0 ? 0 : 256
        var write = 1
        for read in 1..<buffer.count {
            let scalar = buffer[read]
            let cls = Int(classes[read])
            if let s = starterIndex, lastClass < cls || lastClass == 0,
               let composite = compose(buffer[s], scalar, unicode) {
                buffer[s] = composite
                continue
            }
            if cls == 0 { starterIndex = write }
            lastClass = cls
            buffer[write] = scalar
            classes[write] = UInt8(cls)
            write += 1
        }
        buffer.removeSubrange(write...)
        return buffer
    }

    private static func compose(_ first: UInt32, _ second: UInt32, _ unicode: UnicodeData) -> UInt32? {
        if first >= lBase && first < lBase + lCount && second >= vBase && second < vBase + vCount {
            return sBase + ((first - lBase) * vCount + (second - vBase)) * tCount
        }
        if first >= sBase && first < sBase + sCount && (first - sBase) % tCount == 0
            && second > tBase && second < tBase + tCount {
            return first + (second - tBase)
        }
        return unicode.composition[UInt64(first) << 32 | UInt64(second)]
    }

    /// Python 3.11.7's `str.lower()`, including the Final_Sigma rule for U+03A3.
    static func lowercased(_ text: [UInt32]) -> [UInt32] {
        let unicode = UnicodeData.shared
        var output: [UInt32] = []
        output.reserveCapacity(text.count)
        for (index, scalar) in text.enumerated() {
            if scalar < 0x80 {
                output.append(scalar >= 0x41 && scalar <= 0x5A ? scalar + 0x20 : scalar)
                continue
            }
            guard unicode.flags(scalar).contains(.lowercaseChanges) else {
                output.append(scalar)
                continue
            }
            if scalar == 0x3A3 {
                output.append(isFinalSigma(text, at: index, unicode) ? 0x3C2 : 0x3C3)
            } else if let single = unicode.lowercaseSingle[scalar] {
                output.append(single)
            } else if let multiple = unicode.lowercaseMultiple[scalar] {
                output.append(contentsOf: multiple)
            } else {
                output.append(scalar)
            }
        }
        return output
    }

    private static func isFinalSigma(_ text: [UInt32], at index: Int, _ unicode: UnicodeData) -> Bool {
        var j = index - 1
        while j >= 0 && unicode.flags(text[j]).contains(.caseIgnorable) { j -= 1 }
        guard j >= 0 && unicode.flags(text[j]).contains(.cased) else { return false }
        j = index + 1
        while j < text.count && unicode.flags(text[j]).contains(.caseIgnorable) { j += 1 }
        return j == text.count || !unicode.flags(text[j]).contains(.cased)
    }
}
