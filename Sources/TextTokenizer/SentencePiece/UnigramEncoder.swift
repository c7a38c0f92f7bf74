/// SentencePiece's unigram encoder: the best-scoring segmentation of normalized text (its
/// optimized Viterbi over byte positions, in Float arithmetic with the same tie
/// breaking), unknown characters scored `min score - 10`.
struct UnigramEncoder: Sendable {
    private let trie: PieceTrie
    private let scores: [Float]
    private let types: [SentencePieceModel.PieceType]
    private let unknownID: Int
    private let minimumScore: Float
    private let maximumScore: Float

    static let unknownPenalty: Float = 10

    init(pieces: [([UInt8], Float, SentencePieceModel.PieceType)], unknownID: Int) {
        var entries: [([UInt8], Int)] = []
        var minimum = Float.greatestFiniteMagnitude
        var maximum = Float.leastNormalMagnitude  // FLT_MIN, as sentencepiece starts it
        for (id, (bytes, score, type)) in pieces.enumerated() {
            switch type {
            case .normal:
                entries.append((bytes, id))
                minimum = min(minimum, score)
                maximum = max(maximum, score)
            case .userDefined, .unused:
                entries.append((bytes, id))
            case .unknown, .control, .byte:
                break
            }
        }
        trie = PieceTrie(entries)
        scores = pieces.map(\.1)
        types = pieces.map(\.2)
        self.unknownID = unknownID
        minimumScore = minimum
        maximumScore = maximum
    }

    /// The pieces of `normalized` as byte ranges with their ids (the unknown id for characters
    /// no piece covers; consecutive unknowns are not merged yet).
    func encode(_ normalized: [UInt8]) -> [(range: Range<Int>, id: Int)] {
        let size = normalized.count
        guard size > 0 else { return [] }
        let unknownScore = minimumScore - Self.unknownPenalty
        var bestID = [Int32](repeating: -1, count: size + 1)
        var bestScore = [Float](repeating: 0, count: size + 1)
        var bestStart = [Int](repeating: -1, count: size + 1)
        var start = 0
        while start < size {
            let scoreSoFar = bestScore[start]
            let characterLength = min(SentencePieceNormalizer.characterLength(normalized[start]), size - start)
            var hasSingleCharacterPiece = false
            trie.forEachPrefix(of: normalized, from: start, to: size) { end, id in
                let type = types[id]
                if type == .unused { return }
                let length = end - start
                let score: Float = type == .userDefined ? Float(length) * maximumScore - 0.1 : scores[id]
                let candidate = score + scoreSoFar
                if bestStart[end] == -1 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    bestStart[end] = start
                    bestID[end] = Int32(id)
                }
                if length == characterLength { hasSingleCharacterPiece = true }
            }
            if !hasSingleCharacterPiece {
                let end = start + characterLength
                let candidate = unknownScore + scoreSoFar
                if bestStart[end] == -1 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    bestStart[end] = start
                    bestID[end] = Int32(unknownID)
                }
            }
            start += characterLength
        }
        var result: [(range: Range<Int>, id: Int)] = []
        var end = size
        while end > 0 {
            let begin = bestStart[end]
            guard begin >= 0, begin < end else { break }
            result.append((begin..<end, Int(bestID[end])))
            end = begin
        }
        result.reverse()
        return result
    }
}

extension SentencePieceModel {
    /// The normalized text sentencepiece encodes (`SentencePieceProcessor.normalize`): charsmap
    /// rules applied, spaces collapsed and written as U+2581, the dummy prefix added.
    public func normalize(_ text: String) -> String {
        String(decoding: normalizer.normalize(Array(text.utf8)), as: UTF8.self)
    }

    /// The pieces sentencepiece's `encode(text, out_type=str)` returns, as UTF-8 bytes with
    /// their ids: consecutive unknown characters merged into one unknown piece, or (byte-fallback
    /// models) unknown characters spelled as `<0xXX>` byte pieces.
    func encodePieces(_ text: String) -> [(bytes: [UInt8], id: Int)] {
        let normalized = normalizer.normalize(Array(text.utf8))
        var pieces: [(bytes: [UInt8], id: Int)] = []
        var previousIsUnknown = false
        for (range, id) in encoder.encode(normalized) {
            let isUnknown = id == unknownID
            if isUnknown && trainerSpec.byteFallback {
                for byte in normalized[range] {
                    let piece = Array("<0x\(Self.hexDigits(byte))>".utf8)
                    pieces.append((piece, pieceID(bytes: piece)))
                }
            } else if isUnknown && previousIsUnknown, let last = pieces.indices.last {
                pieces[last].bytes.append(contentsOf: normalized[range])
            } else {
                pieces.append((Array(normalized[range]), id))
            }
            previousIsUnknown = isUnknown
        }
        return pieces
    }

