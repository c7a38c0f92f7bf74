import CLIPSupport
import Foundation

/// open_clip's `HFTokenizer` (open_clip 3.3.0): the tokenizer of checkpoints in open_clip's
/// layout whose `open_clip_config.json` names an `hf_tokenizer_name` (SigLIP:
/// `"timm/ViT-B-16-SigLIP"`, SigLIP 2: `"timm/ViT-B-16-SigLIP2"`, CLIPA: `"bert-base-uncased"`, ...).
///
/// Per text, open_clip runs its cleaning function (`tokenizer_kwargs.clean`; SigLIP's and SigLIP
/// 2's configurations say `"canonicalize"`, see ``OpenCLIPTextCleaning``), then calls the
/// transformers tokenizer of the tokenizer files with `padding="max_length", truncation=True,
/// max_length=context_length`. This type does the same: ``cleaning`` first, then ``base``, which
/// must be the library's counterpart of that transformers tokenizer (``SiglipTokenizer`` for a
/// `spiece.model`, ``GemmaTokenizer`` for a Gemma `tokenizer.json`) built with open_clip's context
/// length (`text_cfg.context_length`: 64, or 16 for ViT-SO400M-14-SigLIP). Truncation, the
/// end-of-sequence id and the padding id are the base tokenizer's: `</s>` (1) after at most
/// `contextLength - 1` ids and `</s>` padding for SigLIP, `<eos>` then `<pad>` (0) for SigLIP 2.
///
/// With `tokenizer_kwargs.strip_sep_token` (CLIPA's configurations), open_clip then replaces every
/// id of the tokenizer's separator token (BERT's `[SEP]`) in the rows by 0: ``strippedTokenID``.
/// CLIPA: ``init(wordPieceVocabulary:contextLength:cleaning:stripsSeparatorToken:)`` (a
/// ``WordPieceTokenizer``, context length 32, ``OpenCLIPTextCleaning/whitespace``, `[SEP]` stripped).
///
/// Compared with the transformers tokenizer alone, the ids differ only by the cleaning (and the
/// stripped separator): for
/// SiglipTokenizer (which lowercases, drops ASCII punctuation and collapses whitespace itself)
/// open_clip adds ftfy's repairs, HTML unescaping and underscores becoming spaces; for
/// GemmaTokenizer (which does none of it) open_clip's cleaning lowercases, drops ASCII
/// punctuation and collapses whitespace too. Special-token names written in a text (`</s>`,
/// `<eos>`) lose their brackets in the cleaning and are ordinary words.
///
/// Immutable and safe to share between threads.
public struct OpenCLIPHFTokenizer: TextTokenizing {
    /// The tokenizer the cleaned text goes to (transformers' tokenizer for the files).
    public let base: any TextTokenizing
    /// open_clip's cleaning function, applied to every text before ``base``.
    public let cleaning: OpenCLIPTextCleaning
    /// open_clip's `strip_sep_token`: the id (the base tokenizer's separator token) that
    /// ``tokenize(_:)`` rows have 0 in place of; nil when the rows are the base tokenizer's.
    public let strippedTokenID: Int?

    /// The length of every row ``tokenize(_:)`` returns (the base tokenizer's).
    public var contextLength: Int { base.contextLength }

    /// The number of ids of the base tokenizer.
    public var vocabularySize: Int { base.vocabularySize }

    /// Wraps a tokenizer.
    /// - Parameters:
    ///   - base: the tokenizer of the checkpoint's files, built with open_clip's context length
    ///     and padding to it (``SiglipTokenizer``, ``GemmaTokenizer``, ``WordPieceTokenizer``).
    ///   - cleaning: the configuration's `tokenizer_kwargs.clean` (``OpenCLIPTextCleaning/init(name:path:)``).
    ///   - strippedTokenID: with `tokenizer_kwargs.strip_sep_token`, the base tokenizer's separator
    ///     id (``WordPieceTokenizer/separatorTokenID``), made 0 in every row; nil (the default) to
    ///     keep the rows as they are.
    public init(base: any TextTokenizing, cleaning: OpenCLIPTextCleaning, strippedTokenID: Int? = nil) {
        self.base = base
        self.cleaning = cleaning
        self.strippedTokenID = strippedTokenID
    }

    /// open_clip's tokenizer for a CLIPA checkpoint (`"hf_tokenizer_name": "bert-base-uncased"`,
    /// `"tokenizer_kwargs": {"strip_sep_token": true}`): a ``WordPieceTokenizer`` over `vocab.txt`.
    /// - Parameters:
    ///   - wordPieceVocabulary: the `vocab.txt` file.
    ///   - contextLength: open_clip's `text_cfg.context_length` (CLIPA: 32).
    ///   - cleaning: the configuration's `tokenizer_kwargs.clean` (absent for CLIPA:
    ///     ``OpenCLIPTextCleaning/whitespace``).
    ///   - stripsSeparatorToken: `tokenizer_kwargs.strip_sep_token` (CLIPA: true): `[SEP]` becomes 0.
    /// - Throws: `TextTokenizerError` as ``WordPieceTokenizer/init(vocabularyAt:contextLength:)``.
    public init(wordPieceVocabulary: URL, contextLength: Int = 32, cleaning: OpenCLIPTextCleaning = .whitespace,
                stripsSeparatorToken: Bool = true) throws(TextTokenizerError) {
        let tokenizer = try WordPieceTokenizer(vocabularyAt: wordPieceVocabulary, contextLength: contextLength)
        self.init(base: tokenizer, cleaning: cleaning,
                  strippedTokenID: stripsSeparatorToken ? tokenizer.separatorTokenID : nil)
    }

