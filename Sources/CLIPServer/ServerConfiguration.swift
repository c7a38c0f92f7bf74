#if Server
import CLIP
import Foundation

/// What `clip serve` listens on, the limits it enforces on each request and how it batches.
///
/// Every limit is checked before the model runs; a request over one gets a JSON error naming
/// the field (see ``APIError``).
public struct ServerConfiguration: Sendable {
    /// The address to bind, `127.0.0.1` by default (loopback only).
    public var host: String
    /// The TCP port; 0 picks a free one (the log line `listening on http://…` tells which).
    public var port: Int
    /// When set, every `/v1/…` route needs `Authorization: Bearer <apiKey>` (401 otherwise);
    /// `/`, `/healthz`, `/readyz` and `/metrics` stay open.
    public var apiKey: String?
    /// The id `/v1/models` lists and responses carry in `model`; a request naming another model gets 404.
    public var modelName: String
    /// The photo index `/v1/search` and `/v1/images` serve (nil: those routes answer 404).
    public var indexURL: URL?
    /// The largest request body accepted, in bytes (413 above it). Default 32 MiB.
    public var maximumBodyBytes: Int
    /// The most pixels (width × height) a request image may have (413 naming the field above it).
    public var maximumPixelCount: Int
    /// The most pixels all images of one request may have together (413 naming the image that
    /// crosses it): decoded images are held until the batcher takes them, 3 bytes a pixel.
    public var maximumRequestPixelCount: Int
    /// The most inputs one `/v1/embeddings` request may carry (413 naming `input` above it).
    public var maximumInputs: Int
    /// The most UTF-8 bytes of one text input (413 naming the field above it); CLIP reads 77 tokens of it.
    public var maximumTextBytes: Int
    /// The most captions (labels × templates) one `/v1/classify` request may need (413 naming `labels`).
    public var maximumCaptions: Int
    /// The most results one `/v1/search` may ask for (`top`, 400 above it).
    public var maximumTop: Int
    /// How long a request may take before it is cancelled with 503 `timeout`.
    public var requestTimeout: Duration
    /// The most `/v1/…` requests served at once (429 `too_many_requests` beyond, before the body
    /// is read), so that request bodies in memory stay below this × ``maximumBodyBytes``.
    public var maximumConcurrentRequests: Int
    /// How many zero-shot classifiers (label embeddings per label set and templates) are kept.
    public var classifierCacheSize: Int
    /// The batching of model calls (`EmbeddingBatcher.Configuration`).
    public var batching: EmbeddingBatcher.Configuration

    /// A configuration with the given values; the defaults are `clip serve`'s.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, apiKey: String? = nil, modelName: String,
        indexURL: URL? = nil, maximumBodyBytes: Int = 32 << 20, maximumPixelCount: Int = 50_000_000,
        maximumRequestPixelCount: Int = 100_000_000,
        maximumInputs: Int = 256, maximumTextBytes: Int = 65536, maximumCaptions: Int = 4096, maximumTop: Int = 1000,
        requestTimeout: Duration = .seconds(60), maximumConcurrentRequests: Int = 64, classifierCacheSize: Int = 16,
        batching: EmbeddingBatcher.Configuration = .init()
    ) {
        self.host = host
        self.port = port
        self.apiKey = apiKey
        self.modelName = modelName
        self.indexURL = indexURL
        self.maximumBodyBytes = maximumBodyBytes
        self.maximumPixelCount = maximumPixelCount
        self.maximumRequestPixelCount = maximumRequestPixelCount
        self.maximumInputs = maximumInputs
        self.maximumTextBytes = maximumTextBytes
        self.maximumCaptions = maximumCaptions
        self.maximumTop = maximumTop
        self.requestTimeout = requestTimeout
        self.maximumConcurrentRequests = maximumConcurrentRequests
        self.classifierCacheSize = classifierCacheSize
        self.batching = batching
    }
}
#endif
