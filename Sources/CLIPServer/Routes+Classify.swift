#if Server
import CLIP
import CLIPSupport
import Foundation
import Hummingbird
import PhotoLibrary

/// `POST /v1/classify`, `POST /v1/search` and `GET /v1/images`.
extension Routes {
    struct PredictionList: Encodable {
        var object = "classification"
        let model: String
        let scoring: String
        let predictions: [Prediction]
    }

    /// `{"image": "<base64|data URL>", "labels": [...], "templates": [...]?, "top": k?}` →
    /// `{"scoring": "softmax"|"sigmoid", "predictions": [{"label", "probability", "similarity"}]}`,
    /// best first. Label embeddings are computed once per (labels, templates) through the
    /// batcher (captions averaged per label as `ZeroShotClassifier` does) and kept in a small
    /// least-recently-used cache.
    func classify(_ request: Request) async throws -> Response {
        let served = try state.served()
        let parsed = try ClassifyRequest(body: try await body(of: request), configuration: configuration,
                                         defaultTemplates: PromptTemplates.default(for: served.model.family))
        let (labels, templates, top, image) = (parsed.labels, parsed.templates, parsed.top, parsed.image)
        let key = ClassifierCache.Key(labels: labels, templates: templates)
        let classifier: ZeroShotClassifier
        if let cached = served.classifiers.classifier(for: key) {
            classifier = cached
        } else {
            classifier = try await ModelCallError.run(param: "labels") {
                try await ZeroShotClassifier(batcher: served.batcher, labels: labels, templates: templates)
            }
            served.classifiers.insert(classifier, for: key)
        }
        let predictions = try await ModelCallError.run(param: "image") {
            try await classifier.classify(image, using: served.batcher, topK: top)
        }
        return try Self.encoded(PredictionList(model: configuration.modelName,
                                               scoring: classifier.probabilitiesSumToOne ? "softmax" : "sigmoid",
                                               predictions: predictions))
    }

    struct SearchHit: Encodable {
        let path: String
        let score: Float
        let url: String
    }

    struct SearchResults: Encodable {
        var object = "search"
        let model: String
        let results: [SearchHit]
    }

    /// The served index, or 404 `no_index`.
    func index(of served: ServedModel) throws(APIError) -> PhotoIndex {
        guard let index = served.index else {
            throw APIError.notFound("this server has no photo index; start clip serve with --index FILE", code: "no_index")
        }
        return index
    }

    /// `{"text": "..."}` or `{"image": "<base64|data URL>"}`, with `"top": k` (default 10) →
    /// `{"results": [{"path", "score", "url"}]}`: the indexed files most similar (cosine) to the
    /// query, best first; `url` fetches the image from `/v1/images`.
    func search(_ request: Request) async throws -> Response {
        let served = try state.served()
        let index = try index(of: served)
        let parsed = try SearchRequest(body: try await body(of: request), configuration: configuration)
        let top = parsed.top
        let query: Tensor
        switch parsed.query {
        case let .text(text):
            query = try await ModelCallError.run(param: "text") { try await served.batcher.embed(texts: [text], normalized: true) }
        case let .image(image):
            query = try await ModelCallError.run(param: "image") { try await served.batcher.embed(images: [image], normalized: true) }
        }
        let model = served.indexedModel
        let embedding = query.scalars
        let matches: [PhotoMatch]
        do {
            matches = try await Self.blocking { try index.search(embedding: embedding, model: model, topK: top) }
        } catch {
            throw APIError(status: .internalServerError, message: "the index search failed: \(error)", code: "index_error")
        }
        let hits = matches.map { SearchHit(path: $0.path, score: $0.similarity, url: Self.imageURL(for: $0.path)) }
        return try Self.encoded(SearchResults(model: configuration.modelName, results: hits))
    }

    /// `/v1/images?path=<percent-encoded path>`.
    static func imageURL(for path: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return "/v1/images?path=" + (path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path)
    }

    /// `GET /v1/images?path=...`: the bytes of an image file **the index holds for the served
    /// model**, with its Content-Type (from the file's signature); 404 for any other path.
    func image(_ request: Request) async throws -> Response {
        let served = try state.served()
        let index = try index(of: served)
        guard let path = request.uri.queryParameters.get("path"), !path.isEmpty else {
            throw APIError.invalid("give the image's path: /v1/images?path=...", param: "path", code: "missing_parameter")
        }
        let notIndexed = APIError.notFound("\(path.quotedForMessage) is not an image of the index", param: "path")
        // Only a path exactly as the index stores it (absolute, no . or .. parts) can match.
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard path.hasPrefix("/"), !path.contains("\0"), !parts.dropFirst().contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
        else { throw notIndexed }
        let model = served.indexedModel
        let data: Data?
        do {
            data = try await Self.blocking { () -> Data? in
                guard try index.embedding(ofFileAt: path, model: model) != nil else { return nil }
                return try Self.readRegularFile(path)
            }
        } catch {
            throw APIError(status: .internalServerError, message: "the index could not be read: \(error)", code: "index_error")
        }
        guard let data else { throw notIndexed }
        var headers: HTTPFields = [.contentType: Self.mediaType(of: data), .cacheControl: "private, max-age=300"]
        if let noSniff = HTTPFields.Element.Name("X-Content-Type-Options") { headers[noSniff] = "nosniff" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The file's bytes when it is a regular file (not a link) now, nil when it is gone.
    static func readRegularFile(_ path: String) throws -> Data? {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileManager.default.contents(atPath: path)
    }

    /// `image/jpeg` or `image/png` by the leading bytes, else `application/octet-stream`.
    static func mediaType(of data: Data) -> String {
        if data.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        return "application/octet-stream"
    }
}
#endif
