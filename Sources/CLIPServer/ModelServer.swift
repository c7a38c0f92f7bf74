#if Server
import CLIP
import Foundation
import Hummingbird
import Logging
import PhotoLibrary
import ServiceLifecycle
import UnixSignals

/// The HTTP server of `clip serve`: a Hummingbird application over one model.
///
/// Routes (JSON unless said otherwise; errors as ``APIError``):
///
/// | route | what |
/// |---|---|
/// | `GET /` | a search page over the index (HTML, no external resources); `/?q=text` searches on load |
/// | `GET /healthz` | 200 while the process runs |
/// | `GET /readyz` | 503 until the model is open and the batcher runs, then 200; 503 again while shutting down |
/// | `GET /metrics` | Prometheus text (``ServerMetrics``) |
/// | `GET /v1/models`, `/v1/models/{id}` | the served model, OpenAI's list shape |
/// | `POST /v1/embeddings` | OpenAI-compatible embeddings of texts and images (unit length) |
/// | `POST /v1/classify` | zero-shot classification of one image over given labels |
/// | `POST /v1/search` | the indexed images nearest a text or an image |
/// | `GET /v1/images?path=` | an indexed image's bytes (only files the index holds) |
///
/// With ``ServerConfiguration/apiKey`` set, the `/v1` routes need `Authorization: Bearer <key>`;
/// the page, health, readiness and metrics stay open (the page asks for the key when a search
/// answers 401). Every model call goes through one `EmbeddingBatcher`, whose thread runs the
/// model; handlers only parse, decode images and wait.
///
/// ``run()`` binds, then opens the model in the background (so `/readyz` is observable), and
/// serves until SIGTERM or SIGINT: it then stops accepting connections, finishes the requests
/// in flight, shuts the batcher down (finishing its queued work) and returns.
public struct ModelServer: Sendable {
    /// The address, limits and batching.
    public let configuration: ServerConfiguration
    /// Loading, ready or shutting down.
    public let state: ServerState
    /// The metrics `/metrics` renders.
    public let metrics: ServerMetrics
    let logger: Logger
    let openModel: @Sendable () throws -> CLIPModel

    /// A server that will open its model with `openModel` (on a thread of its own, after binding).
    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "clip-serve"),
                openModel: @escaping @Sendable () throws -> CLIPModel) {
        self.configuration = configuration
        self.logger = logger
        self.openModel = openModel
        state = ServerState()
        metrics = ServerMetrics()
    }

    /// The router of every route, over `state` (tests drive it in process).
    public static func makeRouter(configuration: ServerConfiguration, state: ServerState,
                                  metrics: ServerMetrics) -> Router<BasicRequestContext> {
        let router = Router()
        Routes(configuration: configuration, state: state, metrics: metrics).register(on: router)
        return router
    }

    /// Opens the index (read-only, when configured), checks that it holds embeddings of
    /// `model`, and starts the batcher (its events go to `metrics`).
    /// - Throws: `PhotoIndexError` for an index that cannot be opened or holds no embeddings of this model.
    public static func openServedModel(_ model: CLIPModel, configuration: ServerConfiguration,
                                       metrics: ServerMetrics) throws -> ServedModel {
        let index = try configuration.indexURL.map { (url) throws(PhotoIndexError) in try PhotoIndex(contentsOf: url, readOnly: true) }
        if let index { _ = try index.embeddingMatrix(for: IndexedModel(model)) }
        let batcher = EmbeddingBatcher(model: model, configuration: configuration.batching) { metrics.record($0) }
        return try ServedModel(batcher: batcher, index: index, classifierCacheSize: configuration.classifierCacheSize)
    }

    /// Serves until SIGTERM or SIGINT (see the type's description).
    /// - Throws: when the address cannot be bound or the model or index cannot be opened.
    public func run() async throws {
        let (bound, boundContinuation) = AsyncStream.makeStream(of: Void.self)
        let host = configuration.host
        let logger = self.logger
        let application = Application(
            router: Self.makeRouter(configuration: configuration, state: state, metrics: metrics),
            configuration: ApplicationConfiguration(address: .hostname(host, port: configuration.port), serverName: "swift-clip"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.notice("listening on http://\(host):\(port)")
                boundContinuation.yield()
                boundContinuation.finish()
            },
            logger: logger)
        let loader = ModelLoaderService(
            configuration: configuration, state: state, metrics: metrics, logger: logger, openModel: openModel, bound: bound)
        // Shut down in reverse order: the application first (in-flight requests finish), then
        // the loader (the batcher finishes its queue).
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [loader, application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Opens the model once the server is bound, marks the server ready, and on graceful shutdown
/// marks it shutting down and drains the batcher.
struct ModelLoaderService: Service {
    let configuration: ServerConfiguration
    let state: ServerState
    let metrics: ServerMetrics
    let logger: Logger
    let openModel: @Sendable () throws -> CLIPModel
    let bound: AsyncStream<Void>

    func run() async throws {
        // Wait for the bind, so /readyz answers 503 while the model opens.
        for await _ in bound.cancelOnGracefulShutdown() { break }
        if Task.isCancelled || Task.isShuttingDownGracefully { return }
        let clock = ContinuousClock()
        let start = clock.now
        let served: ServedModel
        do {
            let (configuration, metrics, openModel) = (self.configuration, self.metrics, self.openModel)
            served = try await onThread {
                try ModelServer.openServedModel(try openModel(), configuration: configuration, metrics: metrics)
            }
        } catch {
            state.set(.failed("\(error)"))
            logger.error("could not open the model or the index: \(error)")
            throw error
        }
        state.set(.ready(served))
        let elapsed = clock.now - start
        let indexText = configuration.indexURL.map { ", index \($0.path)" } ?? ""
        logger.notice("ready: \(configuration.modelName) opened in \(elapsed.secondsText)\(indexText)")
        try? await gracefulShutdown()
        state.set(.shuttingDown)
        await served.batcher.shutdown()
        logger.notice("shut down: the batcher finished its queue")
    }
}

/// Runs `body` on a new thread (8 MiB of stack), off Swift's cooperative pool: opening a model
/// reads and reorders its weights for seconds.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = "CLIPServer.open"
        thread.stackSize = 8 << 20
        thread.start()
    }
}
#endif
