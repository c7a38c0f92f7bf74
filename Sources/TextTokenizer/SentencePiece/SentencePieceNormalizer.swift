/// The compiled normalization rules of a SentencePiece model (`precompiled_charsmap`): a
/// darts-clone double-array trie over UTF-8 byte sequences whose values are offsets of
/// NUL-terminated replacement strings.
struct DoubleArrayCharsmap: Sendable {
    /// The trie's 32-bit units.
    let units: [UInt32]
    /// The replacement strings, each ended by a NUL byte.
    let replacements: [UInt8]

    /// Splits and checks the blob: `<trie size: UInt32 LE><trie units><replacements>`.
    /// - Throws: a failure whose offset is relative to the blob.
    init(blob: [UInt8]) throws(ProtobufWireReader.Failure) {
        guard blob.count > 4 else {
            throw ProtobufWireReader.Failure(offset: 0, reason: "precompiled_charsmap of \(blob.count) bytes is too short")
        }
        let trieSize = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieSize <= blob.count - 4 else {
            throw ProtobufWireReader.Failure(offset: 0, reason: "charsmap trie size \(trieSize) exceeds the \(blob.count - 4) bytes after it")
        }
        guard trieSize >= 4, trieSize % 4 == 0 else {
            throw ProtobufWireReader.Failure(offset: 0, reason: "charsmap trie size \(trieSize) is not a positive multiple of 4")
        }
        var units = [UInt32](repeating: 0, count: trieSize / 4)
        for index in units.indices {
            let base = 4 + index * 4
            units[index] = UInt32(blob[base]) | UInt32(blob[base + 1]) << 8 | UInt32(blob[base + 2]) << 16 | UInt32(blob[base + 3]) << 24
        }
        self.units = units
        self.replacements = Array(blob[(4 + trieSize)...])
    }

    /// The longest rule matching a prefix of `input[start..<end]`: its length in bytes and its
    /// replacement, or nil. A value outside the replacement strings, or a replacement longer
    /// than ``maximumReplacementLength``, counts as no match.
    func longestMatch(_ input: [UInt8], from start: Int, to end: Int) -> (length: Int, replacement: ArraySlice<UInt8>)? {
        guard let first = units.first else { return nil }
        var nodePosition = Int(Self.offset(first))
        var best: (length: Int, value: Int)?
        var index = start
        while index < end {
            let byte = input[index]
            nodePosition ^= Int(byte)
            guard nodePosition < units.count else { break }
            let unit = units[nodePosition]
            guard unit & (0x8000_0000 | 0xFF) == UInt32(byte) else { break }
            nodePosition ^= Int(Self.offset(unit))
            guard nodePosition < units.count else { break }
            if (unit >> 8) & 1 == 1 {
                best = (index + 1 - start, Int(units[nodePosition] & 0x7FFF_FFFF))
            }
            index += 1
        }
        guard let best, best.value < replacements.count else { return nil }
        let tail = replacements[best.value...]
        let stop = tail.firstIndex(of: 0) ?? replacements.endIndex
        // Real rules expand a character to a few dozen bytes at most; a longer "replacement"
        // (a damaged file) counts as no match rather than multiplying the text's size.
        guard stop - best.value <= Self.maximumReplacementLength else { return nil }
        return (best.length, replacements[best.value..<stop])
    }

    /// The longest replacement string used (bytes).
    static let maximumReplacementLength = 256

    private static func offset(_ unit: UInt32) -> UInt32 {
        (unit >> 10) << ((unit & (1 << 9)) >> 6)
    }
}

/// A byte trie of pieces (for the encoder's prefix search and the user-defined symbol matcher).
struct PieceTrie: Sendable {
    /// Children of each node, keyed by `node << 8 | byte`.
    private var children: [Int: Int32] = [:]
    /// The value ending at each node, or -1.
    private var values: [Int32] = [-1]

    var isEmpty: Bool { values.count == 1 }

    init(_ entries: [([UInt8], Int)]) {
        for (key, value) in entries {
            var node = 0
            for byte in key {
                let slot = node << 8 | Int(byte)
                if let child = children[slot] {
                    node = Int(child)
                } else {
                    values.append(-1)
                    let child = values.count - 1
                    children[slot] = Int32(child)
                    node = child
                }
            }
            if values[node] < 0 { values[node] = Int32(value) }
        }
    }

