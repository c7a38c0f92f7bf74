import Foundation
import ImageProcessing
import TextTokenizer

/// Where a model's tokenizer comes from: vocabulary files in its folder, or CLIP's standard
/// vocabulary (bundled with TextTokenizer).
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

    /// The file names of a folder's tokenizer, or what the standard one is.
    public var description: String {
        switch self {
        case let .vocabularyAndMerges(vocabulary, merges):
            return "\(vocabulary.lastPathComponent) + \(merges.lastPathComponent)"
        case let .tokenizerJSON(url), let .mergesFile(url):
            return url.lastPathComponent
        case .standard:
            return "CLIP's standard vocabulary (bundled)"
        }
    }

    /// Reads the vocabulary.
    /// - Throws: `CLIPModelError.tokenizer` wrapping the reader's error (file, line, token).
    public func vocabulary() throws(CLIPModelError) -> CLIPVocabulary {
        do {
            switch self {
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
    /// The tokenizer files in `folder`, in the order of preference: `vocab.json` + `merges.txt`,
    /// else `tokenizer.json`, else OpenAI's merges file (`.txt.gz`, else `.txt`); nil when it
    /// holds none.
    public static func tokenizerFiles(in folder: URL) -> TokenizerSource? {
        func file(_ name: String) -> URL? {
            let url = folder.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: url.path) ? url : nil
        }
        if let vocabulary = file(FileName.vocabulary), let merges = file(FileName.merges) {
            return .vocabularyAndMerges(vocabulary: vocabulary, merges: merges)
        }
        if let json = file(FileName.tokenizer) { return .tokenizerJSON(json) }
        if let merges = file(FileName.openAIMerges + ".gz") ?? file(FileName.openAIMerges) { return .mergesFile(merges) }
        return nil
    }

    /// The tokenizer of any folder, complete checkpoint or not (`clip tokenize --model`): a
    /// checkpoint's ``tokenizerSource``; for other folders, their tokenizer files.
    /// - Throws: `CLIPModelError.missingComponent` naming the folder and the files looked for.
    public static func tokenizerSource(in folder: URL) throws(CLIPModelError) -> TokenizerSource {
        let source = (try? CLIPModelDirectory(contentsOf: folder))?.tokenizerSource ?? tokenizerFiles(in: folder)
        guard let source else {
            throw .missingComponent(
                name: "tokenizer",
                reason: "no tokenizer files in \(folder.path) (expected \(FileName.vocabulary) + \(FileName.merges), "
                    + "\(FileName.tokenizer) or \(FileName.openAIMerges)[.gz], or a model with CLIP's standard vocabulary)")
        }
        return source
    }

    /// The one tokenizer rule: the folder's files when it has them; else CLIP's standard
    /// vocabulary when the text tower has the standard vocabulary (49408 tokens, end of text
    /// 49407); else none.
    public static func tokenizerRule(files: TokenizerSource?, text: TextArchitecture) -> TokenizerSource? {
        if let files { return files }
        if text.vocabularySize == 49408, text.endOfTextTokenID == clipEndOfTextTokenID { return .standard }
        return nil
    }

    /// Why a model has no tokenizer (for `missingComponent` errors).
    static let noTokenizerReason = "the model directory has no \(FileName.vocabulary) + \(FileName.merges) or "
        + "\(FileName.tokenizer) and the model's vocabulary is not CLIP's standard one"

    /// The model's tokenizer (see ``tokenizerSource``), with the text tower's context length.
    /// - Returns: nil when the model has no tokenizer.
    /// - Throws: `CLIPModelError.tokenizer` when the files cannot be read;
    ///   `invalidConfiguration` when the tokenizer's end-of-text id is not the one the model pools at.
    public func makeTokenizer() throws(CLIPModelError) -> (any TextTokenizing)? {
        guard let tokenizerSource else { return nil }
        let text = architecture.text
        let tokenizer: CLIPTokenizer
        do {
            tokenizer = try CLIPTokenizer(vocabulary: try tokenizerSource.vocabulary(), contextLength: text.contextLength)
        } catch let error as CLIPModelError {
            throw error
        } catch {
            throw .tokenizer(TextTokenizerError(wrapping: error), context: "tokenizer of \(url.path)")
        }
        guard tokenizer.endOfTextID == text.endOfTextTokenID else {
            throw .invalidConfiguration(
                file: "tokenizer", key: "<|endoftext|>",
                reason: "the tokenizer's end-of-text id \(tokenizer.endOfTextID) is not the id the model pools at "
                    + "(\(text.endOfTextTokenID))")
        }
        return tokenizer
    }

    /// The image preprocessing settings of a checkpoint folder, read as transformers and
    /// open_clip read them: transformers' image-processor settings file when present; else, for
    /// the OpenCLIP layout, its configuration's `preprocess_cfg`; else OpenAI CLIP's settings at
    /// the model's image size.
    /// - Returns: the settings and the file they were read from (nil for the defaults).
    static func preprocessing(in folder: URL, layout: CheckpointLayout, configuration: Data?, imageSize: Int)
        throws(CLIPModelError) -> (PreprocessingConfiguration, URL?) {
        let transformers = folder.appendingPathComponent(FileName.preprocessorConfiguration)
        do throws(ImageProcessingError) {
            if FileManager.default.fileExists(atPath: transformers.path) {
                return (try PreprocessingConfiguration(
                    transformersJSON: try readFile(transformers), file: transformers.path), transformers)
            }
            if layout == .openCLIP, let configuration {
                let file = folder.appendingPathComponent(FileName.openCLIPConfiguration)
                return (try PreprocessingConfiguration(openCLIPJSON: configuration, file: file.path), file)
            }
            return (try PreprocessingConfiguration(
                resize: .shortestEdge(imageSize), cropSize: (height: imageSize, width: imageSize)), nil)
        } catch {
            throw .imageProcessing(error, context: "image preprocessing settings of \(folder.path)")
        }
    }

    /// The image preprocessing settings of any folder, complete checkpoint or not (`clip
    /// preprocess`): transformers' image-processor settings file, else an OpenCLIP
    /// configuration's `preprocess_cfg`, else `PreprocessingConfiguration.openAI`.
    /// - Throws: `CLIPModelError.imageProcessing` naming the file and key, or that `folder` is
    ///   not a directory.
    public static func preprocessingConfiguration(in folder: URL) throws(CLIPModelError) -> PreprocessingConfiguration {
        let transformers = folder.appendingPathComponent(FileName.preprocessorConfiguration)
        let openCLIP = folder.appendingPathComponent(FileName.openCLIPConfiguration)
        do throws(ImageProcessingError) {
            if FileManager.default.fileExists(atPath: transformers.path) {
                return try PreprocessingConfiguration(transformersJSON: try readFile(transformers), file: transformers.path)
            }
            if FileManager.default.fileExists(atPath: openCLIP.path) {
                return try PreprocessingConfiguration(openCLIPJSON: try readFile(openCLIP), file: openCLIP.path)
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ImageProcessingError.fileUnreadable(path: folder.path, reason: "not a directory")
            }
            return .openAI
        } catch {
            throw .imageProcessing(error, context: "image preprocessing settings of \(folder.path)")
        }
    }

    private static func readFile(_ url: URL) throws(ImageProcessingError) -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw .fileUnreadable(path: url.path, reason: "\(error.localizedDescription)")
        }
    }
}
