#if Server
import CLIP
@testable import CLIPServer
import Foundation
import Hummingbird
import HummingbirdTesting
import PhotoLibrary
import Testing

@Suite struct ClassifyRouteTests {
    @Test func ranksLikeZeroShotClassifier() async throws {
        let model = try fixture().model
        let labels = ["red star", "blue heart", "green square", "yellow circle"]
        let expected = try ZeroShotClassifier(model: model, labels: labels).classify(try decodeExample("red-star.png"))
        let image = try base64(ofExample: "red-star.png")
        try await withServer { client, served in
            let body = #"{"image": "data:image/png;base64,\#(image)", "labels": ["red star", "blue heart", "green square", "yellow circle"]}"#
            let reply = try await client.post("/v1/classify", body)
            #expect(reply.status == .ok, "\(reply.text.prefix(300))")
            #expect(reply.object["scoring"] as? String == "softmax")
            let predictions = reply.object["predictions"] as? [[String: Any]] ?? []
            #expect(predictions.map { $0["label"] as? String } == expected.map(\.label))
            #expect(predictions.first?["label"] as? String == "red star")
            for (got, want) in zip(predictions, expected) {
                #expect(abs(Float((got["probability"] as? Double) ?? -1) - want.probability) <= 1e-5)
                #expect(abs(Float((got["similarity"] as? Double) ?? -1) - want.similarity) <= 1e-5)
            }
            // The same labels again: the cached classifier, the top two only.
            let again = try await client.post("/v1/classify", #"{"image": "\#(image)", "labels": ["red star", "blue heart", "green square", "yellow circle"], "top": 2}"#)
            #expect((again.object["predictions"] as? [Any])?.count == 2)
            #expect(served.classifiers.count == 1)
        }
    }

    @Test func templatesAndCacheBound() async throws {
        let model = try fixture().model
        let templates = ["a drawing of a {}.", "{}"]
        let expected = try ZeroShotClassifier(model: model, labels: ["ring", "cross"], templates: templates)
            .classify(try decodeExample("purple-ring.png"))
        let image = try base64(ofExample: "purple-ring.png")
        var configuration = ServerConfiguration(modelName: "mini-clip")
        configuration.classifierCacheSize = 1
        try await withServer(configuration) { client, served in
            let reply = try await client.post("/v1/classify", #"{"image": "\#(image)", "labels": ["ring", "cross"], "templates": ["a drawing of a {}.", "{}"]}"#)
            let predictions = reply.object["predictions"] as? [[String: Any]] ?? []
            #expect(predictions.map { $0["label"] as? String } == expected.map(\.label))
            for (got, want) in zip(predictions, expected) {
                #expect(abs(Float((got["probability"] as? Double) ?? -1) - want.probability) <= 1e-5)
            }
            _ = try await client.post("/v1/classify", #"{"image": "\#(image)", "labels": ["ring", "star"]}"#)
            #expect(served.classifiers.count == 1)
        }
    }

    @Test func badClassifyRequests() async throws {
        let image = try base64(ofExample: "purple-ring.png")
        let cases: [(body: String, status: HTTPResponse.Status, param: String?)] = [
            (#"{"image": "\#(image)"}"#, .badRequest, "labels"),
            (#"{"image": "\#(image)", "labels": []}"#, .badRequest, "labels"),
            (#"{"image": "\#(image)", "labels": "cat"}"#, .badRequest, "labels"),
            (#"{"image": "\#(image)", "labels": ["cat", 3]}"#, .badRequest, "labels[1]"),
            (#"{"image": "\#(image)", "labels": ["cat", "cat"]}"#, .badRequest, "labels[1]"),
            (#"{"image": "\#(image)", "labels": ["cat", ""]}"#, .badRequest, "labels[1]"),
            (#"{"image": "\#(image)", "labels": ["cat"], "templates": []}"#, .badRequest, "templates"),
            (#"{"image": "\#(image)", "labels": ["cat"], "top": 0}"#, .badRequest, "top"),
            (#"{"image": "\#(image)", "labels": ["cat"], "top": 1.5}"#, .badRequest, "top"),
            (#"{"labels": ["cat"]}"#, .badRequest, "image"),
            (#"{"image": "%%%", "labels": ["cat"]}"#, .badRequest, "image"),
            (#"{"image": "\#(image)", "labels": ["a", "b", "c"], "templates": ["{}", "a {}", "the {}"]}"#, .contentTooLarge, "labels"),
            // 8 placeholders × a 10-byte label: an 80-byte caption from a 16-byte template.
            (#"{"image": "\#(image)", "labels": ["cat", "xxxxxxxxxx"], "templates": ["{}", "{}{}{}{}{}{}{}{}"]}"#,
             .contentTooLarge, "templates[1]"),
        ]
        let configuration = ServerConfiguration(modelName: "mini-clip", maximumTextBytes: 64, maximumCaptions: 8)
        try await withServer(configuration) { client, _ in
            for (body, status, param) in cases {
                let reply = try await client.post("/v1/classify", body)
                #expect(reply.status == status, "\(body.suffix(80))")
                #expect(reply.error.param == param, "\(body.suffix(80)): \(reply.text.prefix(300))")
            }
        }
    }
}

@Suite struct SearchAndImagesTests {
    @Test func textSearchRanksTheRedStarFirst() async throws {
        let fixture = try fixture()
        let expected = try fixture.index.search(text: "a red star", model: fixture.model, topK: 3)
        try await withServer { client, _ in
            let reply = try await client.post("/v1/search", #"{"text": "a red star", "top": 3}"#)
            #expect(reply.status == .ok)
            let results = reply.object["results"] as? [[String: Any]] ?? []
            #expect(results.map { $0["path"] as? String } == expected.map(\.path))
            #expect((results.first?["path"] as? String)?.hasSuffix("/red-star.png") == true)
            for (got, want) in zip(results, expected) {
                #expect(abs(Float((got["score"] as? Double) ?? -2) - want.similarity) <= 1e-5)
                #expect(got["url"] as? String == "/v1/images?path=" + want.path)
            }
        }
    }

    @Test func imageSearchFindsTheImageItself() async throws {
        let image = try base64(ofExample: "green-triangle.jpg")
        try await withServer { client, _ in
            let reply = try await client.post("/v1/search", #"{"image": "data:image/jpeg;base64,\#(image)", "top": 1}"#)
            let results = reply.object["results"] as? [[String: Any]] ?? []
            #expect(results.count == 1)
            #expect((results.first?["path"] as? String)?.hasSuffix("/green-triangle.jpg") == true)
            #expect(((results.first?["score"] as? Double) ?? 0) > 0.999)
        }
    }

    @Test func badSearchesAndNoIndex() async throws {
        try await withServer(ServerConfiguration(modelName: "mini-clip", maximumTop: 50)) { client, _ in
            for (body, param) in [(#"{}"#, "text"), (#"{"text": "a", "image": "b"}"#, "image"), (#"{"text": 1}"#, "text"),
                                  (#"{"text": "a", "top": 51}"#, "top"), (#"{"text": "a", "k": 3}"#, "k")] {
                let reply = try await client.post("/v1/search", body)
                #expect(reply.status == .badRequest, "\(body)")
                #expect(reply.error.param == param, "\(body): \(reply.text)")
            }
        }
        try await withServer(index: false) { client, _ in
            let reply = try await client.post("/v1/search", #"{"text": "a red star"}"#)
            #expect(reply.status == .notFound)
            #expect(reply.error.code == "no_index")
            let image = try await client.get("/v1/images?path=" + examplesFolder.appendingPathComponent("red-star.png").path)
            #expect(image.status == .notFound)
            #expect(image.error.code == "no_index")
        }
    }

    @Test func servesIndexedImagesOnly() async throws {
        let star = examplesFolder.appendingPathComponent("red-star.png").standardizedFileURL.path
        let jpeg = examplesFolder.appendingPathComponent("orange-star.jpg").standardizedFileURL.path
        try await withServer { client, _ in
            let reply = try await client.get(Routes.imageURL(for: star))
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType] == "image/png")
            let noSniff = try #require(HTTPFields.Element.Name("X-Content-Type-Options"))
            #expect(reply.headers[noSniff] == "nosniff")
            #expect(Data(reply.bytes) == (try Data(contentsOf: URL(fileURLWithPath: star))))
            #expect(try await client.get(Routes.imageURL(for: jpeg)).headers[.contentType] == "image/jpeg")
            let folder = examplesFolder.standardizedFileURL.path
            for path in ["/etc/passwd", folder + "/../images/red-star.png", folder + "/./red-star.png", "red-star.png",
                         folder + "//red-star.png", folder, folder + "/missing.png"] {
                let refused = try await client.get(Routes.imageURL(for: path))
                #expect(refused.status == .notFound, "\(path)")
                #expect(refused.error.param == "path", "\(path)")
            }
            let missing = try await client.get("/v1/images")
            #expect(missing.status == .badRequest)
            #expect(missing.error.param == "path")
        }
    }
}

@Suite struct ServiceRoutesTests {
    @Test func healthReadinessAndModels() async throws {
        try await withServer { client, _ in
            #expect(try await client.get("/healthz").status == .ok)
            let ready = try await client.get("/readyz")
            #expect(ready.status == .ok)
            #expect(ready.object["status"] as? String == "ready")
            let models = try await client.get("/v1/models")
            #expect(models.object["object"] as? String == "list")
            let data = models.object["data"] as? [[String: Any]] ?? []
            #expect(data.map { $0["id"] as? String } == ["mini-clip"])
            #expect(data.first?["object"] as? String == "model")
            #expect(try await client.get("/v1/models/mini-clip").object["id"] as? String == "mini-clip")
            #expect(try await client.get("/v1/models/other").status == .notFound)
            let unknown = try await client.get("/v1/nothing")
            #expect(unknown.status == .notFound)
            #expect(unknown.error.code == "unknown_route")
        }
    }

    @Test func notReadyAndShuttingDownAnswer503() async throws {
        for (phase, status, code) in [(ServerState.Phase.loading, "loading", "not_ready"),
                                      (.shuttingDown, "shutting_down", "shutting_down"),
                                      (.failed("no such folder"), "failed", "model_failed")] {
            try await withServer(phase: phase) { client, _ in
                #expect(try await client.get("/healthz").status == .ok)
                let ready = try await client.get("/readyz")
                #expect(ready.status == .serviceUnavailable)
                #expect(ready.object["status"] as? String == status)
                for (uri, body) in [("/v1/embeddings", #"{"input": "a"}"#), ("/v1/search", #"{"text": "a"}"#),
                                    ("/v1/classify", #"{"image": "", "labels": ["a"]}"#)] {
                    let reply = try await client.post(uri, body)
                    #expect(reply.status == .serviceUnavailable, "\(uri)")
                    #expect(reply.error.code == code, "\(uri)")
                    #expect(reply.error.type == "server_error")
                }
            }
        }
    }

    @Test func apiKeyGuardsV1Only() async throws {
        let configuration = ServerConfiguration(apiKey: "s3cret", modelName: "mini-clip")
        try await withServer(configuration) { client, _ in
            let body = #"{"input": "a red star"}"#
            for headers: HTTPFields in [[:], [.authorization: "Bearer wrong"], [.authorization: "s3cret"],
                                        [.authorization: "Bearer s3cret2"], [.authorization: "Basic czNjcmV0"]] {
                let reply = try await client.post("/v1/embeddings", body, headers: headers)
                #expect(reply.status == .unauthorized, "\(headers)")
                #expect(reply.error.type == "authentication_error")
                #expect(reply.error.code == "invalid_api_key")
                #expect(reply.headers[.wwwAuthenticate] == "Bearer")
            }
            #expect(try await client.get("/v1/models").status == .unauthorized)
            #expect(try await client.post("/v1/embeddings", body, headers: [.authorization: "Bearer s3cret"]).status == .ok)
            #expect(try await client.get("/v1/models", headers: [.authorization: "bearer s3cret"]).status == .ok)
            for open in ["/", "/healthz", "/readyz", "/metrics"] {
                #expect(try await client.get(open).status == .ok, "\(open)")
            }
        }
    }

    @Test func metricsCountRequestsAndBatches() async throws {
        let metrics = ServerMetrics()
        try await withServer(metrics: metrics) { client, _ in
            #expect(try await client.post("/v1/embeddings", #"{"input": ["a", "b", "c"]}"#).status == .ok)
            #expect(try await client.post("/v1/embeddings", #"{"input": 1}"#).status == .badRequest)
            let reply = try await client.get("/metrics")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = reply.text
            #expect(text.contains(#"clip_http_requests_total{route="/v1/embeddings",method="POST",status="200"} 1"#), "\(text)")
            #expect(text.contains(#"clip_http_requests_total{route="/v1/embeddings",method="POST",status="400"} 1"#))
            #expect(text.contains(#"clip_http_request_duration_seconds_count{route="/v1/embeddings"} 2"#))
            #expect(text.contains(#"clip_batch_inputs_sum{kind="text"} 3"#))
            #expect(text.contains(#"clip_batch_inputs_count{kind="text"} 1"#))
            #expect(text.contains("clip_queue_inputs 0"))
        }
    }

    @Test func pageHasTheSearchUI() async throws {
        try await withServer { client, _ in
            let page = try await client.get("/")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            let html = page.text
            for part in [#"<input id="q" type="search""#, #"id="drop""#, #"type="file""#, #"figure.className = "hit""#,
                         "/v1/search", #"URLSearchParams(location.search).get("q")"#] {
                #expect(html.contains(part), "\(part)")
            }
            #expect(!html.contains("http://") && !html.contains("https://"), "no external resources")
        }
    }
}
#endif
