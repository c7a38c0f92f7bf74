import Foundation
import TextTokenizer
import ImageProcessing

/// A CLIP checkpoint directory, recognized and its configuration read, without loading weights.
///
/// Two layouts are recognized:
/// - Hugging Face: `config.json` with `model.safetensors`, or with
///   `model.safetensors.index.json` and the shards it lists; optional `vocab.json` +
///   `merges.txt` or `tokenizer.json`, and `preprocessor_config.json`.
/// - OpenCLIP: `open_clip_config.json` with `open_clip_model.safetensors`.
///
/// When a directory holds both (many LAION repositories do), the Hugging Face files are used.
public struct CLIPModelDirectory: Sendable {
    /// File names this library looks for.
    public enum FileName {
        /// The Hugging Face model configuration.
        public static let configuration = "config.json"
        /// Hugging Face weights in one file.
        public static let weights = "model.safetensors"
        /// The index of sharded Hugging Face weights.
        public static let weightIndex = "model.safetensors.index.json"
        /// The OpenCLIP model (and preprocessing) configuration.
        public static let openCLIPConfiguration = "open_clip_config.json"
        /// OpenCLIP weights.
        public static let openCLIPWeights = "open_clip_model.safetensors"
        /// transformers' image processor settings.
        public static let preprocessorConfiguration = "preprocessor_config.json"
        /// The BPE vocabulary (with `merges.txt`).
        public static let vocabulary = "vocab.json"
        /// The BPE merges (with `vocab.json`).
        public static let merges = "merges.txt"
        /// A `tokenizers` tokenizer file: CLIP's BPE vocabulary and merges, or (in a SigLIP
        /// folder) SigLIP 2's Gemma tokenizer.
        public static let tokenizer = "tokenizer.json"
        /// SigLIP's SentencePiece model.
        public static let sentencePieceModel = "spiece.model"
        /// Gemma's SentencePiece BPE model (SigLIP 2 repositories ship it beside
        /// ``tokenizer``, which is what is read).
        public static let gemmaSentencePieceModel = "tokenizer.model"
        /// A BERT WordPiece vocabulary, one token per line (CLIPA's `bert-base-uncased`).
        public static let wordPieceVocabulary = "vocab.txt"
        /// transformers' tokenizer settings (special tokens, padding side, length).
        public static let tokenizerConfiguration = "tokenizer_config.json"
        /// The single-file weights of both layouts, in the loader's order of preference.
        public static let singleWeightFiles = [weights, openCLIPWeights]
        /// OpenAI's BPE merges file (open_clip's form; also read gzip-compressed, with `.gz`).
        public static let openAIMerges = "bpe_simple_vocab_16e6.txt"
        /// What every shard file that ``weightIndex`` lists ends with.
        public static let shardSuffix = ".safetensors"
        /// Pickled Hugging Face weights (never read; ``weights`` is the safetensors equivalent).
        public static let pickleWeights = "pytorch_model.bin"
        /// Pickled OpenCLIP weights (never read; ``openCLIPWeights`` is the safetensors equivalent).
        public static let openCLIPPickleWeights = "open_clip_pytorch_model.bin"
    }

    /// The directory.
    public let url: URL
    /// The checkpoint layout found.
    public let layout: CheckpointLayout
    /// The configuration file that was read.
    public let configurationFile: URL
    /// The model the configuration describes.
    public let architecture: CLIPArchitecture
    /// The weights: a safetensors file, or a sharded checkpoint's index file.
    public let weightsFile: URL
    /// Where the tokenizer comes from (the folder's files, else CLIP's standard vocabulary when
    /// the model has it; see ``tokenizerRule(files:text:)``); nil when the model has none.
    public let tokenizerSource: TokenizerSource?
    /// The image preprocessing the model expects: transformers' image-processor settings when
    /// the folder has them; else, for an OpenCLIP checkpoint, its `preprocess_cfg`; else the
    /// family's defaults at the model's image size (OpenAI CLIP's; SigLIP's: a bicubic resize
    /// straight to the square, mean and standard deviation 0.5).
    public let preprocessing: PreprocessingConfiguration
    /// The file ``preprocessing`` was read from; nil when it is OpenAI CLIP's default.
    public let preprocessingFile: URL?
    /// The text cleaning open_clip's `HFTokenizer` applies before the tokenizer files' own
    /// tokenizer, for an OpenCLIP checkpoint whose text tower names a transformers tokenizer
    /// (SigLIP's: `tokenizer_kwargs.clean`, `"canonicalize"`); nil otherwise.
    public let textCleaning: OpenCLIPTextCleaning?
    /// Whether open_clip's `HFTokenizer` replaces the separator token's id by 0 in every row
    /// (`tokenizer_kwargs.strip_sep_token`: CLIPA's BERT tokenizer).
    public let stripsSeparatorToken: Bool

