/// Errors of the TextTokenizer module. Each case names the file, line, token or value at fault.
public enum TextTokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file could not be read.
    case unreadableFile(path: String, reason: String)
    /// A gzip stream could not be decompressed.
    case invalidCompressedData(path: String, reason: String)
    /// A vocabulary file (a token → id JSON object, a `tokenizers` JSON file) is not in the expected form.
    case malformedVocabulary(path: String, reason: String)
    /// A merges file has a bad line (1-based line number in the file).
    case malformedMerges(path: String, line: Int, reason: String)
    /// A one-token-per-line vocabulary (BERT's `vocab.txt`) has a bad line (1-based line number in
    /// the file): invalid UTF-8, a blank line, a repeated token, a line too long to be a token.
    case malformedVocabularyLine(path: String, line: Int, reason: String)
    /// A token the byte-level BPE needs is absent from the vocabulary.
    case missingToken(path: String, token: String, reason: String)
    /// The bundled default vocabulary is missing from the package resources.
    case missingBundledVocabulary(name: String)
    /// A context length below 2 (start and end tokens need two slots).
    case invalidContextLength(Int)
    /// `decode` got an id outside the vocabulary.
    case unknownTokenID(Int)
    /// `pad` got more ids than the requested length.
    case sequenceTooLong(length: Int, limit: Int)
    /// A SentencePiece model file (`spiece.model`, `tokenizer.model`: a protobuf) is malformed at
    /// byte `offset`.
    case malformedSentencePieceModel(path: String, offset: Int, reason: String)
    /// A `tokenizers` JSON file (`tokenizer.json`) has a bad value at `key` (a dotted key path).
    case malformedTokenizerFile(path: String, key: String, reason: String)
    /// A tokenizer file is well formed but asks for something this library does not implement
    /// (named in `reason`).
    case unsupportedTokenizer(path: String, reason: String)
    /// Tokenizer settings (`tokenizer_config.json`) have a bad value at `key`.
    case invalidSettings(path: String, key: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .invalidCompressedData(let path, let reason):
            return "cannot decompress \(path): \(reason)"
        case .malformedVocabulary(let path, let reason):
            return "malformed vocabulary \(path): \(reason)"
        case .malformedMerges(let path, let line, let reason):
            return "malformed merges \(path), line \(line): \(reason)"
        case .malformedVocabularyLine(let path, let line, let reason):
            return "malformed vocabulary \(path), line \(line): \(reason)"
        case .missingToken(let path, let token, let reason):
            return "vocabulary \(path) lacks token \"\(token)\": \(reason)"
        case .missingBundledVocabulary(let name):
            return "the bundled vocabulary \(name) is missing from the TextTokenizer resources"
        case .invalidContextLength(let length):
            return length > paddedContextLengthLimit
                ? "context length \(length) is more than the limit of \(paddedContextLengthLimit) for padded rows"
                : "context length \(length) is too small (at least 2: start and end tokens)"
        case .unknownTokenID(let id):
            return "token id \(id) is not in the vocabulary"
        case .sequenceTooLong(let length, let limit):
            return "\(length) token ids do not fit in a padded length of \(limit)"
        case .malformedSentencePieceModel(let path, let offset, let reason):
            return "malformed SentencePiece model \(path) at byte \(offset): \(reason)"
        case .malformedTokenizerFile(let path, let key, let reason):
            return "malformed tokenizer file \(path) at \(key): \(reason)"
        case .unsupportedTokenizer(let path, let reason):
            return "unsupported tokenizer \(path): \(reason)"
        case .invalidSettings(let path, let key, let reason):
            return "invalid tokenizer settings \(path) at \(key): \(reason)"
        }
    }
}

/// The longest context a tokenizer that pads its rows (SigLIP, Gemma) accepts: 65,536 ids, the
/// models' own limit on positions being far lower (`CLIPArchitecture.maximumSequenceLength`).
public let paddedContextLengthLimit = 65_536
