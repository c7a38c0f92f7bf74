#if Server
import CLIP
@testable import CLIPServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct EmbeddingsRouteTests {
    @Test func textsEqualModelEncodeNormalized() async throws {
        let model = try fixture().model
        let texts = ["a red star", "a photo of a blue heart", ""]
        let expected = rows(try model.encode(texts: texts, normalized: true))
        let tokens = texts.reduce(0) { $0 + (model.tokenizer?.tokenize($1).count ?? 0) }
        try await withServer { client, _ in
            let reply = try await client.post("/v1/embeddings", #"{"model": "mini-clip", "input": ["a red star", "a photo of a blue heart", ""]}"#)
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType] == "application/json")
            let object = reply.object
            #expect(object["object"] as? String == "list")
            #expect(object["model"] as? String == "mini-clip")
            let data = object["data"] as? [[String: Any]] ?? []
            #expect(data.map { $0["index"] as? Int } == [0, 1, 2])
            #expect(data.allSatisfy { $0["object"] as? String == "embedding" })
            let got = embeddings(reply)
            #expect(got.count == 3)
            for (row, vector) in got.enumerated() { #expect(close(vector, expected[row]), "row \(row)") }
            let usage = object["usage"] as? [String: Any] ?? [:]
            #expect(usage["prompt_tokens"] as? Int == tokens)
            #expect(usage["total_tokens"] as? Int == tokens)
            // 49406 "a" "red" "star" 49407, and so on: start and end tokens count.
            #expect(tokens == 5 + 8 + 2)
        }
    }

    @Test func singleStringAndBase64Format() async throws {
        let model = try fixture().model
        let expected = rows(try model.encode(texts: ["a purple ring"], normalized: true))[0]
        try await withServer { client, _ in
            let reply = try await client.post("/v1/embeddings", #"{"input": "a purple ring", "encoding_format": "base64"}"#)
            #expect(reply.status == .ok)
            let data = reply.object["data"] as? [[String: Any]] ?? []
            #expect(data.first?["embedding"] is String)
            let got = embeddings(reply)
            #expect(got.count == 1)
            #expect(close(got[0], expected))
            // Unit length, as OpenAI's embeddings.
            #expect(abs(got[0].reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        }
    }

    @Test func mixedTextAndImagesKeepOrder() async throws {
        let model = try fixture().model
        let star = try decodeExample("red-star.png"), circle = try decodeExample("yellow-circle.jpg")
        let imageRows = rows(try model.encode(images: [star, circle], normalized: true))
        let textRows = rows(try model.encode(texts: ["a red star", "a green square"], normalized: true))
        let starText = try base64(ofExample: "red-star.png"), circleText = try base64(ofExample: "yellow-circle.jpg")
        try await withServer { client, _ in
            let body = #"{"input": [{"type": "image", "image": "\#(starText)"}, "a red star", "#
                + #"{"type": "image", "image": "data:image/jpeg;base64,\#(circleText)"}, {"type": "text", "text": "a green square"}]}"#
            let reply = try await client.post("/v1/embeddings", body)
            #expect(reply.status == .ok)
            let got = embeddings(reply)
            #expect(got.count == 4)
            guard got.count == 4 else { return }
            #expect(close(got[0], imageRows[0]))
            #expect(close(got[1], textRows[0]))
            #expect(close(got[2], imageRows[1]))
            #expect(close(got[3], textRows[1]))
            // Images count no tokens.
            let usage = reply.object["usage"] as? [String: Any] ?? [:]
            #expect(usage["prompt_tokens"] as? Int == 5 + 5)
        }
    }

    @Test func badRequestsName400Fields() async throws {
        let png = try base64(ofExample: "blue-heart.png")
        let notAnImage = Data("hello, not an image".utf8).base64EncodedString()
        let cases: [(body: String, param: String?, code: String)] = [
            (#"{"input": "a", "#, nil, "invalid_json"),
            (#"["a"]"#, nil, "invalid_json"),
            (#"{"input": "a", "input": "b"}"#, nil, "invalid_json"),
            (#"{}"#, "input", "missing_parameter"),
            (#"{"input": 5}"#, "input", "invalid_type"),
            (#"{"input": []}"#, "input", "invalid_value"),
            (#"{"input": ["a", true]}"#, "input[1]", "invalid_type"),
            (#"{"input": ["a", {"type": "image", "image": "not base64!"}]}"#, "input[1].image", "invalid_base64"),
            (#"{"input": [{"type": "image", "image": "\#(notAnImage)"}]}"#, "input[0].image", "invalid_image"),
            (#"{"input": [{"type": "image", "image": "data:text/plain;base64,\#(png)"}]}"#, "input[0].image", "invalid_image"),
            (#"{"input": [{"type": "image"}]}"#, "input[0].image", "missing_parameter"),
            (#"{"input": [{"type": "video", "video": "x"}]}"#, "input[0].type", "invalid_value"),
            (#"{"input": [{"type": "image", "image": "\#(png)", "detail": "high"}]}"#, "input[0].detail", "unknown_parameter"),
            (#"{"input": "a", "encoding_format": "int8"}"#, "encoding_format", "invalid_value"),
            (#"{"input": "a", "dimensions": 7}"#, "dimensions", "invalid_value"),
            (#"{"input": "a", "temperature": 1}"#, "temperature", "unknown_parameter"),
            (#"{"input": "a", "model": 3}"#, "model", "invalid_type"),
        ]
        try await withServer { client, _ in
            for (body, param, code) in cases {
                let reply = try await client.post("/v1/embeddings", body)
                #expect(reply.status == .badRequest, "\(body.prefix(80))")
                #expect(reply.error.type == "invalid_request_error", "\(body.prefix(80))")
                #expect(reply.error.param == param, "\(body.prefix(80)): \(reply.text.prefix(300))")
                #expect(reply.error.code == code, "\(body.prefix(80)): \(reply.text.prefix(300))")
            }
            let other = try await client.post("/v1/embeddings", #"{"input": "a", "model": "gpt-4"}"#)
            #expect(other.status == .notFound)
            #expect(other.error.code == "model_not_found")
            #expect(other.error.param == "model")
        }
    }

    @Test func limitsAnswer413() async throws {
        let image = try base64(ofExample: "red-star.png")   // 128×128 pixels
        var configuration = ServerConfiguration(modelName: "mini-clip", maximumBodyBytes: 40_000, maximumPixelCount: 10_000,
                                                maximumInputs: 3, maximumTextBytes: 100)
        configuration.classifierCacheSize = 2
        try await withServer(configuration) { client, _ in
            let many = try await client.post("/v1/embeddings", #"{"input": ["a", "b", "c", "d"]}"#)
            #expect(many.status == .contentTooLarge)
            #expect(many.error.param == "input")
            #expect(many.error.code == "too_many_inputs")

            let pixels = try await client.post("/v1/embeddings", #"{"input": ["a", {"type": "image", "image": "\#(image)"}]}"#)
            #expect(pixels.status == .contentTooLarge)
            #expect(pixels.error.param == "input[1].image")
            #expect(pixels.error.code == "image_too_large")

            let long = try await client.post("/v1/embeddings", #"{"input": ["\#(String(repeating: "x", count: 101))"]}"#)
            #expect(long.status == .contentTooLarge)
            #expect(long.error.param == "input[0]")

            let big = try await client.post("/v1/embeddings", #"{"input": "\#(String(repeating: "y", count: 50_000))"}"#)
            #expect(big.status == .contentTooLarge)
            #expect(big.error.code == "body_too_large")
            #expect(big.error.param == nil)
        }
    }

    @Test func requestPixelBudgetCoversAllImages() async throws {
        let heart = try base64(ofExample: "blue-heart.png")   // 128×128 = 16384 pixels
        let configuration = ServerConfiguration(modelName: "mini-clip", maximumPixelCount: 20_000, maximumRequestPixelCount: 30_000)
        try await withServer(configuration) { client, _ in
            let one = try await client.post("/v1/embeddings", #"{"input": [{"type": "image", "image": "\#(heart)"}, "a"]}"#)
            #expect(one.status == .ok)
            let two = try await client.post(
                "/v1/embeddings", #"{"input": [{"type": "image", "image": "\#(heart)"}, {"type": "image", "image": "\#(heart)"}]}"#)
            #expect(two.status == .contentTooLarge)
            #expect(two.error.param == "input[1].image")
            #expect(two.error.code == "request_pixels_too_large")
        }
    }

    @Test func overloadedBatcherAnswers429() async throws {
        var configuration = ServerConfiguration(modelName: "mini-clip")
        configuration.batching = .init(maxBatchSize: 4, maxWait: .milliseconds(1), queueCapacity: 1)
        try await withServer(configuration) { client, _ in
            // Two inputs never fit a queue of one.
            let reply = try await client.post("/v1/embeddings", #"{"input": ["a red star", "a blue heart"]}"#)
            #expect(reply.status == .tooManyRequests)
            #expect(reply.error.type == "rate_limit_error")
            #expect(reply.error.code == "overloaded")
            #expect(reply.headers[.retryAfter] == "1")
            // One does.
            let one = try await client.post("/v1/embeddings", #"{"input": ["a red star"]}"#)
            #expect(one.status == .ok)
        }
    }

    @Test func requestsBeyondTheConcurrencyLimitAnswer429() async throws {
        // One request in flight at most; a lone input waits up to 30 s for its batch, so the
        // first request is still being served while the second arrives.
        var configuration = ServerConfiguration(modelName: "mini-clip", requestTimeout: .seconds(3), maximumConcurrentRequests: 1)
        configuration.batching = .init(maxBatchSize: 32, maxWait: .seconds(30), queueCapacity: 64)
        try await withServer(configuration) { client, served in
            async let first = client.post("/v1/embeddings", #"{"input": "a red star"}"#)
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(10)
            while served.batcher.queuedInputs == 0, clock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            #expect(served.batcher.queuedInputs == 1)
            let second = try await client.post("/v1/embeddings", #"{"input": "a blue heart"}"#)
            #expect(second.status == .tooManyRequests)
            #expect(second.error.code == "too_many_requests")
            #expect(second.headers[.retryAfter] == "1")
            // The first ends (by its timeout) and frees its place.
            #expect(try await first.status == .serviceUnavailable)
            let open = try await client.get("/v1/models")
            #expect(open.status == .ok)
        }
    }

    @Test func slowRequestTimesOut() async throws {
        var configuration = ServerConfiguration(modelName: "mini-clip", requestTimeout: .milliseconds(100))
        // A lone input waits 30 s for others to join its batch: far past the timeout.
        configuration.batching = .init(maxBatchSize: 32, maxWait: .seconds(30), queueCapacity: 64)
        try await withServer(configuration) { client, served in
            let clock = ContinuousClock()
            let start = clock.now
            let reply = try await client.post("/v1/embeddings", #"{"input": "a red star"}"#)
            #expect(reply.status == .serviceUnavailable)
            #expect(reply.error.code == "timeout")
            #expect(clock.now - start < .seconds(10))
            // The cancelled request left the queue.
            #expect(served.batcher.queuedInputs == 0)
        }
    }
}
#endif
