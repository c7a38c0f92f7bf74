/// A WordPiece vocabulary: BERT's `vocab.txt`, one token per line, the id of a token its line
/// number less one. Read as the `tokenizers` library reads it (`WordPiece::read_file`, which
/// transformers 5 uses): lines end at LF, trailing whitespace (a CR included) is not part of the
/// token.
struct WordPieceVocabulary: Sendable {
    /// The longest line accepted, in bytes. A token longer than a word can be (100 characters,
    /// plus `##`) could never be produced; real vocabularies have tokens of a few dozen bytes.
    static let lineLimit = 1024

    /// Each token's scalars, by id.
    let tokens: [[UInt32]]
    /// Longest-prefix search over all tokens (for the first piece of a word).
    let wordStart: ScalarTrie
    /// Longest-prefix search over the tokens that start with `##`, without it (later pieces).
    let continuation: ScalarTrie
    /// The id of each token.
    let ids: [[UInt32]: Int32]

    static let continuingPrefix: [UInt32] = [0x23, 0x23]

    /// Parses the bytes of a `vocab.txt`.
    /// - Throws: `TextTokenizerError.malformedVocabulary` for an empty file,
    ///   `.malformedVocabularyLine` for invalid UTF-8, a blank line (other than at the end), a
    ///   repeated token or a line over ``lineLimit`` bytes.
    init(bytes: [UInt8], path: String) throws(TextTokenizerError) {
        var tokens: [[UInt32]] = []
        var ids: [[UInt32]: Int32] = [:]
        var blankLine: Int?  // the first blank line not yet followed by a token
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            guard end - start <= Self.lineLimit else {
                throw .malformedVocabularyLine(
                    path: path, line: lineNumber,
                    reason: "the line has \(end - start) bytes, more than the limit of \(Self.lineLimit) for a token")
            }
            guard var scalars = UTF8Codec.decodeStrict(bytes[start..<end]) else {
                throw .malformedVocabularyLine(path: path, line: lineNumber, reason: "the line is not valid UTF-8")
            }
            start = end + 1
            while let last = scalars.last, BertTextProcessing.isWhitespace(last) { scalars.removeLast() }
            if scalars.isEmpty {
                if blankLine == nil { blankLine = lineNumber }
                continue
            }
            if let blank = blankLine {
                throw .malformedVocabularyLine(path: path, line: blank,
                                               reason: "a blank line (or one of whitespace) where a token should be")
            }
            guard tokens.count < Int(Int32.max) else {
                throw .malformedVocabularyLine(path: path, line: lineNumber, reason: "more tokens than 32-bit ids can number")
            }
            if let earlier = ids[scalars] {
                throw .malformedVocabularyLine(
                    path: path, line: lineNumber,
                    reason: "token \(TextScalars.string(scalars).debugDescription) repeats line \(earlier + 1)")
            }
            ids[scalars] = Int32(tokens.count)
            tokens.append(scalars)
        }
        guard !tokens.isEmpty else {
            throw .malformedVocabulary(path: path, reason: "the file has no tokens (one token per line expected)")
        }
        self.tokens = tokens
        self.ids = ids
        var wordStart = ScalarTrie()
        var continuation = ScalarTrie()
        for (id, token) in tokens.enumerated() {
            wordStart.insert(token[...], id: Int32(id))
            if token.count > 2 && token.starts(with: Self.continuingPrefix) {
                continuation.insert(token[2...], id: Int32(id))
            }
        }
        self.wordStart = wordStart
        self.continuation = continuation
    }

    /// The id of `token`, if it is in the vocabulary.
    func id(of token: [UInt32]) -> Int32? { ids[token] }
}

/// A trie over Unicode scalars: each edge is one (node, scalar) key.
struct ScalarTrie: Sendable {
    /// Child node of each (node << 21 | scalar).
    private var children: [UInt64: Int32] = [:]
    /// The token id ending at each node, or -1.
    private var values: [Int32] = [-1]

    mutating func insert(_ key: ArraySlice<UInt32>, id: Int32) {
        var node: Int32 = 0
        for scalar in key {
            let edge = UInt64(node) << 21 | UInt64(scalar & 0x1F_FFFF)
            if let child = children[edge] {
                node = child
            } else {
                let child = Int32(values.count)
                values.append(-1)
                children[edge] = child
                node = child
            }
        }
        values[Int(node)] = id
    }

    /// The longest key that is a prefix of `text`: its length in scalars and its id.
    func longestPrefix(of text: ArraySlice<UInt32>) -> (length: Int, id: Int32)? {
        var node: Int32 = 0
        var best: (length: Int, id: Int32)?
        var length = 0
        for scalar in text {
            guard let child = children[UInt64(node) << 21 | UInt64(scalar & 0x1F_FFFF)] else { break }
            node = child
            length += 1
            let value = values[Int(node)]
            if value >= 0 { best = (length, value) }
        }
        return best
    }
}
