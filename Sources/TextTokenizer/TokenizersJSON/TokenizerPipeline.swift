/// A `tokenizers` encoding pipeline without offsets: added tokens split out, normalizer,
/// pre-tokenizer, BPE model; and the decoder for the way back.
struct TokenizerPipeline: Sendable {
    let model: BPEModel
    /// Added tokens matched in the raw text (not normalized), longest first per first scalar.
    private let rawTokens: [UInt32: [(content: [UInt32], id: Int32, lstrip: Bool, rstrip: Bool)]]
    /// Added tokens matched in the normalized text.
    private let normalizedTokens: [UInt32: [(content: [UInt32], id: Int32, lstrip: Bool, rstrip: Bool)]]
    /// The content of each added token by id.
    private let addedContent: [Int: [UInt32]]
    /// The id of each added token by content.
    private let addedIDs: [[UInt32]: Int]
    let normalizer: TokenizerNormalizer?
    let preTokenizer: TokenizerPreTokenizer?
    let decoder: TokenizerDecoder?
    /// The number of ids (the model's and the added tokens').
    let vocabularySize: Int
    private let cache = WordCache(capacity: 8192)

    /// - Throws: `unsupportedTokenizer` for a single-word added token.
    init(model: BPEModel, addedTokens: [(token: TokenizerAddedToken, id: Int)], normalizer: TokenizerNormalizer?,
         preTokenizer: TokenizerPreTokenizer?, decoder: TokenizerDecoder?, path: String) throws(TextTokenizerError) {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.decoder = decoder
        var raw: [UInt32: [(content: [UInt32], id: Int32, lstrip: Bool, rstrip: Bool)]] = [:]
        var normalized = raw
        var contents: [Int: [UInt32]] = [:]
        var size = model.tokens.count
        for (token, id) in addedTokens {
            if token.singleWord {
                throw .unsupportedTokenizer(path: path, reason: "single_word added token \"\(token.content)\"")
            }
            let scalars = TextScalars.of(token.content)
            contents[id] = scalars
            size = max(size, id + 1)
            guard let first = scalars.first else { continue }
            let entry = (content: scalars, id: Int32(id), lstrip: token.lstrip, rstrip: token.rstrip)
            if token.normalized { normalized[first, default: []].append(entry) } else { raw[first, default: []].append(entry) }
        }
        self.rawTokens = raw.mapValues { $0.sorted { $0.content.count > $1.content.count } }
        self.normalizedTokens = normalized.mapValues { $0.sorted { $0.content.count > $1.content.count } }
        self.addedContent = contents
        self.addedIDs = Dictionary(contents.map { ($0.value, $0.key) }, uniquingKeysWith: { min($0, $1) })
        self.vocabularySize = size
    }

    private enum Piece {
        case text([UInt32], isFirst: Bool)
        case token(Int32)
    }

    /// Splits text pieces at the added tokens of `table` (leftmost-longest matches).
    private func split(_ pieces: [Piece], with table: [UInt32: [(content: [UInt32], id: Int32, lstrip: Bool, rstrip: Bool)]]) -> [Piece] {
        guard !table.isEmpty else { return pieces }
        var output: [Piece] = []
        for piece in pieces {
            guard case let .text(text, isFirst) = piece else { output.append(piece); continue }
            var start = 0  // start of the pending text
            var index = 0
            var first = isFirst
            while index < text.count {
                guard let candidates = table[text[index]],
                      let match = candidates.first(where: { TextScalars.matches($0.content, in: text, at: index) }) else {
                    index += 1
                    continue
                }
                var lower = index, upper = index + match.content.count
                if match.lstrip { while lower > start && TextScalars.isWhitespace(text[lower - 1]) { lower -= 1 } }
                if match.rstrip { while upper < text.count && TextScalars.isWhitespace(text[upper]) { upper += 1 } }
                if lower > start { output.append(.text(Array(text[start..<lower]), isFirst: first)) }
                output.append(.token(match.id))
                first = false
                start = upper
                index = upper
            }
            if start < text.count { output.append(.text(Array(text[start...]), isFirst: first)) }
        }
        return output
    }

    /// The ids of `text` (no post-processing).
    func encode(_ text: String) -> [Int] {
        var pieces = split([.text(TextScalars.of(text), isFirst: true)], with: rawTokens)
        pieces = pieces.map { piece in
            guard case let .text(text, isFirst) = piece, let normalizer else { return piece }
            return .text(normalizer.apply(text), isFirst: isFirst)
        }
        pieces = split(pieces, with: normalizedTokens)
        var ids: [Int32] = []
        for piece in pieces {
            switch piece {
            case let .token(id):
                ids.append(id)
            case let .text(text, isFirst):
                let words = preTokenizer?.apply([text], isFirst: isFirst) ?? [text]
                for word in words { encodeWord(word, into: &ids) }
            }
        }
        return ids.map(Int.init)
    }

    private func encodeWord(_ word: [UInt32], into ids: inout [Int32]) {
        guard word.count <= 256 else {
            model.encode(word, into: &ids)
            return
        }
        // Three bytes per scalar (scalar values have 21 bits): a unique key.
        var key: [UInt8] = []
        key.reserveCapacity(word.count * 3)
        for scalar in word {
            key.append(UInt8(truncatingIfNeeded: scalar))
            key.append(UInt8(truncatingIfNeeded: scalar >> 8))
            key.append(UInt8(truncatingIfNeeded: scalar >> 16))
        }
        var cached: [Int] = []
        if cache.appendIDs(for: key, to: &cached) {
            ids.append(contentsOf: cached.map { Int32($0) })
            return
        }
        var encoded: [Int32] = []
        model.encode(word, into: &encoded)
        cache.insert(key, ids: encoded)
        ids.append(contentsOf: encoded)
    }

    /// The id of the added token `content`, if it is one.
    func encodeAddedToken(_ content: [UInt32]) -> Int? { addedIDs[content] }

    /// The token string of `id`, if it is one.
    func token(of id: Int) -> [UInt32]? {
        if let content = addedContent[id] { return content }
        guard id >= 0 && id < model.tokens.count else { return nil }
        return model.tokens[id]
    }

    /// The decoded text of `ids`.
    /// - Throws: `TextTokenizerError.unknownTokenID` for an id without a token.
    func decode(_ ids: [Int]) throws(TextTokenizerError) -> String {
        var tokens: [[UInt32]] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let token = token(of: id) else { throw .unknownTokenID(id) }
            tokens.append(token)
        }
        guard let decoder else {
            return tokens.map(TextScalars.string).joined(separator: " ")
        }
        return decoder.apply(tokens).map(TextScalars.string).joined()
    }
}
