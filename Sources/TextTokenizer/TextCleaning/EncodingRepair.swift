// Mojibake detection and repair with the semantics of ftfy 6.3.1's `fix_encoding` (default
// configuration): the badness heuristic, re-encoding in a single-byte charmap and decoding as
// UTF-8 (or CESU-8 / Java modified UTF-8), restoring bytes A0 that became spaces, replacing lossy
// sequences, decoding inconsistent embedded UTF-8 and mapping C1 controls to Windows-1252.
// Written from ftfy's documented behaviour and rules; the data are in Generated/FTFYTables.swift.

enum EncodingRepair {
    /// Upper bound on repair rounds of one text. ftfy loops until nothing changes; every round that
    /// changes text shortens it or removes a mojibake clue, so real text needs a handful. The bound
    /// only guarantees termination on adversarial input.
    static let maximumRounds = 64

    /// ftfy's `fix_encoding`.
    static func fixEncoding(_ input: [UInt32]) -> [UInt32] {
        var text = input
        for _ in 0..<maximumRounds {
            guard let fixed = fixOneStep(text), fixed != text else { return text }
            text = fixed
        }
        return text
    }

    /// One step of ftfy's encoding repair; nil when the text is left as it is.
    static func fixOneStep(_ text: [UInt32]) -> [UInt32]? {
        if text.isEmpty { return nil }
        if !text.contains(where: { $0 >= 0x80 }) { return nil }
        if !isBad(text) { return nil }
        let data = MojibakeData.shared
        var latin1Possible = false
        for map in data.charmaps where map.canEncode(text) {
            if map.isLatin1 { latin1Possible = true }
            var bytes = map.encode(text)
            if !map.isMacRoman && containsAlteredUTF8(bytes) {
                bytes = restoreByteA0(bytes)
            }
            if map.isSloppy {
                bytes = replaceLossySequences(bytes)
            }
            let decoded: [UInt32]?
            if bytes.contains(0xED) || bytes.contains(0xC0) {
                decoded = UTF8Codec.decodeVariants(bytes)
            } else {
                decoded = UTF8Codec.decodeStrict(bytes[...])
            }
            if let decoded { return decoded }
        }
        if containsUTF8Mojibake(text) {
            let fixed = decodeInconsistentUTF8(text)
            if fixed != text { return fixed }
        }
        if latin1Possible {
            // ftfy checks for "windows-1252" among the possible encodings, which only ever lists the
            // sloppy variant, so it always goes on to decode Latin-1 bytes as strict Windows-1252.
            if !text.contains(where: { $0 < 0x100 && data.windows1252Undefined.contains(UInt8($0)) && $0 >= 0x80 }) {
                let fixed = text.map { $0 >= 0x80 && $0 < 0x100 ? data.sloppyWindows1252.decode[Int($0)] : $0 }
                if fixed != text { return fixed }
            }
        }
        if text.contains(where: { $0 >= 0x80 && $0 <= 0x9F }) {
            return fixC1Controls(text)
        }
        return nil
    }

    /// ftfy's `fix_c1_controls`: C1 controls decoded as sloppy Windows-1252.
    static func fixC1Controls(_ text: [UInt32]) -> [UInt32] {
        let map = MojibakeData.shared.sloppyWindows1252
        return text.map { $0 >= 0x80 && $0 <= 0x9F ? map.decode[Int($0)] : $0 }
    }

    // MARK: - Badness

    /// ftfy's `is_bad`: whether any of the BADNESS_RE alternatives matches somewhere.
    static func isBad(_ text: [UInt32]) -> Bool {
        let unicode = UnicodeData.shared
        guard text.contains(where: { $0 >= 0x80 && unicode.flags($0).contains(.mojibakeClue) }) else { return false }
        let data = MojibakeData.shared
        let count = text.count
        var masks = [ClassMask]()
        masks.reserveCapacity(count)
        for scalar in text { masks.append(data.mask(scalar)) }
        let patterns = data.compiledPatterns
        return masks.withUnsafeBufferPointer { masks in
            text.withUnsafeBufferPointer { text in
                @inline(__always)
                func matches(_ element: BadnessMatcher, _ position: Int) -> Bool {
                    switch element.kind {
                    case .startOfText:
                        return position == 0
                    case .anyButNewline:
                        return position < count && text[position] != 0x0A
                    case .characterClass:
                        guard position < count else { return false }
                        let mask = masks[position]
                        var member = (mask.low & element.low) | (mask.high & element.high) != 0
                        if !member && element.includesSpace { member = unicode.flags(text[position]).contains(.space) }
                        if !member && element.includesWord {
                            member = text[position] == 0x5F || unicode.flags(text[position]).contains(.alnum)
                        }
                        return member != element.negated
                    }
                }
                for start in 0..<count {
                    let mask = masks[start]
                    patternLoop: for pattern in patterns {
                        let first = pattern[0]
                        // Fast rejection on the first element's own bits.
                        if first.kind == .characterClass && !first.negated && !first.includesSpace && !first.includesWord
                            && (mask.low & first.low) | (mask.high & first.high) == 0 {
                            continue
                        }
                        var position = start
                        for element in pattern {
                            guard matches(element, position) else { continue patternLoop }
                            if element.kind != .startOfText { position += 1 }
                        }
                        return true
                    }
                }
                return false
            }
        }
    }

