#if Server
import ArgumentParser
import CLIP
import CLIPServer
import Foundation
import Logging

/// `clip serve`: an HTTP server over one model (built with `--traits Server`).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over HTTP: OpenAI-style /v1/embeddings, /v1/classify, /v1/search and a search page.",
        discussion: """
            Binds HOST:PORT, then opens the model in the background: GET /readyz answers 503 until \
            the model is open, then 200. Routes: GET / (search page; /?q=text searches on load), \
            /healthz, /readyz, /metrics (Prometheus), /v1/models; POST /v1/embeddings, /v1/classify, \
            /v1/search; GET /v1/images?path=P (only files of the index). With --api-key (or the \
            environment variable CLIP_API_KEY) every /v1 route needs Authorization: Bearer KEY; the \
            page, /healthz, /readyz and /metrics stay open. SIGTERM or SIGINT stops accepting, \
            finishes the requests in flight and the batcher's queue, and exits 0.
            """
    )

    @OptionGroup var options: ModelOptions
    @OptionGroup var compute: ComputeOptions

    @Option(name: .long, help: ArgumentHelp("A photo index made by `clip index` with this model, for /v1/search and the page.",
                                            valueName: "file"))
    var index: String?

    @Option(name: .long, help: ArgumentHelp("The address to listen on.", valueName: "address"))
    var host = "127.0.0.1"

    @Option(name: .long, help: ArgumentHelp("The TCP port (0: any free port; the log says which).", valueName: "port"))
    var port = 8080

    @Option(name: .long, help: ArgumentHelp("Require Authorization: Bearer KEY on /v1 (default: $CLIP_API_KEY, else none).",
                                            valueName: "key"))
    var apiKey: String?

    @Option(name: .long, help: ArgumentHelp("The largest request body, in bytes (413 above).", valueName: "bytes"))
    var maxBodyBytes = 32 << 20

    @Option(name: .long, help: ArgumentHelp("The most pixels of one request image (413 above).", valueName: "n"))
    var maxPixels = 50_000_000

    @Option(name: .long, help: ArgumentHelp("The most pixels of all images of one request together (413 above).", valueName: "n"))
    var maxRequestPixels = 100_000_000

    @Option(name: .long, help: ArgumentHelp("The most inputs of one /v1/embeddings request (413 above).", valueName: "n"))
    var maxInputs = 256

    @Option(name: .long, help: ArgumentHelp("The most /v1 requests served at once; beyond, requests answer 429.", valueName: "n"))
    var maxConcurrentRequests = 64

    @Option(name: .long, help: ArgumentHelp("Seconds a request may take before it answers 503 timeout.", valueName: "seconds"))
    var timeout = 60.0

    @Option(name: .long, help: ArgumentHelp("Inputs per model call of the batcher.", valueName: "n"))
    var batchSize = 32

    @Option(name: .long, help: ArgumentHelp("Milliseconds a batch waits for more inputs.", valueName: "ms"))
    var batchWait = 2.0

    @Option(name: .long, help: ArgumentHelp("Inputs that may wait for the model; beyond, requests answer 429.", valueName: "n"))
    var queueCapacity = 1024

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel = "notice"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
        if let index, !FileManager.default.fileExists(atPath: index) {
            throw ValidationError("--index \(index): no such file (make one with `clip index --db FILE PATH...`)")
        }
        if let apiKey, apiKey.isEmpty { throw ValidationError("--api-key is empty") }
        for (name, value) in [("--max-body-bytes", maxBodyBytes), ("--max-pixels", maxPixels),
                              ("--max-request-pixels", maxRequestPixels), ("--max-inputs", maxInputs),
                              ("--max-concurrent-requests", maxConcurrentRequests),
                              ("--batch-size", batchSize), ("--queue-capacity", queueCapacity)] where value < 1 {
            throw ValidationError("\(name) must be at least 1, got \(value)")
        }
        guard timeout >= 0.001, timeout.isFinite else { throw ValidationError("--timeout must be at least 0.001 seconds") }
        guard batchWait >= 0, batchWait.isFinite else { throw ValidationError("--batch-wait must be at least 0") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// The id the server answers to: the Hub id as given, a folder's name, or `mini-clip`.
    static func modelName(_ model: String?) -> String {
        guard let model else { return "mini-clip" }
        if FileManager.default.fileExists(atPath: model) { return URL(fileURLWithPath: model).standardizedFileURL.lastPathComponent }
        return model
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let key = apiKey ?? ProcessInfo.processInfo.environment["CLIP_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let configuration = ServerConfiguration(
            host: host, port: port, apiKey: key, modelName: Self.modelName(options.model),
            indexURL: index.map { URL(fileURLWithPath: $0) }, maximumBodyBytes: maxBodyBytes, maximumPixelCount: maxPixels,
            maximumRequestPixelCount: maxRequestPixels,
            maximumInputs: maxInputs, requestTimeout: .milliseconds(Int64((timeout * 1000).rounded())),
            maximumConcurrentRequests: maxConcurrentRequests,
            batching: .init(maxBatchSize: batchSize, maxWait: .microseconds(Int64((batchWait * 1000).rounded())),
                            queueCapacity: queueCapacity))
        // Resolved (and downloaded, for a Hub id) before binding; opened after.
        let directory = try options.directory()
        let precision = compute.precision
        if let threads = compute.threads { ComputeThreads.setThreadCount(threads) }
        let server = ModelServer(configuration: configuration, logger: Logger(label: "clip-serve")) {
            try CLIPModel(contentsOf: directory, precision: precision)
        }
        // ArgumentParser runs this command synchronously: wait here while the server runs on
        // the cooperative pool.
        let outcome = ServeOutcome()
        Task.detached {
            do {
                try await server.run()
                outcome.finish(nil)
            } catch {
                outcome.finish(error)
            }
        }
        if let error = outcome.wait() { throw error }
    }
}

/// How the server task ended, handed to the waiting main thread.
private final class ServeOutcome: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var error: (any Error)?

    func finish(_ error: (any Error)?) {
        lock.lock()
        self.error = error
        lock.unlock()
        done.signal()
    }

    func wait() -> (any Error)? {
        done.wait()
        lock.lock()
        defer { lock.unlock() }
        return error
    }
}
#endif