    private static func hexDigits(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }

    /// The ids sentencepiece's `encode(text)` returns (no special tokens added).
    public func encode(_ text: String) -> [Int] {
        encodePieces(text).map(\.id)
    }

    /// The pieces sentencepiece's `encode(text, out_type=str)` returns; a run of unknown
    /// characters is one piece holding their normalized text.
    public func encodeAsPieces(_ text: String) -> [String] {
        encodePieces(text).map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// sentencepiece's `piece_to_id`: the id of a control, unknown or byte piece with this text,
    /// else of an ordinary piece, else the unknown id.
    public func pieceID(_ piece: String) -> Int {
        pieceID(bytes: Array(piece.utf8))
    }

    func pieceID(bytes: [UInt8]) -> Int {
        reservedIDs[bytes] ?? pieceIDs[bytes] ?? unknownID
    }

    /// The text sentencepiece's `decode(ids)` returns: control pieces vanish, the unknown piece
    /// becomes `trainerSpec.unknownSurface`, U+2581 becomes a space (the first one of the text
    /// dropped), byte pieces are joined into UTF-8 (U+FFFD for each invalid byte). A
    /// denormalizer is not applied.
    /// - Throws: `TextTokenizerError.unknownTokenID` for an id outside `0..<pieces.count`.
    public func decode(_ ids: [Int]) throws -> String {
        for id in ids where id < 0 || id >= pieces.count {
            throw TextTokenizerError.unknownTokenID(id)
        }
        return decode(pieceBytes: ids.map { pieceBytes[$0] })
    }

    /// sentencepiece's `decode(pieces)` of piece texts (each looked up with ``pieceID(_:)``).
    func decode(pieceBytes: [[UInt8]]) -> String {
        var text: [UInt8] = []
        var pendingBytes: [UInt8] = []
        var isBeginning = true
        var spaceSeen = false
        let space = SentencePieceNormalizer.spaceSymbol
        func flushBytes() {
            guard !pendingBytes.isEmpty else { return }
            text.append(contentsOf: Self.repairedUTF8(pendingBytes))
            pendingBytes.removeAll()
        }
        for bytes in pieceBytes {
            let id = pieceID(bytes: bytes)
            let type = pieces[id].type
            if type == .byte, let byte = Self.byteValue(ofPiece: bytes) {
                pendingBytes.append(byte)
                continue
            }
            flushBytes()
            if spaceSeen || !text.isEmpty { isBeginning = false }
            spaceSeen = false
            switch type {
            case .control:
                continue
            case .unknown:
                if bytes == self.pieceBytes[id] {
                    text.append(contentsOf: trainerSpec.unknownSurface.utf8)
                } else {
                    text.append(contentsOf: bytes)
                }
                continue
            default:
                break
            }
            var piece = bytes[...]
            if isBeginning && (normalizerSpec.addDummyPrefix || normalizerSpec.removeExtraWhitespaces) {
                if piece.starts(with: space) {
                    piece = piece.dropFirst(space.count)
                    spaceSeen = !normalizerSpec.removeExtraWhitespaces
                }
            }
            var index = piece.startIndex
            while index < piece.endIndex {
                if piece[index...].starts(with: space) {
                    text.append(0x20)
                    index += space.count
                } else {
                    text.append(piece[index])
                    index += 1
                }
            }
        }
        flushBytes()
        return String(decoding: text, as: UTF8.self)
    }

    /// UTF-8 with each byte that does not start a valid sequence replaced by U+FFFD (as
    /// sentencepiece decodes byte pieces).
    static func repairedUTF8(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let length = validSequenceLength(bytes, at: index)
            if length == 0 {
                output.append(contentsOf: [0xEF, 0xBF, 0xBD])
                index += 1
            } else {
                output.append(contentsOf: bytes[index..<(index + length)])
                index += length
            }
        }
        return output
    }

    /// The length of the well-formed UTF-8 sequence at `index`, or 0.
    static func validSequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        var lowerSecond: UInt8 = 0x80
        var upperSecond: UInt8 = 0xBF
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowerSecond = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: length = 3
        case 0xED: length = 3; upperSecond = 0x9F
        case 0xF0: length = 4; lowerSecond = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upperSecond = 0x8F
        default: return 0
        }
        guard index + length <= bytes.count else { return 0 }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            let (low, high) = offset == 1 ? (lowerSecond, upperSecond) : (UInt8(0x80), UInt8(0xBF))
            guard byte >= low, byte <= high else { return 0 }
        }
        return length
    }
}