    // MARK: - Byte-level transcoders

    @inline(__always) private static func isContinuation(_ b: UInt8) -> Bool { b >= 0x80 && b <= 0xBF }
    @inline(__always) private static func isAlteredContinuation(_ b: UInt8) -> Bool {
        (b >= 0x80 && b <= 0x84) || (b >= 0x86 && b <= 0x9F) || (b >= 0xA1 && b <= 0xBF)
    }

    /// Length of the ALTERED_UTF8_RE match at `i`, or 0.
    private static func alteredUTF8Match(_ b: [UInt8], at i: Int) -> Int {
        let n = b.count
        let lead = b[i]
        func at(_ k: Int) -> UInt8? { i + k < n ? b[i + k] : nil }
        if [0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9].contains(lead), at(1) == 0x20 { return 2 }
        if lead == 0xE2 || lead == 0xE3, at(1) == 0x20, let c = at(2), isAlteredContinuation(c) { return 3 }
        if lead >= 0xE0 && lead <= 0xE3, let c = at(1), isAlteredContinuation(c), at(2) == 0x20 { return 3 }
        if lead == 0xF0, let b1 = at(1), let b2 = at(2), let b3 = at(3) {
            if b1 == 0x20 && isContinuation(b2) && isContinuation(b3) { return 4 }
            if isContinuation(b1) && b2 == 0x20 && isContinuation(b3) { return 4 }
            if isContinuation(b1) && isContinuation(b2) && b3 == 0x20 { return 4 }
        }
        return 0
    }

    static func containsAlteredUTF8(_ bytes: [UInt8]) -> Bool {
        for i in bytes.indices where bytes[i] >= 0xC2 && alteredUTF8Match(bytes, at: i) > 0 { return true }
        return false
    }

    /// ftfy's `restore_byte_a0`.
    static func restoreByteA0(_ input: [UInt8]) -> [UInt8] {
        // "\xc3 " not followed by " ", "quele", "quela", "quilo" or "s " becomes "\xc3\xa0 ".
        var bytes: [UInt8] = []
        bytes.reserveCapacity(input.count + 4)
        let n = input.count
        var i = 0
        func follows(_ word: [UInt8], at k: Int) -> Bool {
            k + word.count <= n && Array(input[k..<(k + word.count)]) == word
        }
        while i < n {
            if input[i] == 0xC3, i + 1 < n, input[i + 1] == 0x20 {
                let k = i + 2
                let exception = follows([0x20], at: k) || follows(Array("quele".utf8), at: k)
                    || follows(Array("quela".utf8), at: k) || follows(Array("quilo".utf8), at: k)
                    || follows([0x73, 0x20], at: k)
                if !exception {
                    bytes.append(contentsOf: [0xC3, 0xA0, 0x20])
                    i += 2
                    continue
                }
            }
            bytes.append(input[i])
            i += 1
        }
        // ALTERED_UTF8_RE matches get their spaces turned into A0.
        var i2 = 0
        while i2 < bytes.count {
            let length = bytes[i2] >= 0xC2 ? alteredUTF8Match(bytes, at: i2) : 0
            if length > 0 {
                for k in i2..<(i2 + length) where bytes[k] == 0x20 { bytes[k] = 0xA0 }
                i2 += length
            } else {
                i2 += 1
            }
        }
        return bytes
    }

