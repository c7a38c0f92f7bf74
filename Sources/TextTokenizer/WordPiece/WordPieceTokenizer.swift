import CLIPSupport
import Foundation

/// BERT's uncased WordPiece tokenizer: transformers' `BertTokenizer` (and `BertTokenizerFast`,
/// the same class in transformers 5) for a `bert-base-uncased` style `vocab.txt`, as open_clip's
/// CLIPA models use it (`"hf_tokenizer_name": "bert-base-uncased"`).
///
/// Reproduces transformers 5.24 / tokenizers 0.23.3 with `do_lower_case=True`,
/// `tokenize_chinese_chars=True` and accent stripping following the lowercasing:
/// 1. The special tokens `[CLS]`, `[SEP]`, `[PAD]`, `[UNK]` and `[MASK]` written in the text (exactly
///    so, case included) are their ids, as in transformers; the text between them goes on.
/// 2. BertNormalizer: control and format characters, U+0000 and U+FFFD are dropped, whitespace
///    becomes spaces, CJK ideographs are surrounded by spaces, the text is decomposed (NFD) and
///    nonspacing marks are removed, then lowercased (`"Café Über"` → `"cafe uber"`).
/// 3. BertPreTokenizer: words split at whitespace; each punctuation character (ASCII punctuation,
///    Unicode P*) is a word of its own.
/// 4. WordPiece: each word greedily, longest piece first, later pieces from the `##` tokens; a
///    word of more than ``maximumWordLength`` characters, or one with any part no token covers, is
///    a single `[UNK]`.
///
/// The character data (which characters are controls, marks, punctuation, their decompositions
/// and lowercase) is the `tokenizers` library's own, which is not Python's: it differs from
/// transformers' pure-Python `BertTokenizerLegacy` (transformers 4's `BertTokenizer`) on rare text
/// such as a final capital sigma, marks newer than Unicode 8, or CJK Extension E's first 256 characters.
///
/// ``tokenize(_:)`` is `tokenizer(text, padding="max_length", max_length=contextLength,
/// truncation=True)["input_ids"]`: `[CLS]`, at most `contextLength - 2` ids, `[SEP]`, then `[PAD]`.
/// For open_clip's `HFTokenizer` (its text cleaning and `strip_sep_token`) wrap it in
/// ``OpenCLIPHFTokenizer`` (``OpenCLIPHFTokenizer/init(wordPieceVocabulary:contextLength:cleaning:stripsSeparatorToken:)``).
///
/// Immutable and safe to share between threads.
public struct WordPieceTokenizer: TextTokenizing {
    /// The most characters (Unicode scalars, after normalization) a word may have; a longer word
    /// is `[UNK]` (transformers' `max_input_chars_per_word`).
    public static let maximumWordLength = 100

    /// The length ``tokenize(_:)`` pads and truncates to.
    public let contextLength: Int
    /// The number of tokens of the vocabulary (its lines).
    public var vocabularySize: Int { vocabulary.tokens.count }
    /// The id of `[CLS]`, the first id of every row.
    public let classifierTokenID: Int
    /// The id of `[SEP]`, which ends the text of every row.
    public let separatorTokenID: Int
    /// The id of `[PAD]`, which fills rows (0 in `bert-base-uncased`).
    public let padTokenID: Int
    /// The id of `[UNK]`, for words the vocabulary cannot spell.
    public let unknownTokenID: Int
    /// The id of `[MASK]`, if the vocabulary has it.
    public let maskTokenID: Int?

    private let vocabulary: WordPieceVocabulary
    /// The special tokens matched in the raw text, longest first.
    private let specialTokens: [(content: [UInt32], id: Int32)]

