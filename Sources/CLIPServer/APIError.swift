#if Server
import CLIPSupport
import Foundation
import Hummingbird

/// An error answered as OpenAI-style JSON:
/// `{"error": {"message": "...", "type": "invalid_request_error", "param": "input[2].image", "code": "invalid_base64"}}`.
///
/// `type` is `invalid_request_error` for a request at fault (400, 404, 413), `authentication_error`
/// (401), `rate_limit_error` (429) or `server_error` (500, 503). `param` names the field at fault
/// when there is one; `code` is a stable machine-readable word.
public struct APIError: Error, HTTPResponseError, Equatable, CustomStringConvertible {
    /// The HTTP status answered.
    public let status: HTTPResponse.Status
    /// What went wrong, in words.
    public let message: String
    /// The error class (`invalid_request_error`, `authentication_error`, `rate_limit_error`, `server_error`).
    public let type: String
    /// The request field at fault (`input[2].image`), when there is one.
    public let param: String?
    /// A stable word for the error (`invalid_json`, `timeout`, `overloaded`, ...).
    public let code: String
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    public let headers: HTTPFields

    /// An error with the given fields.
    public init(status: HTTPResponse.Status, message: String, type: String? = nil, param: String? = nil, code: String,
                headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.type = type ?? Self.defaultType(for: status)
        self.param = param
        self.code = code
        self.headers = headers
    }

    static func defaultType(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 401: return "authentication_error"
        case 429: return "rate_limit_error"
        case 500...: return "server_error"
        default: return "invalid_request_error"
        }
    }

    /// `status code: message (param)`.
    public var description: String { "\(status.code) \(code): \(message)" + (param.map { " (\($0))" } ?? "") }

    /// The JSON body of the error.
    package var body: String {
        var fields = ["\"message\":" + message.jsonLiteral, "\"type\":" + type.jsonLiteral]
        fields.append("\"param\":" + (param.map(\.jsonLiteral) ?? "null"))
        fields.append("\"code\":" + code.jsonLiteral)
        return "{\"error\":{" + fields.joined(separator: ",") + "}}"
    }

    /// The response: the status, the JSON body and the extra headers.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    // MARK: - The errors the routes answer

    /// 400: the request's JSON or one of its fields is wrong.
    static func invalid(_ message: String, param: String?, code: String = "invalid_value") -> APIError {
        APIError(status: .badRequest, message: message, param: param, code: code)
    }

    /// 413: a limit of ``ServerConfiguration`` is exceeded.
    static func tooLarge(_ message: String, param: String?, code: String) -> APIError {
        APIError(status: .contentTooLarge, message: message, param: param, code: code)
    }

    /// 404 for something the server does not have.
    static func notFound(_ message: String, param: String? = nil, code: String = "not_found") -> APIError {
        APIError(status: .notFound, message: message, param: param, code: code)
    }

    /// 503 while the model opens.
    static let notReady = APIError(
        status: .serviceUnavailable, message: "the model is still loading; retry when /readyz answers 200",
        code: "not_ready", headers: [.retryAfter: "1"])

    /// 503 while the server shuts down.
    static let shuttingDown = APIError(
        status: .serviceUnavailable, message: "the server is shutting down", code: "shutting_down")

    /// 503 for work stopped because its request was cancelled (timed out, or its client left).
    static let cancelled = APIError(status: .serviceUnavailable, message: "the request was cancelled", code: "cancelled")

    /// 503 when a request takes longer than ``ServerConfiguration/requestTimeout``.
    static func timeout(_ limit: Duration) -> APIError {
        APIError(status: .serviceUnavailable, message: "the request took longer than \(limit.secondsText) and was cancelled",
                 code: "timeout")
    }

    /// 429 when the batcher's queue is full.
    static func overloaded(queued: Int, capacity: Int) -> APIError {
        APIError(status: .tooManyRequests,
                 message: "the server is overloaded (\(queued) inputs queued, capacity \(capacity)); retry later",
                 code: "overloaded", headers: [.retryAfter: "1"])
    }
}

extension Duration {
    /// `60 s`, `0.5 s`.
    var secondsText: String {
        let (seconds, attoseconds) = components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return value == value.rounded() ? "\(Int64(value)) s" : "\(value) s"
    }
}
#endif
