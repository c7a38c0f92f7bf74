// The three UTF-8 decoders the reference uses: strict UTF-8 (Python's codec), the
// "utf-8-variants" codec of ftfy (CESU-8 surrogate pairs and Java's C0 80 for U+0000), and
// decoding with replacement characters (Python's errors="replace", maximal subparts).
// (Encoding is CLIPSupport's `[UInt8].appendUTF8`.)

enum UTF8Codec {
    /// Result of reading one sequence at a position.
    enum Step {
        /// A valid scalar and its length in bytes.
        case scalar(UInt32, Int)
        /// An invalid sequence: the number of bytes that form its maximal subpart (at least 1).
        case invalid(Int)
    }

    @inline(__always)
    static func step<C: RandomAccessCollection>(_ bytes: C, at i: C.Index) -> Step where C.Element == UInt8, C.Index == Int {
        let end = bytes.endIndex
        let b0 = bytes[i]
        if b0 < 0x80 { return .scalar(UInt32(b0), 1) }
        let length: Int
        var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
        var value: UInt32
        switch b0 {
        case 0xC2...0xDF: length = 2; value = UInt32(b0 & 0x1F)
        case 0xE0: length = 3; lower = 0xA0; value = 0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3; value = UInt32(b0 & 0x0F)
        case 0xED: length = 3; upper = 0x9F; value = 0x0D
        case 0xF0: length = 4; lower = 0x90; value = 0
        case 0xF1...0xF3: length = 4; value = UInt32(b0 & 0x07)
        case 0xF4: length = 4; upper = 0x8F; value = 4
        default: return .invalid(1)
        }
        var k = 1
        while k < length {
            guard i + k < end else { return .invalid(k) }
            let b = bytes[i + k]
            if k == 1 {
                guard b >= lower && b <= upper else { return .invalid(1) }
            } else {
                guard b >= 0x80 && b <= 0xBF else { return .invalid(k) }
            }
            value = value << 6 | UInt32(b & 0x3F)
            k += 1
        }
        return .scalar(value, length)
    }

    /// Python's strict UTF-8 decoding; nil on any error.
    static func decodeStrict(_ bytes: ArraySlice<UInt8>) -> [UInt32]? {
        var output: [UInt32] = []
        output.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b < 0x80 {
                output.append(UInt32(b))
                i += 1
                continue
            }
            switch step(bytes, at: i) {
            case .scalar(let value, let length):
                output.append(value)
                i += length
            case .invalid:
                return nil
            }
        }
        return output
    }

    /// Python's `bytes.decode("utf-8", errors="replace")`.
    static func decodeReplacing(_ bytes: [UInt8]) -> [UInt32] {
        var output: [UInt32] = []
        output.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            switch step(bytes, at: i) {
            case .scalar(let value, let length):
                output.append(value)
                i += length
            case .invalid(let length):
                output.append(0xFFFD)
                i += length
            }
        }
        return output
    }

    /// ftfy's "utf-8-variants" codec, decoding strictly; nil on any error.
    ///
    /// It decodes standard UTF-8, six-byte CESU-8 encodings of supplementary characters and C0 80 as
    /// U+0000. As in the reference, a pattern's end-of-input may also match just before a final
    /// newline byte.
    static func decodeVariants(_ bytes: [UInt8]) -> [UInt32]? {
        let n = bytes.count
        func endAt(_ k: Int) -> Bool { k == n || (k == n - 1 && bytes[n - 1] == 0x0A) }
        func inRange(_ k: Int, _ low: UInt8, _ high: UInt8) -> Bool { k < n && bytes[k] >= low && bytes[k] <= high }
        func isSpecial(_ q: Int) -> Bool {
            if bytes[q] == 0xC0 { return (q + 1 < n && bytes[q + 1] == 0x80) || endAt(q + 1) }
            if bytes[q] == 0xED {
                if endAt(q + 1) { return true }
                return inRange(q + 1, 0xA0, 0xBF) && (inRange(q + 2, 0x80, 0xBF) || endAt(q + 2))
            }
            return false
        }
        var output: [UInt32] = []
        output.reserveCapacity(n)
        var position = 0
        while position < n {
            var special = position
            while special < n && !isSpecial(special) { special += 1 }
            if special > position {
                guard let part = decodeStrict(bytes[position..<special]) else { return nil }
                output.append(contentsOf: part)
                position = special
                continue
            }
            if bytes[position] == 0xC0 {
                guard n - position > 1 else { return nil }
                output.append(0)
                position += 2
                continue
            }
            // 0xED: a CESU-8 surrogate pair, or an error.
            guard n - position >= 6 else { return nil }
            let p = position
            let isPair = inRange(p + 1, 0xA0, 0xAF) && inRange(p + 2, 0x80, 0xBF) && bytes[p + 3] == 0xED
                && inRange(p + 4, 0xB0, 0xBF) && (inRange(p + 5, 0x80, 0xBF) || endAt(p + 5))
            guard isPair else { return nil }
            let b1 = UInt32(bytes[p + 1]), b2 = UInt32(bytes[p + 2]), b4 = UInt32(bytes[p + 4]), b5 = UInt32(bytes[p + 5])
            output.append(((b1 & 0x0F) << 16) + ((b2 & 0x3F) << 10) + ((b4 & 0x0F) << 6) + (b5 & 0x3F) + 0x10000)
            position += 6
        }
        return output
    }
}