    /// Loads a `vocab.txt`: one token per line, the id of a token its line number less one.
    /// - Parameters:
    ///   - url: the `vocab.txt` file.
    ///   - contextLength: the row length of ``tokenize(_:)`` (open_clip's CLIPA models: 32).
    /// - Throws: `TextTokenizerError.unreadableFile`; `.malformedVocabulary` for an empty file;
    ///   `.malformedVocabularyLine` (with the line) for invalid UTF-8, a blank line, a repeated
    ///   token or an overlong line; `.missingToken` when `[PAD]`, `[UNK]`, `[CLS]` or `[SEP]` is
    ///   absent; `.invalidContextLength` below 2 or above ``paddedContextLengthLimit``.
    public init(vocabularyAt url: URL, contextLength: Int = 32) throws(TextTokenizerError) {
        let data: Data
        do {
            data = try BoundedFile.contents(of: url, limit: BoundedFile.vocabularyLimit)
        } catch {
            throw .unreadableFile(path: url.path, reason: "\(error)")
        }
        try self.init(vocabularyData: data, path: url.path, contextLength: contextLength)
    }

    /// Reads a `vocab.txt` from its bytes; see ``init(vocabularyAt:contextLength:)``.
    /// - Parameters:
    ///   - vocabularyData: the file's bytes.
    ///   - path: the file named in errors.
    ///   - contextLength: the row length of ``tokenize(_:)``.
    /// - Throws: as ``init(vocabularyAt:contextLength:)``.
    public init(vocabularyData: Data, path: String, contextLength: Int = 32) throws(TextTokenizerError) {
        guard contextLength >= 2, contextLength <= paddedContextLengthLimit else {
            throw .invalidContextLength(contextLength)
        }
        let vocabulary = try WordPieceVocabulary(bytes: Array(vocabularyData), path: path)
        func required(_ name: String) throws(TextTokenizerError) -> Int {
            guard let id = vocabulary.id(of: TextScalars.of(name)) else {
                throw .missingToken(path: path, token: name,
                                    reason: "BERT's special tokens [PAD], [UNK], [CLS] and [SEP] must be in the vocabulary")
            }
            return Int(id)
        }
        padTokenID = try required("[PAD]")
        unknownTokenID = try required("[UNK]")
        classifierTokenID = try required("[CLS]")
        separatorTokenID = try required("[SEP]")
        maskTokenID = vocabulary.id(of: TextScalars.of("[MASK]")).map(Int.init)
        var specials: [(content: [UInt32], id: Int32)] = []
        for name in ["[MASK]", "[PAD]", "[UNK]", "[CLS]", "[SEP]"] {
            let content = TextScalars.of(name)
            if let id = vocabulary.id(of: content) { specials.append((content, id)) }
        }
        specialTokens = specials
        self.vocabulary = vocabulary
        self.contextLength = contextLength
    }

    // MARK: - Encoding

    /// The ids of `text` without `[CLS]`, `[SEP]`, truncation or padding
    /// (`tokenizer(text, add_special_tokens=False)["input_ids"]`). Special-token names written in
    /// the text are their ids.
    public func encode(_ text: String) -> [Int] {
        var ids: [Int32] = []
        encode(TextScalars.of(text), into: &ids)
        return ids.map(Int.init)
    }

    /// Exactly ``contextLength`` ids: `[CLS]`, the first `contextLength - 2` ids of ``encode(_:)``,
    /// `[SEP]`, then `[PAD]`.
    public func tokenize(_ text: String) -> [Int] {
        row(encode(text), length: contextLength)
    }

    /// ``tokenize(_:)`` with another length.
    /// - Throws: `TextTokenizerError.invalidContextLength` below 2 (`[CLS]` and `[SEP]` need two
    ///   ids) or above ``paddedContextLengthLimit``.
    public func tokenize(_ text: String, contextLength: Int) throws(TextTokenizerError) -> [Int] {
        guard contextLength >= 2, contextLength <= paddedContextLengthLimit else {
            throw .invalidContextLength(contextLength)
        }
        return row(encode(text), length: contextLength)
    }

    /// The token strings of `text` (transformers' `tokenizer.tokenize(text)`): the pieces
    /// ``encode(_:)`` gives the ids of, `##` prefixes included.
    public func tokens(of text: String) -> [String] {
        encode(text).map { TextScalars.string(vocabulary.tokens[$0]) }
    }

