import CLIPSupport
import Foundation

/// Gemma's tokenizer as SigLIP 2 uses it: BPE with byte fallback from a Hugging Face
/// `tokenizer.json`, padded to 64 ids.
///
/// Reproduces the tokenizer transformers 5.24 builds for a folder with `tokenizer.json` and
/// `tokenizer_config.json` (`tokenizer_class: GemmaTokenizer`): the vocabulary, merges and
/// post-processor come from `tokenizer.json`; the normalizer (`Replace(" ", "▁")`), pre-tokenizer
/// (`Split(" ", MergedWithPrevious)`), decoder (`Replace("▁", " ")`, `ByteFallback`, `Fuse`) and
/// BPE options (byte fallback, fused unknowns) are the `GemmaTokenizer` class's own, whatever
/// the file says; the added tokens are `tokenizer_config.json`'s `added_tokens_decoder` plus the
/// named special tokens. With `lowercases`, a `Lowercase` normalizer comes first: that is
/// `Siglip2Tokenizer`, which `AutoTokenizer` picks for a folder whose `config.json` has
/// `model_type: siglip2` (SigLIP 2 was trained on lowercased text).
///
/// ``tokenize(_:)`` is `tokenizer(text, padding="max_length", max_length=contextLength,
/// truncation=True)["input_ids"]`. transformers 5.24 ignores `add_bos_token`/`add_eos_token` when
/// a `tokenizer.json` exists: its `post_processor` (SigLIP 2's appends `<eos>`; none means no
/// special tokens) decides, and so it does here.
///
/// Immutable and safe to share between threads.
public struct GemmaTokenizer: TextTokenizing {
    /// The length ``tokenize(_:)`` pads and truncates to.
    public let contextLength: Int
    /// The number of ids (the vocabulary's and the added tokens').
    public var vocabularySize: Int { pipeline.vocabularySize }
    /// The id padding fills with.
    public let padTokenID: Int
    /// The ids the post-processor puts before the text's.
    public let prefixTokenIDs: [Int]
    /// The ids the post-processor puts after the text's.
    public let suffixTokenIDs: [Int]
    /// Where padding goes.
    public let paddingSide: GemmaTokenizerSettings.Side
    /// Which end truncation removes.
    public let truncationSide: GemmaTokenizerSettings.Side

    private let pipeline: TokenizerPipeline

    /// Loads `tokenizer.json` from `tokenizerJSON`.
    /// - Parameters:
    ///   - tokenizerJSON: the `tokenizer.json` file.
    ///   - settings: from the model's `tokenizer_config.json` (``GemmaTokenizerSettings/init(data:path:)``).
    ///   - contextLength: the padded length (SigLIP 2: 64).
    ///   - lowercases: lowercase the text first, as `Siglip2Tokenizer` does.
    /// - Throws: `TextTokenizerError.unreadableFile`, `.malformedTokenizerFile` (with the key
    ///   path), `.unsupportedTokenizer`, `.invalidSettings` (a special token the vocabulary lacks),
    ///   `.invalidContextLength`.
    public init(tokenizerJSON: URL, settings: GemmaTokenizerSettings = GemmaTokenizerSettings(), contextLength: Int = 64,
                lowercases: Bool = false) throws(TextTokenizerError) {
        let data: Data
        do {
            data = try BoundedFile.contents(of: tokenizerJSON, limit: BoundedFile.vocabularyLimit)
        } catch {
            throw .unreadableFile(path: tokenizerJSON.path, reason: "\(error)")
        }
        try self.init(tokenizerJSONData: data, path: tokenizerJSON.path, settings: settings, contextLength: contextLength,
                      lowercases: lowercases)
    }