    /// Length of the LOSSY_UTF8_RE match at `i`, or 0.
    private static func lossyMatch(_ b: [UInt8], at i: Int) -> Int {
        let n = b.count
        func at(_ k: Int) -> UInt8 { i + k < n ? b[i + k] : 0 }
        func has(_ k: Int) -> Bool { i + k < n }
        let lead = b[i]
        let sub: UInt8 = 0x1A, question: UInt8 = 0x3F
        func subOrQ(_ k: Int) -> Bool { has(k) && (at(k) == sub || at(k) == question) }
        func subOrCont(_ k: Int) -> Bool { has(k) && (at(k) == sub || isContinuation(at(k))) }
        func subQOrCont(_ k: Int) -> Bool { has(k) && (at(k) == sub || at(k) == question || isContinuation(at(k))) }
        if lead >= 0xC2 && lead <= 0xDF && has(1) && at(1) == sub { return 2 }
        if (lead == 0xC2 || lead == 0xC3) && has(1) && at(1) == question { return 2 }
        if lead == 0xED {
            let b1 = at(1), b4 = at(4)
            if has(1) && b1 >= 0xA0 && b1 <= 0xAF && subOrQ(2) && has(3) && at(3) == 0xED
                && has(4) && b4 >= 0xB0 && b4 <= 0xBF && subQOrCont(5) { return 6 }
            if has(1) && b1 >= 0xA0 && b1 <= 0xAF && subQOrCont(2) && has(3) && at(3) == 0xED
                && has(4) && b4 >= 0xB0 && b4 <= 0xBF && subOrQ(5) { return 6 }
        }
        if lead >= 0xE0 && lead <= 0xEF {
            if subOrQ(1) && subOrCont(2) { return 3 }
            if subOrCont(1) && subOrQ(2) { return 3 }
        }
        if lead >= 0xF0 && lead <= 0xF4 {
            if subOrQ(1) && subOrCont(2) && subOrCont(3) { return 4 }
            if subOrCont(1) && subOrQ(2) && subOrCont(3) { return 4 }
            if subOrCont(1) && subOrCont(2) && subOrQ(3) { return 4 }
        }
        if lead == sub { return 1 }
        return 0
    }

    /// ftfy's `replace_lossy_sequences`: UTF-8 sequences with bytes lost to U+FFFD (byte 1A in the
    /// sloppy codecs) or '?' become the UTF-8 of U+FFFD.
    static func replaceLossySequences(_ input: [UInt8]) -> [UInt8] {
        guard input.contains(0x1A) || input.contains(0x3F) else { return input }
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var i = 0
        while i < input.count {
            let length = lossyMatch(input, at: i)
            if length > 0 {
                output.append(contentsOf: [0xEF, 0xBF, 0xBD])
                i += length
            } else {
                output.append(input[i])
                i += 1
            }
        }
        return output
    }

    // MARK: - Inconsistent UTF-8

    private static let strictBit: UInt8 = 1 << 0
    private static let first2Bit: UInt8 = 1 << 1
    private static let continuationBit: UInt8 = 1 << 2
    private static let first3Bit: UInt8 = 1 << 3
    private static let first4Bit: UInt8 = 1 << 4

    /// Length of the UTF8_DETECTOR_RE match starting at `start` (0 if none).
    private static func utf8MojibakeMatch(_ classes: [UInt8], at start: Int) -> Int {
        if start > 0 && classes[start - 1] & strictBit != 0 { return 0 }
        let n = classes.count
        func continuation(_ k: Int) -> Bool { k < n && classes[k] & continuationBit != 0 }
        var j = start
        while j < n {
            let c = classes[j]
            if c & first2Bit != 0 && continuation(j + 1) {
                j += 2
            } else if c & first3Bit != 0 && continuation(j + 1) && continuation(j + 2) {
                j += 3
            } else if c & first4Bit != 0 && continuation(j + 1) && continuation(j + 2) && continuation(j + 3) {
                j += 4
            } else {
                break
            }
        }
        return j - start
    }

    private static func utf8Classes(_ text: [UInt32]) -> [UInt8] {
        let data = MojibakeData.shared
        return text.map { data.utf8Class($0) }
    }

    static func containsUTF8Mojibake(_ text: [UInt32]) -> Bool {
        let classes = utf8Classes(text)
        for i in classes.indices where classes[i] & (first2Bit | first3Bit | first4Bit) != 0 {
            if utf8MojibakeMatch(classes, at: i) > 0 { return true }
        }
        return false
    }

    /// ftfy's `decode_inconsistent_utf8`.
    static func decodeInconsistentUTF8(_ text: [UInt32]) -> [UInt32] {
        let classes = utf8Classes(text)
        var output: [UInt32] = []
        output.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            let length = classes[i] & (first2Bit | first3Bit | first4Bit) != 0 ? utf8MojibakeMatch(classes, at: i) : 0
            if length == 0 {
                output.append(text[i])
                i += 1
                continue
            }
            let piece = Array(text[i..<(i + length)])
            if piece.count < text.count && isBad(piece) {
                output.append(contentsOf: fixEncoding(piece))
            } else {
                output.append(contentsOf: piece)
            }
            i += length
        }
        return output
    }
}
