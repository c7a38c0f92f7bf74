/// What a model's text tower needs from a tokenizer: the ids of each text with the special
/// tokens, truncation and padding the model was trained with.
///
/// ``CLIPTokenizer`` (byte-level BPE, 77 tokens, unpadded) conforms, and so do the SigLIP
/// tokenizers (SentencePiece and Gemma, padded to 64) and ``WordPieceTokenizer`` (BERT's, padded
/// to 32 for open_clip's CLIPA models). Conforming types are immutable and safe to share between
/// threads.
public protocol TextTokenizing: Sendable {
    /// The most ids ``tokenize(_:)`` returns for one text (77 for CLIP, 64 for SigLIP).
    var contextLength: Int { get }

    /// The number of ids the tokenizer can produce (every id is below it).
    var vocabularySize: Int { get }

    /// The ids of `text` without special tokens, truncation or padding.
    func encode(_ text: String) -> [Int]

    /// The ids of `text` as the model reads them: special tokens added, truncated to
    /// ``contextLength`` and, for tokenizers whose models were trained on padded text, padded
    /// to it.
    func tokenize(_ text: String) -> [Int]

    /// ``tokenize(_:)`` with another context length.
    /// - Throws: `TextTokenizerError.invalidContextLength` when `contextLength` cannot hold the
    ///   special tokens.
    func tokenize(_ text: String, contextLength: Int) throws -> [Int]

    /// The text of `ids` as the reference tokenizer decodes it.
    /// - Throws: `TextTokenizerError.unknownTokenID` for an id outside the vocabulary.
    func decode(_ ids: [Int]) throws -> String
}

extension TextTokenizing {
    /// ``tokenize(_:)`` of each text.
    public func tokenize(_ texts: [String]) -> [[Int]] {
        texts.map { tokenize($0) }
    }
}

extension CLIPTokenizer: TextTokenizing {
    /// The number of tokens of the vocabulary (49408 for CLIP's standard one).
    public var vocabularySize: Int { vocabulary.tokenBytes.count }
}

extension SiglipTokenizer {
    /// The number of pieces of the SentencePiece model.
    public var vocabularySize: Int { model.pieces.count }
}
