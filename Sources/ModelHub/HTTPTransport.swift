import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The status and headers of one HTTP response.
struct HTTPResponseHead: Sendable {
    /// The status code.
    let status: Int
    /// Header fields by lowercased name.
    let headers: [String: String]
    /// The URL that was requested.
    let url: URL

    /// The value of header `name` (case-insensitive).
    func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// `Location` resolved against the request URL, for a redirect status.
    var redirectTarget: URL? {
        guard [301, 302, 303, 307, 308].contains(status), let location = header("Location") else { return nil }
        return URL(string: location, relativeTo: url)?.absoluteURL
    }
}

/// The outcome of one request: the response head (nil when none arrived) and, when the
/// transfer did not finish, why.
struct HTTPExchange: Sendable {
    let head: HTTPResponseHead?
    let failure: ModelHubError?
    /// The start of the body of a response that was not streamed to a sink (errors, redirects).
    let unstreamedBody: Data
}

/// Sends single HTTP requests through Foundation's `URLSession` (libcurl on Linux). Redirects
/// are never followed here: callers decide (credentials must not follow a redirect to another
/// host, and `HEAD` must stop at a signed storage URL). Nothing is cached.
struct HTTPTransport: Sendable {
    /// Idle timeout in seconds.
    let timeout: TimeInterval

    /// Sends `request` and blocks until it finishes. For a 2xx response, `prepare` sees the head
    /// before any of the body, then the body is passed to `sink` piece by piece as it arrives;
    /// other bodies are kept (their first 64 KiB) in ``HTTPExchange/unstreamedBody``. An error
    /// thrown by either stops the transfer and becomes the exchange's failure.
    func send(_ request: URLRequest, prepare: (@Sendable (HTTPResponseHead) throws(ModelHubError) -> Void)? = nil,
              sink: (@Sendable (Data) throws(ModelHubError) -> Void)? = nil) -> HTTPExchange {
        let run = RequestRun(prepare: prepare, sink: sink)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpShouldSetCookies = false
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: run, delegateQueue: queue)
        var request = request
        request.cachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        request.timeoutInterval = timeout
        let task = session.dataTask(with: request)
        task.resume()
        run.finished.wait()
        session.finishTasksAndInvalidate()
        return run.exchange(url: request.url)
    }
}

/// Delegate of one request's session; callbacks arrive on the session's serial queue.
private final class RequestRun: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private let prepare: (@Sendable (HTTPResponseHead) throws(ModelHubError) -> Void)?
    private let sink: (@Sendable (Data) throws(ModelHubError) -> Void)?
    private var head: HTTPResponseHead?
    private var transferError: (any Error)?
    private var sinkError: ModelHubError?
    private var body = Data()

    init(prepare: (@Sendable (HTTPResponseHead) throws(ModelHubError) -> Void)?,
         sink: (@Sendable (Data) throws(ModelHubError) -> Void)?) {
        self.prepare = prepare
        self.sink = sink
    }

    func exchange(url: URL?) -> HTTPExchange {
        lock.lock()
        defer { lock.unlock() }
        let name = url?.absoluteString ?? "request"
        var failure: ModelHubError? = sinkError
        if failure == nil, let transferError {
            failure = .network(url: name, message: Self.describe(transferError))
        }
        return HTTPExchange(head: head, failure: failure, unstreamedBody: body)
    }

    private static func describe(_ error: any Error) -> String {
        let ns = error as NSError
        if ns.domain == NSURLErrorDomain {
            switch ns.code {
            case NSURLErrorTimedOut: return "timed out"
            case NSURLErrorCannotConnectToHost: return "could not connect"
            case NSURLErrorNetworkConnectionLost: return "the connection was lost"
            case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed: return "unknown host"
            case NSURLErrorNotConnectedToInternet: return "not connected to the internet"
            default: break
            }
        }
        return ns.localizedDescription
    }

    private var streamsBody: Bool {
        guard let head else { return false }
        return sink != nil && (200..<300).contains(head.status)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)  // the caller follows redirects itself
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        if let http = response as? HTTPURLResponse, let url = http.url ?? dataTask.originalRequest?.url {
            var headers: [String: String] = [:]
            for (key, value) in http.allHeaderFields {
                if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
            }
            let received = HTTPResponseHead(status: http.statusCode, headers: headers, url: url)
            lock.lock()
            head = received
            lock.unlock()
            if sink != nil, (200..<300).contains(received.status), let prepare {
                do {
                    try prepare(received)
                } catch {
                    lock.lock()
                    sinkError = error
                    lock.unlock()
                    completionHandler(.cancel)
                    return
                }
            }
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        let stream = streamsBody && sinkError == nil
        if !stream, body.count < 65536 { body.append(data.prefix(65536 - body.count)) }
        lock.unlock()
        guard stream, let sink else { return }
        do {
            try sink(data)
        } catch {
            lock.lock()
            sinkError = error
            lock.unlock()
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        lock.lock()
        transferError = error
        lock.unlock()
        finished.signal()
    }
}
