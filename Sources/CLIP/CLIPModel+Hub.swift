import Foundation
import CLIPModels
import ModelHub

extension CLIPModel {
    /// Loads a model named the way users name them: a local checkpoint directory, or a Hugging
    /// Face Hub id `owner/name[@revision]` such as `openai/clip-vit-base-patch32`.
    ///
    /// A Hub id is resolved from the Hugging Face cache first (the one Python's huggingface_hub
    /// fills, used in place); missing files are downloaded into that cache unless `hub` is
    /// offline. See ``resolveDirectory(named:hub:progress:)``.
    /// - Parameters:
    ///   - name: a path (an existing path always wins) or `owner/name[@revision]`.
    ///   - hub: cache, endpoint, offline flag and token; by default read from the environment
    ///     (`HF_HUB_CACHE`, `HF_HOME`, `HF_ENDPOINT`, `HF_HUB_OFFLINE`, `HF_TOKEN`).
    ///   - progress: download progress, called on a background thread.
    /// - Throws: `ModelHubError` when the model cannot be found or downloaded, `CLIPModelError`
    ///   when its files cannot be loaded.
    public convenience init(named name: String, hub: HubConfiguration = .fromEnvironment(),
                            progress: HubProgressHandler? = nil) throws {
        try self.init(contentsOf: try Self.resolveDirectory(named: name, hub: hub, progress: progress))
    }

    /// The checkpoint directory `name` refers to: an existing local path as it is; otherwise,
    /// when `name` is a Hub id `owner/name[@revision]`, the cache snapshot folder holding the
    /// model's files (downloading missing ones unless offline); otherwise the path `name`, for
    /// the loader to report as missing.
    /// - Throws: `ModelHubError` from the cache lookup or download.
    public static func resolveDirectory(named name: String, hub: HubConfiguration = .fromEnvironment(),
                                        progress: HubProgressHandler? = nil) throws(ModelHubError) -> URL {
        let path = (name as NSString).expandingTildeInPath
        if FileManager.default.fileExists(atPath: path) { return URL(fileURLWithPath: path, isDirectory: true) }
        guard let id = try? HubRepositoryID(parsing: name) else { return URL(fileURLWithPath: path, isDirectory: true) }
        return try HubClient(configuration: hub).modelDirectory(for: id, plan: hubSnapshotPlan, progress: progress)
    }

    /// The files of a CLIP checkpoint in a Hub repository, in the order `CLIPModelDirectory`
    /// prefers them: the Hugging Face layout (configuration + one weights file, else the weight
    /// index and the shards it lists), else the OpenCLIP layout; the tokenizer files (vocabulary
    /// and merges, else SigLIP's `spiece.model`, else a `tokenizers` file), the tokenizer
    /// settings and the preprocessing settings when present.
    /// Pickled weights are only looked up, to name the safetensors file that is needed instead.
    /// ``resolveDirectory(named:hub:progress:)`` passes it to
    /// `HubClient.modelDirectory(for:plan:progress:)`.
    public static let hubSnapshotPlan: SnapshotPlan = {
        typealias Name = CLIPModelDirectory.FileName
        return SnapshotPlan(
            alternatives: [
                [.file(Name.configuration), .file(Name.weights)],
                [.file(Name.configuration), .index(Name.weightIndex, listingFilesEndingWith: Name.shardSuffix)],
                [.file(Name.openCLIPConfiguration), .file(Name.openCLIPWeights)],
            ],
            optionalFiles: [
                // CLIP's BPE files; SigLIP's SentencePiece model; a tokenizers file (CLIP's, or
                // SigLIP 2's Gemma tokenizer, which its repositories ship beside tokenizer.model).
                // (CLIPA's BERT vocab.txt is not fetched: its repositories do not ship it, open_clip
                // takes it from bert-base-uncased's.)
                .init(firstCompleteOf: [[Name.vocabulary, Name.merges], [Name.sentencePieceModel], [Name.tokenizer]]),
                .init(Name.tokenizerConfiguration),
                .init(Name.preprocessorConfiguration),
            ],
            unsupportedFiles: [
                .init(Name.pickleWeights, needed: Name.weights),
                .init(Name.openCLIPPickleWeights, needed: Name.openCLIPWeights),
            ],
            noCheckpointReason: "expected \(Name.configuration) + \(Name.weights) (or \(Name.weightIndex) and its shards), "
                + "or \(Name.openCLIPConfiguration) + \(Name.openCLIPWeights)")
    }()
}