    /// Reads `tokenizer.json` from `tokenizerJSONData` (the file at `path`, for messages); see
    /// ``init(tokenizerJSON:settings:contextLength:lowercases:)``.
    /// - Parameters:
    ///   - tokenizerJSONData: the file's bytes.
    ///   - path: the file named in errors.
    ///   - settings: from the model's `tokenizer_config.json`.
    ///   - contextLength: the padded length (SigLIP 2: 64).
    ///   - lowercases: lowercase the text first, as `Siglip2Tokenizer` does.
    public init(tokenizerJSONData: Data, path: String, settings: GemmaTokenizerSettings = GemmaTokenizerSettings(),
                contextLength: Int = 64, lowercases: Bool = false) throws(TextTokenizerError) {
        let file = try TokenizersJSONReader.read(Array(tokenizerJSONData), path: path, interpretsPipeline: false)
        let vocabulary = file.model
        func id(of token: String) -> Int? { vocabulary.ids[TextScalars.of(token)].map(Int.init) }
        // The unknown token of the class (from the settings), not the file's.
        var unknownID: Int32?
        if let unknown = settings.unknownToken {
            guard let found = vocabulary.ids[TextScalars.of(unknown)] else {
                throw .invalidSettings(path: path, key: "unk_token", reason: "\"\(unknown)\" is not in the vocabulary")
            }
            unknownID = found
        }
        let model = BPEModel(tokens: vocabulary.tokens, ids: vocabulary.ids, merges: vocabulary.merges, unknownID: unknownID,
                             fuseUnknown: true, byteFallback: true, ignoreMerges: false)
        // Added tokens: the config's, then named special tokens not among them.
        var added: [(token: TokenizerAddedToken, id: Int)] = []
        var contents = Set<[UInt32]>()
        var nextID = vocabulary.tokens.count
        func add(_ token: TokenizerAddedToken) {
            let scalars = TextScalars.of(token.content)
            guard !scalars.isEmpty, contents.insert(scalars).inserted else { return }
            if let known = id(of: token.content) {
                added.append((token, known))
            } else {
                added.append((token, nextID))
                nextID += 1
            }
        }
        settings.addedTokens.forEach(add)
        for name in [settings.unknownToken, settings.bosToken, settings.eosToken, settings.padToken, settings.maskToken] {
            if let name { add(TokenizerAddedToken(content: name)) }
        }
        var normalizer = TokenizerNormalizer.replace(pattern: [0x20], content: [0x2581])
        if lowercases { normalizer = .sequence([.lowercase, normalizer]) }
        pipeline = try TokenizerPipeline(
            model: model, addedTokens: added, normalizer: normalizer,
            preTokenizer: .split(pattern: [0x20], behavior: .mergedWithPrevious),
            decoder: .sequence([.replace(pattern: [0x2581], content: [0x20]), .byteFallback, .fuse]), path: path)
        let template = file.postProcessor ?? .empty
        prefixTokenIDs = template.prefix
        suffixTokenIDs = template.suffix
        guard let pad = settings.padToken else {
            throw .invalidSettings(path: path, key: "pad_token", reason: "padding to a fixed length needs a pad token")
        }
        guard let padID = added.first(where: { $0.token.content == pad })?.id ?? id(of: pad) else {
            throw .invalidSettings(path: path, key: "pad_token", reason: "\"\(pad)\" is not in the vocabulary")
        }
        padTokenID = padID
        paddingSide = settings.paddingSide ?? .left
        truncationSide = settings.truncationSide ?? .right
        guard contextLength >= max(1, template.count), contextLength <= paddedContextLengthLimit else {
            throw .invalidContextLength(contextLength)
        }
        self.contextLength = contextLength
    }

    /// The ids of `text` without special tokens, truncation or padding
    /// (`encode(text, add_special_tokens=False)`). Added tokens written in the text (`<bos>`) are
    /// their ids, as in transformers.
    public func encode(_ text: String) -> [Int] {
        pipeline.encode(text)
    }

    /// The ids of `text` with the post-processor's special tokens, truncated and padded to
    /// ``contextLength``.
    public func tokenize(_ text: String) -> [Int] {
        row(encode(text), length: contextLength)
    }

    /// ``tokenize(_:)`` with another length.
    /// - Throws: `TextTokenizerError.invalidContextLength` when `contextLength` cannot hold the
    ///   special tokens (or is below 1).
    public func tokenize(_ text: String, contextLength: Int) throws -> [Int] {
        guard contextLength >= max(1, prefixTokenIDs.count + suffixTokenIDs.count) else {
            throw TextTokenizerError.invalidContextLength(contextLength)
        }
        return row(encode(text), length: contextLength)
    }

    private func row(_ ids: [Int], length: Int) -> [Int] {
        let room = max(0, length - prefixTokenIDs.count - suffixTokenIDs.count)
        var body = ids[...]
        if body.count > room {
            body = truncationSide == .right ? body.prefix(room) : body.suffix(room)
        }
        let content = prefixTokenIDs + body + suffixTokenIDs
        let padding = [Int](repeating: padTokenID, count: max(0, length - content.count))
        return paddingSide == .right ? content + padding : padding + content
    }

    /// `decode(ids, skip_special_tokens=False)`: pads, `<eos>` and other special tokens included.
    /// Unlike `tokenizers`, which drops ids it does not know, an unknown id is an error.
    /// - Throws: `TextTokenizerError.unknownTokenID`.
    public func decode(_ ids: [Int]) throws -> String {
        try pipeline.decode(ids)
    }

    /// The id of `token` (an added token or a vocabulary token), if any.
    public func id(of token: String) -> Int? {
        let scalars = TextScalars.of(token)
        if let id = pipeline.encodeAddedToken(scalars) { return id }
        return pipeline.model.ids[scalars].map(Int.init)
    }

    /// The token string of `id`, if any.
    public func token(of id: Int) -> String? {
        pipeline.token(of: id).map(TextScalars.string)
    }
}