    /// The id of `token`, if the vocabulary has it.
    public func id(of token: String) -> Int? {
        vocabulary.id(of: TextScalars.of(token)).map(Int.init)
    }

    /// The token of `id`, if it is in the vocabulary.
    public func token(of id: Int) -> String? {
        guard id >= 0 && id < vocabulary.tokens.count else { return nil }
        return TextScalars.string(vocabulary.tokens[id])
    }

    private func row(_ ids: [Int], length: Int) -> [Int] {
        var row: [Int] = []
        row.reserveCapacity(length)
        row.append(classifierTokenID)
        row.append(contentsOf: ids.prefix(length - 2))
        row.append(separatorTokenID)
        row.append(contentsOf: repeatElement(padTokenID, count: length - row.count))
        return row
    }

    private func encode(_ text: [UInt32], into ids: inout [Int32]) {
        var start = 0
        var index = 0
        while index < text.count {
            guard text[index] == 0x5B,
                  let special = specialTokens.first(where: { TextScalars.matches($0.content, in: text, at: index) }) else {
                index += 1
                continue
            }
            if index > start { encodeText(text[start..<index], into: &ids) }
            ids.append(special.id)
            index += special.content.count
            start = index
        }
        if start < text.count { encodeText(text[start...], into: &ids) }
    }

    private func encodeText(_ text: ArraySlice<UInt32>, into ids: inout [Int32]) {
        let normalized = BertTextProcessing.normalize(text)
        for word in BertTextProcessing.words(normalized) {
            encodeWord(word, into: &ids)
        }
    }

    private func encodeWord(_ word: ArraySlice<UInt32>, into ids: inout [Int32]) {
        guard word.count <= Self.maximumWordLength else {
            ids.append(Int32(unknownTokenID))
            return
        }
        let first = ids.count
        var start = word.startIndex
        while start < word.endIndex {
            let trie = start == word.startIndex ? vocabulary.wordStart : vocabulary.continuation
            guard let match = trie.longestPrefix(of: word[start...]) else {
                // A part no token covers: the whole word is unknown.
                ids.removeSubrange(first...)
                ids.append(Int32(unknownTokenID))
                return
            }
            ids.append(match.id)
            start += match.length
        }
    }

    // MARK: - Decoding

    /// `tokenizer.decode(ids)` (transformers 5, `skip_special_tokens=False`): the `tokenizers`
    /// WordPiece decoder. Each token after the first is joined with a space, or without one and
    /// without its `##`; then, per token, `" ."`, `" ?"`, `" !"`, `" ,"` lose their space and
    /// `" ' "`, `" n't"`, `" 'm"`, `" do not"`, `" 's"`, `" 've"`, `" 're"` are contracted.
    /// Special tokens (`[CLS]`, `[PAD]`) are kept. Unlike `tokenizers`, which drops ids it does
    /// not know, an id outside the vocabulary is an error.
    /// - Throws: `TextTokenizerError.unknownTokenID`.
    public func decode(_ ids: [Int]) throws(TextTokenizerError) -> String {
        var text: [UInt32] = []
        for (position, id) in ids.enumerated() {
            guard id >= 0 && id < vocabulary.tokens.count else { throw .unknownTokenID(id) }
            var token = vocabulary.tokens[id]
            if position > 0 {
                if token.starts(with: WordPieceVocabulary.continuingPrefix) {
                    token.removeFirst(2)
                } else {
                    token.insert(0x20, at: 0)
                }
            }
            text.append(contentsOf: Self.cleanUp(token))
        }
        return TextScalars.string(text)
    }

    /// The decoder's `cleanup` of one token: each replacement over the whole token, in order.
    private static let cleanUpReplacements: [([UInt32], [UInt32])] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ].map { (TextScalars.of($0.0), TextScalars.of($0.1)) }

    private static func cleanUp(_ token: [UInt32]) -> [UInt32] {
        guard token.contains(0x20) else { return token }
        var result = token
        for (pattern, replacement) in cleanUpReplacements {
            result = TextScalars.replacing(pattern, with: replacement, in: result)
        }
        return result
    }
}
