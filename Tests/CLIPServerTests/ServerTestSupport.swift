#if Server
import CLIP
import CLIPDemoModel
@testable import CLIPServer
import Foundation
import Hummingbird
import HummingbirdTesting
import PhotoLibrary
import Testing

/// The repository's Examples/images (12 shapes the bundled model knows).
let examplesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Examples/images")

/// The bundled demonstration model and an in-memory index of Examples/images made with it.
final class Fixture: Sendable {
    let model: CLIPModel
    let index: PhotoIndex

    init() throws {
        model = try CLIPModel.bundledDemonstrationModel()
        index = try PhotoIndex()
        try index.update([examplesFolder], model: model)
    }

    static let shared: Fixture? = {
        do { return try Fixture() } catch {
            Issue.record("the test fixture could not be made: \(error)")
            return nil
        }
    }()
}

func fixture() throws -> Fixture {
    try #require(Fixture.shared)
}

/// A parsed JSON response.
struct Reply: @unchecked Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let bytes: [UInt8]

    init(_ response: TestResponse) {
        status = response.status
        headers = response.headers
        var body = response.body
        bytes = body.readBytes(length: body.readableBytes) ?? []
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }

    /// The `error` object's fields of an error response.
    var error: (type: String?, param: String?, code: String?) {
        let error = object["error"] as? [String: Any] ?? [:]
        return (error["type"] as? String, error["param"] as? String, error["code"] as? String)
    }
}

/// The server's router over a ready model (or `phase`), driven in process.
func withServer(
    _ configuration: ServerConfiguration = ServerConfiguration(modelName: "mini-clip"),
    phase: ServerState.Phase? = nil, index: Bool = true, metrics: ServerMetrics = ServerMetrics(),
    _ body: @Sendable (any TestClientProtocol, ServedModel) async throws -> Void
) async throws {
    let fixture = try fixture()
    let batcher = EmbeddingBatcher(model: fixture.model, configuration: configuration.batching) { metrics.record($0) }
    let served = try ServedModel(batcher: batcher, index: index ? fixture.index : nil,
                                 classifierCacheSize: configuration.classifierCacheSize)
    let state = ServerState(phase ?? .ready(served))
    let application = Application(router: ModelServer.makeRouter(configuration: configuration, state: state, metrics: metrics))
    do {
        try await application.test(.router) { client in try await body(client, served) }
    } catch {
        await batcher.shutdown()
        throw error
    }
    await batcher.shutdown()
}

extension TestClientProtocol {
    func post(_ uri: String, _ json: String, headers: HTTPFields = [:]) async throws -> Reply {
        Reply(try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json)))
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> Reply {
        Reply(try await execute(uri: uri, method: .get, headers: headers))
    }
}

/// `"<base64 of the file>"` for a JSON body.
func base64(ofExample name: String) throws -> String {
    try Data(contentsOf: examplesFolder.appendingPathComponent(name)).base64EncodedString()
}

func decodeExample(_ name: String) throws -> RGBImage {
    try ImageLoader().image(contentsOf: examplesFolder.appendingPathComponent(name))
}

/// `|a - b| <= tolerance` elementwise, same count.
func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
}

/// The `embedding` arrays of an embeddings response, as Float32.
func embeddings(_ reply: Reply) -> [[Float]] {
    let data = reply.object["data"] as? [[String: Any]] ?? []
    return data.map { item in
        if let values = item["embedding"] as? [Double] { return values.map { Float($0) } }
        if let text = item["embedding"] as? String, let bytes = Data(base64Encoded: text) {
            return stride(from: 0, to: bytes.count, by: 4).map { offset in
                let bits = bytes[offset..<offset + 4].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
                return Float(bitPattern: bits)
            }
        }
        return []
    }
}

/// The rows of a tensor.
func rows(_ tensor: Tensor) -> [[Float]] {
    let width = tensor.shape[1], scalars = tensor.scalars
    return (0..<tensor.shape[0]).map { Array(scalars[($0 * width)..<(($0 + 1) * width)]) }
}
#endif