    /// Calls `body(end, value)` for every entry that is a prefix of `bytes[start..<limit]`,
    /// shortest first (`end` is the index after the entry).
    @inline(__always)
    func forEachPrefix(of bytes: [UInt8], from start: Int, to limit: Int, _ body: (Int, Int) -> Void) {
        var node = 0
        var index = start
        while index < limit {
            guard let child = children[node << 8 | Int(bytes[index])] else { return }
            node = Int(child)
            index += 1
            let value = values[node]
            if value >= 0 { body(index, Int(value)) }
        }
    }

    /// The length of the longest entry that is a prefix of `bytes[start..<limit]` (0: none).
    func longestPrefix(of bytes: [UInt8], from start: Int, to limit: Int) -> Int {
        var longest = 0
        forEachPrefix(of: bytes, from: start, to: limit) { end, _ in longest = end - start }
        return longest
    }

    /// The value stored for exactly `key`.
    func value(for key: [UInt8]) -> Int? {
        var node = 0
        for byte in key {
            guard let child = children[node << 8 | Int(byte)] else { return nil }
            node = Int(child)
        }
        return values[node] >= 0 ? Int(values[node]) : nil
    }
}

/// SentencePiece's normalizer: user-defined symbols kept as they are, the charsmap's longest
/// rule applied at each position, then the dummy prefix, whitespace collapsing and U+2581
/// escaping of `normalizer_spec`.
struct SentencePieceNormalizer: Sendable {
    var spec: SentencePieceModel.NormalizerSpec
    let charsmap: DoubleArrayCharsmap?
    let userDefinedSymbols: PieceTrie

    static let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]

    /// The byte length SentencePiece gives the character starting with `byte` (from its lead
    /// byte alone, as `OneCharLen` does).
    @inline(__always)
    static func characterLength(_ byte: UInt8) -> Int {
        switch byte >> 4 {
        case 0xC, 0xD: return 2
        case 0xE: return 3
        case 0xF: return 4
        default: return 1
        }
    }

    /// The normalized form of one prefix of `input[position...]` and how many bytes it consumes.
    private func normalizePrefix(_ input: [UInt8], at position: Int) -> (ArraySlice<UInt8>, Int) {
        if !userDefinedSymbols.isEmpty {
            let length = userDefinedSymbols.longestPrefix(of: input, from: position, to: input.count)
            if length > 0 { return (input[position..<(position + length)], length) }
        }
        if let charsmap, let match = charsmap.longestMatch(input, from: position, to: input.count) {
            return (match.replacement, match.length)
        }
        let length = min(Self.characterLength(input[position]), input.count - position)
        return (input[position..<(position + length)], length)
    }

    /// The normalized UTF-8 bytes of `input` (valid UTF-8).
    func normalize(_ input: [UInt8]) -> [UInt8] {
        guard !input.isEmpty else { return [] }
        var position = 0
        if spec.removeExtraWhitespaces {
            while position < input.count {
                let (piece, length) = normalizePrefix(input, at: position)
                guard piece.count == 1, piece.first == 0x20 else { break }
                position += length
            }
        }
        guard position < input.count else { return [] }
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 3)
        if spec.addDummyPrefix {
            output.append(contentsOf: spec.escapeWhitespaces ? Self.spaceSymbol : [0x20])
        }
        var previousIsSpace = spec.removeExtraWhitespaces
        while position < input.count {
            let (normalized, length) = normalizePrefix(input, at: position)
            var piece = normalized
            while previousIsSpace, piece.first == 0x20 { piece = piece.dropFirst() }
            if !piece.isEmpty {
                for byte in piece {
                    if spec.escapeWhitespaces && byte == 0x20 {
                        output.append(contentsOf: Self.spaceSymbol)
                    } else {
                        output.append(byte)
                    }
                }
                previousIsSpace = piece.last == 0x20
            }
            position += length
            if !spec.removeExtraWhitespaces { previousIsSpace = false }
        }
        if spec.removeExtraWhitespaces {
            let space = spec.escapeWhitespaces ? Self.spaceSymbol : [0x20]
            while output.count >= space.count, Array(output.suffix(space.count)) == space {
                output.removeLast(space.count)
            }
        }
        return output
    }
}
