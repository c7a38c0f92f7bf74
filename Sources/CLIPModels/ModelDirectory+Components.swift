import CLIPSupport
import Foundation
import ImageProcessing
import TextTokenizer

/// Where a model's tokenizer comes from: tokenizer files in its folder (CLIP's BPE vocabulary,
/// SigLIP's SentencePiece model, SigLIP 2's Gemma tokenizer), or CLIP's standard vocabulary
/// (bundled with TextTokenizer).
///
/// ``CLIPModelDirectory`` decides it once, with one rule (``CLIPModelDirectory/tokenizerRule(files:text:)``);
/// the model, `clip tokenize` and `clip info` all use that decision.
public enum TokenizerSource: Sendable, Equatable, CustomStringConvertible {
    /// Hugging Face's BPE pair: a token → id JSON object and a merges text file.
    case vocabularyAndMerges(vocabulary: URL, merges: URL)
    /// A `tokenizers` JSON file holding both.
    case tokenizerJSON(URL)
    /// OpenAI's merges file (plain or gzip), the form open_clip ships.
    case mergesFile(URL)
    /// CLIP's standard 49408-token vocabulary, bundled with the library.
    case standard
    /// SigLIP's SentencePiece unigram model (`spiece.model`) with its `tokenizer_config.json`
    /// when the folder has one (`SiglipTokenizer`).
    case sentencePiece(model: URL, settings: URL?)
    /// SigLIP 2's Gemma tokenizer (`tokenizer.json`, BPE with byte fallback) with its
    /// `tokenizer_config.json` when the folder has one (`GemmaTokenizer`).
    case gemma(tokenizerJSON: URL, settings: URL?)
    /// A BERT WordPiece vocabulary (`vocab.txt`; CLIPA's `bert-base-uncased`, `WordPieceTokenizer`).
    case wordPiece(vocabulary: URL)

    /// The file names of a folder's tokenizer, or what the standard one is.
    public var description: String {
        switch self {
        case let .vocabularyAndMerges(vocabulary, merges):
            return "\(vocabulary.lastPathComponent) + \(merges.lastPathComponent)"
        case let .tokenizerJSON(url), let .mergesFile(url):
            return url.lastPathComponent
        case .standard:
            return "CLIP's standard vocabulary (bundled)"
        case let .sentencePiece(model, settings):
            return "\(model.lastPathComponent) (SentencePiece)" + (settings.map { " + \($0.lastPathComponent)" } ?? "")
        case let .gemma(json, settings):
            return "\(json.lastPathComponent) (Gemma BPE)" + (settings.map { " + \($0.lastPathComponent)" } ?? "")
        case let .wordPiece(vocabulary):
            return "\(vocabulary.lastPathComponent) (BERT WordPiece, uncased)"
        }
    }

    /// The tokenizer these files describe.
    /// - Parameter contextLength: the text tower's context length (CLIP: at most this many
    ///   ids; SigLIP: every text padded to it).
    /// - Throws: `CLIPModelError.tokenizer` wrapping the reader's error (file, offset, key).
    public func makeTokenizer(contextLength: Int) throws(CLIPModelError) -> any TextTokenizing {
        do {
            switch self {
            case let .sentencePiece(model, settings):
                return try SiglipTokenizer(modelURL: model, settingsURL: settings, contextLength: contextLength)
            case let .gemma(json, settings):
                let values = try settings.map { url throws in
                    try GemmaTokenizerSettings(data: try Self.read(url), path: url.path)
                } ?? GemmaTokenizerSettings()
                // transformers gives a "siglip" folder naming GemmaTokenizer its GemmaTokenizer,
                // which does not lowercase (SigLIP 2's authors lowercase labels themselves).
                return try GemmaTokenizer(tokenizerJSON: json, settings: values, contextLength: contextLength)
            case let .wordPiece(vocabulary):
                return try WordPieceTokenizer(vocabularyAt: vocabulary, contextLength: contextLength)
            default:
                return try CLIPTokenizer(vocabulary: try vocabulary(), contextLength: contextLength)
            }
        } catch let error as CLIPModelError {
            throw error
        } catch {
            throw .tokenizer(TextTokenizerError(wrapping: error), context: "tokenizer (\(description))")
        }
    }

    private static func read(_ url: URL) throws(TextTokenizerError) -> Data {
        do { return try BoundedFile.contents(of: url, limit: BoundedFile.configurationLimit) } catch {
            throw .unreadableFile(path: url.path, reason: "\(error)")
        }
    }

