import Foundation

/// Where the Hugging Face cache lives, which server to download from, whether downloads are
/// allowed, and the token to send. ``fromEnvironment(_:)`` reads the variables huggingface_hub
/// reads; tests build a value directly instead of changing the process environment.
public struct HubConfiguration: Sendable, Equatable {
    /// The public Hub.
    public static let defaultEndpoint = URL(string: "https://huggingface.co")!

    /// The hub cache directory (the folder holding `models--owner--name`).
    public var cacheDirectory: URL
    /// The server implementing `/{owner}/{name}/resolve/{revision}/{file}`.
    public var endpoint: URL
    /// When true, nothing is downloaded: only the cache is read.
    public var isOffline: Bool
    /// A Hugging Face access token sent as `Authorization: Bearer …` to the endpoint (never to
    /// other hosts a download is redirected to).
    public var token: String?
    /// Seconds without any data before a request is abandoned (and, for a download, resumed).
    public var timeout: TimeInterval
    /// How many times a download that stopped mid-file is resumed before giving up.
    public var resumeAttempts: Int
    /// The most bytes kept of a file whose size neither the Hub's metadata nor the response
    /// announces (past it the download stops with `ModelHubError.invalidResponse` and its partial
    /// file is removed). The Hub announces the size of every LFS file; files it stores without
    /// LFS are small. Default 1 GiB.
    public var maximumUnannouncedFileBytes: Int64

    /// - Parameters:
    ///   - cacheDirectory: the hub cache (e.g. `~/.cache/huggingface/hub`).
    ///   - endpoint: the server; the public Hub by default.
    ///   - isOffline: forbid downloads.
    ///   - token: an access token for private or gated repositories.
    ///   - timeout: idle timeout in seconds.
    ///   - resumeAttempts: retries of an interrupted download.
    ///   - maximumUnannouncedFileBytes: the cap on a file of unannounced size.
    public init(cacheDirectory: URL, endpoint: URL = HubConfiguration.defaultEndpoint, isOffline: Bool = false,
                token: String? = nil, timeout: TimeInterval = 30, resumeAttempts: Int = 5,
                maximumUnannouncedFileBytes: Int64 = 1 << 30) {
        self.cacheDirectory = cacheDirectory
        self.endpoint = endpoint
        self.isOffline = isOffline
        self.token = token
        self.timeout = timeout
        self.resumeAttempts = resumeAttempts
        self.maximumUnannouncedFileBytes = maximumUnannouncedFileBytes
    }

    /// The configuration huggingface_hub would use in `environment`:
    /// - cache: `HF_HUB_CACHE`, else `HUGGINGFACE_HUB_CACHE`, else `HF_HOME/hub`, else
    ///   `XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`;
    /// - endpoint: `HF_ENDPOINT` (trailing `/` removed), else `https://huggingface.co`;
    /// - offline: `HF_HUB_OFFLINE` (or `TRANSFORMERS_OFFLINE`) is `1`, `ON`, `YES` or `TRUE`;
    /// - token: `HF_TOKEN` (else `HUGGING_FACE_HUB_TOKEN`), else the file `HF_HOME/token` that
    ///   `hf auth login` writes.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> HubConfiguration {
        func value(_ key: String) -> String? {
            guard let text = environment[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty
            else { return nil }
            return text
        }
        func path(_ text: String) -> URL {
            URL(fileURLWithPath: (text as NSString).expandingTildeInPath, isDirectory: true)
        }
        let userCache = value("XDG_CACHE_HOME").map(path)
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache", isDirectory: true)
        let home = value("HF_HOME").map(path) ?? userCache.appendingPathComponent("huggingface", isDirectory: true)
        let cache = (value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE")).map(path)
            ?? home.appendingPathComponent("hub", isDirectory: true)

        var endpoint = defaultEndpoint
        if var text = value("HF_ENDPOINT") {
            while text.hasSuffix("/") { text.removeLast() }
            if let url = URL(string: text), url.scheme != nil, url.host != nil { endpoint = url }
        }
        let truthy: Set<String> = ["1", "ON", "YES", "TRUE"]
        let offline = (value("HF_HUB_OFFLINE") ?? value("TRANSFORMERS_OFFLINE")).map { truthy.contains($0.uppercased()) }
            ?? false
        var token = value("HF_TOKEN") ?? value("HUGGING_FACE_HUB_TOKEN")
        if token == nil, let stored = try? String(contentsOf: home.appendingPathComponent("token"), encoding: .utf8) {
            let trimmed = stored.trimmingCharacters(in: .whitespacesAndNewlines)
            token = trimmed.isEmpty ? nil : trimmed
        }
        return HubConfiguration(cacheDirectory: cache, endpoint: endpoint, isOffline: offline, token: token)
    }

    /// `{endpoint}/{owner}/{name}/resolve/{revision}/{file}` with the revision and file
    /// percent-encoded as huggingface_hub does (a `/` in the revision becomes `%2F`).
    public func resolveURL(for repository: HubRepositoryID, revision: String, file: String) -> URL? {
        var unreserved = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        unreserved.insert(charactersIn: "-._~")
        var fileCharacters = unreserved
        fileCharacters.insert("/")
        guard let encodedRevision = revision.addingPercentEncoding(withAllowedCharacters: unreserved),
              let encodedFile = file.addingPercentEncoding(withAllowedCharacters: fileCharacters) else { return nil }
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return URL(string: "\(base)/\(repository.owner)/\(repository.name)/resolve/\(encodedRevision)/\(encodedFile)")
    }
}
