#if Server
import CLIP
import CLIPSupport
import Foundation
import Hummingbird
import PhotoLibrary
import Synchronization

/// The routes of the server, over a ``ServerState`` (see ``ModelServer`` for the list).
struct Routes: Sendable {
    let configuration: ServerConfiguration
    let state: ServerState
    let metrics: ServerMetrics

    init(configuration: ServerConfiguration, state: ServerState, metrics: ServerMetrics) {
        self.configuration = configuration
        self.state = state
        self.metrics = metrics
    }

    /// Registers every route on `router`: the open ones, then `/v1` behind the API key (when
    /// set), each `/v1` request bounded by the request timeout.
    func register(on router: Router<BasicRequestContext>) {
        router.add(middleware: ErrorAndMetricsMiddleware(metrics: metrics))
        router.get("/") { _, _ in Self.html(WebPage.html) }
        router.get("/healthz") { _, _ in Self.json(#"{"status":"ok"}"#) }
        router.get("/readyz") { _, _ in self.readiness() }
        router.get("/metrics") { _, _ in self.metricsText() }

        let v1 = router.group("/v1")
        if let key = configuration.apiKey { v1.add(middleware: APIKeyMiddleware(key: key)) }
        v1.add(middleware: ConcurrencyLimitMiddleware(limit: configuration.maximumConcurrentRequests))
        v1.get("/models") { _, _ in try self.models() }
        v1.get("/models/:id") { _, context in try self.model(id: context.parameters.get("id") ?? "") }
        v1.post("/embeddings") { request, _ in try await self.bounded { try await self.embeddings(request) } }
        v1.post("/classify") { request, _ in try await self.bounded { try await self.classify(request) } }
        v1.post("/search") { request, _ in try await self.bounded { try await self.search(request) } }
        v1.get("/images") { request, _ in try await self.bounded { try await self.image(request) } }
    }

    // MARK: - Open routes

    func readiness() -> Response {
        let name = configuration.modelName.jsonLiteral
        switch state.phase {
        case .ready: return Self.json(#"{"status":"ready","model":\#(name)}"#)
        case .loading: return Self.json(#"{"status":"loading","model":\#(name)}"#, status: .serviceUnavailable)
        case let .failed(message):
            return Self.json(#"{"status":"failed","model":\#(name),"message":\#(message.jsonLiteral)}"#, status: .serviceUnavailable)
        case .shuttingDown: return Self.json(#"{"status":"shutting_down","model":\#(name)}"#, status: .serviceUnavailable)
        }
    }

    func metricsText() -> Response {
        let queued: Int?
        if case let .ready(served) = state.phase { queued = served.batcher.queuedInputs } else { queued = nil }
        let text = metrics.render(queuedInputs: queued)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: text)))
    }

    // MARK: - Models

    struct ModelEntry: Encodable {
        let id: String
        var object = "model"
        var created = 0
        var owned_by = "swift-clip"
    }

    struct ModelList: Encodable {
        var object = "list"
        let data: [ModelEntry]
    }

    func models() throws -> Response {
        try Self.encoded(ModelList(data: [ModelEntry(id: configuration.modelName)]))
    }

    func model(id: String) throws -> Response {
        guard id == configuration.modelName else {
            throw APIError.notFound("no model \(id.quotedForMessage); this server serves \(configuration.modelName.quotedForMessage)",
                                    param: "model", code: "model_not_found")
        }
        return try Self.encoded(ModelEntry(id: id))
    }

    // MARK: - Helpers

    /// Runs `body` within the request timeout: past it, `body` is cancelled and the request
    /// answers 503 `timeout`.
    func bounded(_ body: @escaping @Sendable () async throws -> Response) async throws -> Response {
        let limit = configuration.requestTimeout
        return try await withThrowingTaskGroup(of: Response?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else { throw APIError.timeout(limit) }
            return response
        }
    }

    /// The request body, at most ``ServerConfiguration/maximumBodyBytes`` (413 above it).
    func body(of request: Request) async throws(APIError) -> [UInt8] {
        let limit = configuration.maximumBodyBytes
        let tooLarge = APIError.tooLarge("the request body is larger than the limit of \(limit) bytes", param: nil,
                                         code: "body_too_large")
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit { throw tooLarge }
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge
        } catch is CancellationError {
            throw APIError.cancelled
        } catch {
            throw APIError.invalid("the request body could not be read: \(error)", param: nil, code: "invalid_body")
        }
    }

    /// Runs `body` on a thread outside Swift's cooperative pool (SQLite reads, file reads,
    /// matrix–vector products of the index).
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            blockingQueue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    private static let blockingQueue = DispatchQueue(label: "CLIPServer.blocking", attributes: .concurrent)

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func encoded(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The 401 of a `/v1` request without `Authorization: Bearer <key>`.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: [UInt8]

    init(key: String) { self.key = Array(key.utf8) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw Self.refusal("this server needs an API key: send Authorization: Bearer <key>")
        }
        let prefix = "bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix,
              Self.constantTimeEqual(Array(header.utf8.dropFirst(prefix.count)), key)
        else { throw Self.refusal("the API key is wrong") }
        return try await next(request, context)
    }

    static func refusal(_ message: String) -> APIError {
        APIError(status: .unauthorized, message: message, code: "invalid_api_key", headers: [.wwwAuthenticate: "Bearer"])
    }

    /// Compares without an early exit, so the time taken does not tell how much of a guess matched.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}

/// At most `limit` `/v1` requests at once: one more is answered 429 `too_many_requests` at once,
/// before its body is read, and holds nothing.
struct ConcurrencyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    final class Counter: Sendable {
        let inFlight = Atomic<Int>(0)
    }

    let limit: Int
    let counter = Counter()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let (_, inFlight) = counter.inFlight.add(1, ordering: .relaxed)
        defer { counter.inFlight.subtract(1, ordering: .relaxed) }
        guard inFlight <= limit else {
            throw APIError(status: .tooManyRequests,
                           message: "the server is serving its limit of \(limit) requests at once; retry later",
                           code: "too_many_requests", headers: [.retryAfter: "1"])
        }
        return try await next(request, context)
    }
}

/// The outermost middleware: turns every error into its JSON response (``APIError``; a
/// Hummingbird `HTTPError` keeps its status; anything else is a 500) and counts each request
/// by route and status, with its latency.
struct ErrorAndMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let apiError = Self.apiError(for: error, path: request.uri.path)
            // A 500 is a fault of the server; a 503 (loading, shutting down, timeout) is expected.
            if apiError.status == .internalServerError {
                context.logger.error("\(request.method) \(request.uri.path): \(apiError)")
            } else if apiError.status.code >= 500 {
                context.logger.info("\(request.method) \(request.uri.path): \(apiError)")
            }
            response = try apiError.response(from: request, context: context)
        }
        metrics.recordRequest(route: context.endpointPath ?? "unmatched", method: request.method, status: response.status,
                              duration: clock.now - start)
        return response
    }

    static func apiError(for error: any Error, path: String) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as HTTPError:
            if error.status == .notFound {
                return APIError.notFound("no route \(path.quotedForMessage)", code: "unknown_route")
            }
            return APIError(status: error.status, message: error.body ?? error.status.reasonPhrase, code: "http_error")
        case let error as any HTTPResponseError:
            return APIError(status: error.status, message: "\(error)", code: "http_error")
        default:
            return ModelCallError.apiError(for: error, param: nil)
        }
    }
}

/// How errors of the batcher and the model become responses.
enum ModelCallError {
    /// 429 for a full queue, 503 while shutting down or cancelled, 400 for an image the model's
    /// preprocessing refuses, else 500.
    static func apiError(for error: any Error, param: String?) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as EmbeddingBatcherError:
            switch error {
            case let .overloaded(queued, capacity): return .overloaded(queued: queued, capacity: capacity)
            case .shutDown: return .shuttingDown
            case .emptyInput: return .invalid("\(error)", param: param, code: "empty_input")
            }
        case is CancellationError:
            return APIError.cancelled
        case let CLIPModelError.imageProcessing(inner, _):
            return .invalid("the image could not be preprocessed: \(inner)", param: param, code: "invalid_image")
        case let error as CLIPError:
            return .invalid("\(error)", param: param, code: "invalid_value")
        default:
            return APIError(status: .internalServerError, message: "\(error)", code: "internal_error")
        }
    }

    /// Awaits a model call, mapping its errors with ``apiError(for:param:)``.
    static func run<T>(param: String?, _ body: () async throws -> T) async throws(APIError) -> T {
        do { return try await body() } catch { throw apiError(for: error, param: param) }
    }
}
#endif
