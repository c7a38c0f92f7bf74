import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One request as the test server received it.
package struct RecordedRequest: Sendable {
    package let method: String
    /// The request target as sent (percent-encoded path).
    package let path: String
    /// Header fields by lowercased name.
    package let headers: [String: String]
}

/// What the test server answers.
struct TestResponse: Sendable {
    var status: Int
    var headers: [String: String] = [:]
    var body = Data()
    /// Answer `Range: bytes=N-` with 206 and the rest of `body`.
    var supportsRange = false
    /// Send the headers (with the full Content-Length) and only this many body bytes, then close.
    var dropAfter: Int?
    /// Send no Content-Length: the body ends when the connection closes.
    var omitsLength = false
}

/// A minimal HTTP/1.1 server on 127.0.0.1 (ephemeral port) for tests: POSIX sockets, one
/// background thread, one request per connection (`Connection: close`). Never used outside tests.
package final class TestHTTPServer: @unchecked Sendable {
    private let lock = NSLock()
    private let handler: @Sendable (RecordedRequest) -> TestResponse
    private let listener: Int32
    private let stoppedSignal = DispatchSemaphore(value: 0)
    private var stopped = false
    private var recorded: [RecordedRequest] = []
    /// The port the server listens on.
    package let port: UInt16

    /// `http://127.0.0.1:<port>`.
    package var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Every request received so far.
    package var requests: [RecordedRequest] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    struct StartFailure: Error, CustomStringConvertible { let description: String }

    init(handler: @escaping @Sendable (RecordedRequest) -> TestResponse) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StartFailure(description: "socket() failed") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 32) == 0 else {
            close(fd)
            throw StartFailure(description: "bind/listen failed: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Stops accepting and waits for the server thread to end.
    package func stop() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        guard !wasStopped else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        stoppedSignal.wait()
    }

    deinit { stop() }

    private func acceptLoop() {
        defer { stoppedSignal.signal() }
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                lock.lock()
                let done = stopped
                lock.unlock()
                if done || (errno != EINTR && errno != ECONNABORTED) { return }
                continue
            }
            serve(connection)
            close(connection)
        }
    }

    private func serve(_ connection: Int32) {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        let terminator: [UInt8] = [13, 10, 13, 10]
        while buffer.count < 65536 {
            let n = recv(connection, &chunk, chunk.count, 0)
            if n <= 0 { return }
            buffer.append(contentsOf: chunk[0..<n])
            if buffer.count >= 4, (0...(buffer.count - 4)).contains(where: { Array(buffer[$0..<($0 + 4)]) == terminator }) {
                break
            }
        }
        let text = String(decoding: buffer, as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let request = RecordedRequest(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers)
        lock.lock()
        recorded.append(request)
        lock.unlock()
        respond(to: request, with: handler(request), on: connection)
    }

    private func respond(to request: RecordedRequest, with response: TestResponse, on connection: Int32) {
        var status = response.status
        var body = response.body
        var headers = response.headers
        if status == 200, response.supportsRange, let range = request.headers["range"], range.hasPrefix("bytes="),
           let start = Int(range.dropFirst(6).split(separator: "-").first ?? "") {
            if start < response.body.count {
                status = 206
                body = response.body.subdata(in: start..<response.body.count)
                headers["Content-Range"] = "bytes \(start)-\(response.body.count - 1)/\(response.body.count)"
            } else {
                status = 416
                body = Data()
                headers["Content-Range"] = "bytes */\(response.body.count)"
            }
        }
        if headers["Content-Length"] == nil, !response.omitsLength { headers["Content-Length"] = "\(body.count)" }
        headers["Connection"] = "close"
        let reasons = [200: "OK", 206: "Partial Content", 301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect",
                       401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 416: "Range Not Satisfiable"]
        var head = "HTTP/1.1 \(status) \(reasons[status] ?? "Status")\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        sendAll(Data(head.utf8), on: connection)
        guard request.method != "HEAD" else { return }
        if let dropAfter = response.dropAfter, dropAfter < body.count {
            sendAll(body.prefix(dropAfter), on: connection)
            return  // the caller closes the connection mid-body
        }
        sendAll(body, on: connection)
    }

    private func sendAll(_ data: Data, on connection: Int32) {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = send(connection, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