    /// Recognizes the layout of `url` and reads its configuration.
    /// - Throws: `CLIPModelError.unrecognizedDirectory` when neither layout is complete (naming
    ///   what is missing), `unsupportedArchitecture` / `invalidConfiguration` for the
    ///   configuration, `imageProcessing` for invalid preprocessing settings.
    public init(contentsOf url: URL) throws(CLIPModelError) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw .missingFile(path: url.path, reason: "no such directory")
        }
        guard isDirectory.boolValue else {
            throw .unrecognizedDirectory(path: url.path, reason: "not a directory")
        }
        func exists(_ name: String) -> Bool { manager.fileExists(atPath: url.appendingPathComponent(name).path) }
        self.url = url

        let huggingFaceWeights = exists(FileName.weightIndex) ? FileName.weightIndex
            : exists(FileName.weights) ? FileName.weights : nil
        var openCLIPData: Data?
        var cleaning: OpenCLIPTextCleaning?
        var stripsSeparator = false
        if exists(FileName.configuration), let weights = huggingFaceWeights {
            layout = .huggingFace
            configurationFile = url.appendingPathComponent(FileName.configuration)
            weightsFile = url.appendingPathComponent(weights)
            architecture = try huggingFaceArchitecture(contentsOf: configurationFile)
        } else if exists(FileName.openCLIPConfiguration), exists(FileName.openCLIPWeights) {
            layout = .openCLIP
            configurationFile = url.appendingPathComponent(FileName.openCLIPConfiguration)
            weightsFile = url.appendingPathComponent(FileName.openCLIPWeights)
            // Read once: the model and the preprocessing settings both come from this file.
            let data = try OpenCLIPConfiguration.read(configurationFile)
            openCLIPData = data
            let model = try OpenCLIPConfiguration(data: data, file: FileName.openCLIPConfiguration).modelConfiguration
            architecture = try model.architecture(file: FileName.openCLIPConfiguration)
            stripsSeparator = model.textConfiguration.tokenizerStripsSeparator
            if model.textConfiguration.tokenizerName != nil {
                do {
                    cleaning = try OpenCLIPTextCleaning(name: model.textConfiguration.tokenizerCleaning,
                                                        path: configurationFile.path)
                } catch {
                    throw .tokenizer(error, context: FileName.openCLIPConfiguration)
                }
            }
        } else {
            var reasons: [String] = []
            let pickles = ["pytorch_model.bin", "open_clip_pytorch_model.bin", "model.pt"].filter(exists)
            if !pickles.isEmpty {
                reasons.append("found \(pickles.joined(separator: ", ")); only safetensors weights are supported")
            }
            if exists(FileName.configuration) {
                reasons.append("config.json has no model.safetensors or model.safetensors.index.json next to it")
            } else if exists(FileName.openCLIPConfiguration) {
                reasons.append("open_clip_config.json has no open_clip_model.safetensors next to it")
            } else {
                reasons.append("expected config.json + model.safetensors (Hugging Face) or "
                               + "open_clip_config.json + open_clip_model.safetensors (OpenCLIP)")
            }
            throw .unrecognizedDirectory(path: url.path, reason: reasons.joined(separator: "; "))
        }
        textCleaning = cleaning
        stripsSeparatorToken = stripsSeparator
        tokenizerSource = Self.tokenizerRule(files: Self.tokenizerFiles(in: url, family: architecture.family),
                                             text: architecture.text)
        (preprocessing, preprocessingFile) = try Self.preprocessing(
            in: url, openCLIPConfiguration: layout == .openCLIP ? openCLIPData : nil,
            imageSize: architecture.vision.imageSize, family: architecture.family)
    }

    /// The URL of `name` inside the directory when that file exists.
    public func file(_ name: String) -> URL? {
        let candidate = url.appendingPathComponent(name)
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }

    /// Opens the weights (memory-mapped; tensors are read on demand).
    func openWeights() throws(CLIPModelError) -> any TensorSource {
        try openSafeTensors(weightsFile)
    }

    /// Checks that the weights hold exactly the tensors the configuration describes, reading
    /// only their names and shapes.
    /// - Returns: the element types of the stored weights.
    public func validateWeights() throws(CLIPModelError) -> String {
        let weights = try openWeights()
        let binding = ModelBinding(keys: CheckpointKeys(layout: layout, architecture: architecture, for: weights),
                                   architecture: architecture)
        try WeightLoader(source: weights, binding: binding).validate()
        return dataTypes(of: binding, in: weights)
    }
}

/// The element types of the tensors `binding` reads, sorted and joined by "+".
func dataTypes(of binding: ModelBinding, in weights: any TensorSource) -> String {
    let types = Set(binding.all.flatMap(\.sources).compactMap { weights.dataType(of: $0.key) })
    return types.isEmpty ? "unknown" : types.sorted().joined(separator: "+")
}