    /// open_clip's tokenizer for a SigLIP checkpoint: a ``SiglipTokenizer`` over `spiece.model`.
    /// - Parameters:
    ///   - sentencePieceModel: the `spiece.model` file.
    ///   - settings: its `tokenizer_config.json`, if the folder has one (``SiglipTokenizerSettings``).
    ///   - contextLength: open_clip's `text_cfg.context_length` (64; 16 for ViT-SO400M-14-SigLIP).
    ///   - cleaning: the configuration's `tokenizer_kwargs.clean` (SigLIP: ``OpenCLIPTextCleaning/canonicalize``).
    /// - Throws: `TextTokenizerError`: `.unreadableFile`, `.malformedSentencePieceModel`,
    ///   `.invalidSettings`, `.unsupportedTokenizer`, `.invalidContextLength` (below 1 or above
    ///   ``paddedContextLengthLimit``).
    public init(sentencePieceModel: URL, settings: URL?, contextLength: Int,
                cleaning: OpenCLIPTextCleaning) throws(TextTokenizerError) {
        let tokenizer: SiglipTokenizer
        do {
            tokenizer = try SiglipTokenizer(modelURL: sentencePieceModel, settingsURL: settings, contextLength: contextLength)
        } catch let error as TextTokenizerError {
            throw error
        } catch {
            throw .unreadableFile(path: sentencePieceModel.path, reason: "\(error)")
        }
        self.init(base: tokenizer, cleaning: cleaning)
    }

    /// open_clip's tokenizer for a SigLIP 2 checkpoint: a ``GemmaTokenizer`` over `tokenizer.json`.
    /// - Parameters:
    ///   - tokenizerJSON: the `tokenizer.json` file.
    ///   - settings: its `tokenizer_config.json` (``GemmaTokenizerSettings``: pad token, padding
    ///     side; SigLIP 2's say `<pad>` and right). Without one, transformers' `GemmaTokenizer`
    ///     defaults apply (padding on the left).
    ///   - contextLength: open_clip's `text_cfg.context_length` (64).
    ///   - cleaning: the configuration's `tokenizer_kwargs.clean` (SigLIP 2: ``OpenCLIPTextCleaning/canonicalize``).
    /// - Throws: `TextTokenizerError`: `.unreadableFile`, `.malformedTokenizerFile`,
    ///   `.invalidSettings`, `.unsupportedTokenizer`, `.invalidContextLength`.
    public init(tokenizerJSON: URL, settings: URL?, contextLength: Int,
                cleaning: OpenCLIPTextCleaning) throws(TextTokenizerError) {
        var values = GemmaTokenizerSettings()
        if let settings {
            let data: Data
            do {
                data = try BoundedFile.contents(of: settings, limit: BoundedFile.configurationLimit)
            } catch {
                throw .unreadableFile(path: settings.path, reason: "\(error)")
            }
            values = try GemmaTokenizerSettings(data: data, path: settings.path)
        }
        let tokenizer = try GemmaTokenizer(tokenizerJSON: tokenizerJSON, settings: values, contextLength: contextLength)
        self.init(base: tokenizer, cleaning: cleaning)
    }

    /// `text` after open_clip's cleaning: what the base tokenizer is given.
    public func clean(_ text: String) -> String {
        cleaning.clean(text)
    }

    /// The ids of the cleaned `text` without special tokens, truncation or padding (the base
    /// tokenizer's; ``strippedTokenID`` applies to rows only, as open_clip strips after its call).
    public func encode(_ text: String) -> [Int] {
        base.encode(clean(text))
    }

    /// Exactly ``contextLength`` ids: `HFTokenizer(folder, context_length, clean, strip_sep_token)(text)[0]`.
    public func tokenize(_ text: String) -> [Int] {
        stripped(base.tokenize(clean(text)))
    }

    /// `HFTokenizer(...)(text, context_length=contextLength)[0]`: the cleaned text truncated and
    /// padded to `contextLength` ids by the base tokenizer (then ``strippedTokenID`` made 0).
    /// - Throws: `TextTokenizerError.invalidContextLength` when the base tokenizer cannot make
    ///   rows of that length.
    public func tokenize(_ text: String, contextLength: Int) throws -> [Int] {
        stripped(try base.tokenize(clean(text), contextLength: contextLength))
    }

    private func stripped(_ row: [Int]) -> [Int] {
        guard let strippedTokenID else { return row }
        return row.map { $0 == strippedTokenID ? 0 : $0 }
    }

    /// The base tokenizer's `decode` (the cleaning cannot be undone).
    /// - Throws: `TextTokenizerError.unknownTokenID` for an id outside the vocabulary.
    public func decode(_ ids: [Int]) throws -> String {
        try base.decode(ids)
    }
}