    /// Reads CLIP's BPE vocabulary.
    /// - Throws: `CLIPModelError.tokenizer` wrapping the reader's error (file, line, token);
    ///   `missingComponent` for a SigLIP tokenizer, which has no BPE vocabulary.
    public func vocabulary() throws(CLIPModelError) -> CLIPVocabulary {
        do {
            switch self {
            case .sentencePiece, .gemma:
                throw CLIPModelError.missingComponent(name: "CLIP vocabulary", reason: "\(description) is a SigLIP tokenizer")
            case .wordPiece:
                throw CLIPModelError.missingComponent(name: "CLIP vocabulary", reason: "\(description) is a BERT tokenizer")
            case let .vocabularyAndMerges(vocabulary, merges):
                return try CLIPVocabulary(vocabularyJSON: vocabulary, merges: merges)
            case let .tokenizerJSON(url):
                return try CLIPVocabulary(tokenizerJSON: url)
            case let .mergesFile(url):
                return try CLIPVocabulary(bpeFile: url)
            case .standard:
                return try CLIPVocabulary.bundled()
            }
        } catch {
            throw .tokenizer(TextTokenizerError(wrapping: error), context: "tokenizer (\(description))")
        }
    }
}

extension TextTokenizerError {
    /// `error` as a TextTokenizerError (TextTokenizer's readers throw nothing else).
    init(wrapping error: any Error) {
        self = error as? TextTokenizerError ?? .unreadableFile(path: "", reason: "\(error)")
    }
}

