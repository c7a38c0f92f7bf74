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
        return try HubClient(configuration: hub).modelDirectory(for: id, progress: progress)
    }
}