extension CLIPModelDirectory {
    /// The tokenizer files of a `family` model in `folder`, in the family's order of preference
    /// (``FamilyDescriptor``). CLIP: `vocab.json` + `merges.txt`, else `tokenizer.json`, else
    /// OpenAI's merges file (`.txt.gz`, else `.txt`). SigLIP: `spiece.model`, else
    /// `tokenizer.json` (Gemma), each with `tokenizer_config.json` when present. Nil when it
    /// holds none.
    public static func tokenizerFiles(in folder: URL, family: ModelFamily = .clip) -> TokenizerSource? {
        family.descriptor.tokenizerFiles { name in
            let url = folder.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: url.path) ? url : nil
        }
    }

    /// The tokenizer of any folder, complete checkpoint or not (`clip tokenize --model`): a
    /// checkpoint's ``tokenizerSource``; for other folders, their tokenizer files.
    /// - Throws: `CLIPModelError.missingComponent` naming the folder and the files looked for.
    public static func tokenizerSource(in folder: URL) throws(CLIPModelError) -> TokenizerSource {
        // A folder without a checkpoint: CLIP's files, else SigLIP's SentencePiece model.
        let spiece = folder.appendingPathComponent(FileName.sentencePieceModel)
        let source = (try? CLIPModelDirectory(contentsOf: folder))?.tokenizerSource ?? tokenizerFiles(in: folder)
            ?? (FileManager.default.fileExists(atPath: spiece.path) ? tokenizerFiles(in: folder, family: .siglip) : nil)
        guard let source else {
            throw .missingComponent(
                name: "tokenizer",
                reason: "no tokenizer files in \(folder.path) (expected \(FileName.vocabulary) + \(FileName.merges), "
                    + "\(FileName.tokenizer), \(FileName.openAIMerges)[.gz], \(FileName.sentencePieceModel) or "
                    + "\(FileName.wordPieceVocabulary), or a model with CLIP's standard vocabulary)")
        }
        return source
    }

    /// The one tokenizer rule: the folder's files when it has them; else the family's tokenizer
    /// for a folder without files (CLIP's standard vocabulary when the text tower is CLIP's with
    /// the standard vocabulary: 49408 tokens, end of text 49407); else none.
    public static func tokenizerRule(files: TokenizerSource?, text: TextArchitecture) -> TokenizerSource? {
        files ?? text.family.descriptor.tokenizerWithoutFiles(text)
    }

    /// Why a model has no tokenizer (for `missingComponent` errors).
    package static let noTokenizerReason = "the model directory has no \(FileName.vocabulary) + \(FileName.merges), "
        + "\(FileName.tokenizer) or \(FileName.sentencePieceModel), and the model's vocabulary is not CLIP's standard one"

    /// The model's tokenizer (see ``tokenizerSource``), with the text tower's context length.
    /// - Returns: nil when the model has no tokenizer.
    /// - Throws: `CLIPModelError.tokenizer` when the files cannot be read;
    ///   `invalidConfiguration` when the tokenizer's end-of-text id is not the one the model pools at.
    public func makeTokenizer() throws(CLIPModelError) -> (any TextTokenizing)? {
        guard let tokenizerSource else { return nil }
        let text = architecture.text
        let tokenizer = try text.family.descriptor.makeTokenizer(tokenizerSource, text, "tokenizer of \(url.path)")
        return withTextCleaning(tokenizer)
    }

    /// `tokenizer`, behind open_clip's text cleaning when the checkpoint asks for it
    /// (``textCleaning``), with the separator token stripped when it asks for that
    /// (``stripsSeparatorToken``, a WordPiece tokenizer's `[SEP]`).
    public func withTextCleaning(_ tokenizer: any TextTokenizing) -> any TextTokenizing {
        let stripped = stripsSeparatorToken ? (tokenizer as? WordPieceTokenizer)?.separatorTokenID : nil
        return textCleaning.map { OpenCLIPHFTokenizer(base: tokenizer, cleaning: $0, strippedTokenID: stripped) } ?? tokenizer
    }

    /// The one rule for a folder's image preprocessing settings, read as transformers and
    /// open_clip read them: transformers' image-processor settings file when present; else an
    /// OpenCLIP configuration's `preprocess_cfg` (`openCLIPConfiguration`, the file's contents);
    /// else the family's settings at the model's image size (OpenAI CLIP's, or SigLIP's). A
    /// transformers file that names no processor type is read with the family's defaults.
    /// - Returns: the settings and the file they were read from (nil for the defaults).
    static func preprocessing(in folder: URL, openCLIPConfiguration: Data?, imageSize: Int,
                              family: ModelFamily = .clip) throws(CLIPModelError) -> (PreprocessingConfiguration, URL?) {
        let transformers = folder.appendingPathComponent(FileName.preprocessorConfiguration)
        do throws(ImageProcessingError) {
            if FileManager.default.fileExists(atPath: transformers.path) {
                return (try PreprocessingConfiguration(
                    transformersJSON: try readFile(transformers), file: transformers.path,
                    unnamedProcessor: family.descriptor.unnamedProcessor), transformers)
            }
            if let openCLIPConfiguration {
                let file = folder.appendingPathComponent(FileName.openCLIPConfiguration)
                return (try PreprocessingConfiguration(openCLIPJSON: openCLIPConfiguration, file: file.path), file)
            }
            return (try family.descriptor.defaultPreprocessing(imageSize), nil)
        } catch {
            throw .imageProcessing(error, context: "image preprocessing settings of \(folder.path)")
        }
    }

    /// The image preprocessing settings of any folder, complete checkpoint or not (`clip
    /// preprocess`), by the same rule as a model folder's: transformers' image-processor settings
    /// file, else an OpenCLIP configuration's `preprocess_cfg`, else OpenAI CLIP's settings at
    /// 224 pixels (`PreprocessingConfiguration.openAI`).
    /// - Throws: `CLIPModelError.imageProcessing` naming the file and key, or that `folder` is
    ///   not a directory.
    public static func preprocessingConfiguration(in folder: URL) throws(CLIPModelError) -> PreprocessingConfiguration {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .imageProcessing(.fileUnreadable(path: folder.path, reason: "not a directory"),
                                   context: "image preprocessing settings of \(folder.path)")
        }
        let openCLIP = folder.appendingPathComponent(FileName.openCLIPConfiguration)
        var openCLIPConfiguration: Data?
        if FileManager.default.fileExists(atPath: openCLIP.path) {
            do throws(ImageProcessingError) {
                openCLIPConfiguration = try readFile(openCLIP)
            } catch {
                throw .imageProcessing(error, context: "image preprocessing settings of \(folder.path)")
            }
        }
        // Without a model: CLIP's family at 224 pixels, which is `PreprocessingConfiguration.openAI`.
        return try preprocessing(in: folder, openCLIPConfiguration: openCLIPConfiguration, imageSize: 224).0
    }

    private static func readFile(_ url: URL) throws(ImageProcessingError) -> Data {
        do {
            return try BoundedFile.contents(of: url, limit: BoundedFile.configurationLimit)
        } catch {
            throw .fileUnreadable(path: url.path, reason: "\(error)")
        }
    }
}
