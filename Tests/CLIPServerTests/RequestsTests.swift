#if Server
import CLIP
@testable import CLIPServer
import Foundation
import Testing

/// The request bodies read on their own (`Requests.swift`), without a model or a connection:
/// what a body that is read holds, and which refusal each bad body gets. The route tests
/// (`RoutesTests`, `EmbeddingsRouteTests`) check the same bodies through HTTP.
@Suite("Request bodies, read without a model")
struct RequestsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// A 37×29 grey JPEG and a 90×70 grey-and-alpha PNG (6,300 pixels).
    static let jpeg = imageBase64("jpeg_gray_odd.jpg")
    static let png = imageBase64("grayalpha_90x70.png")

    static func imageBase64(_ name: String) -> String {
        let url = repository.appendingPathComponent("Tests/ImageProcessingTests/Fixtures/images/\(name)")
        return ((try? Data(contentsOf: url)) ?? Data()).base64EncodedString()
    }

    /// Small limits, so that each is easy to cross.
    static let configuration = ServerConfiguration(
        modelName: "m", maximumPixelCount: 4096, maximumRequestPixelCount: 2000, maximumInputs: 3,
        maximumTextBytes: 32, maximumCaptions: 4, maximumTop: 20)

    static func body(_ json: String) -> [UInt8] { Array(json.utf8) }

    @Test func embeddingsKeepOrderAndDecodeImages() throws {
        let request = try EmbeddingsRequest(
            body: Self.body(#"{"model": "m", "encoding_format": "base64", "dimensions": 8, "user": "u", "input": ["a", {"type": "text", "text": "b"}, {"type": "image", "image": "data:image/jpeg;base64,\#(Self.jpeg)"}]}"#),
            configuration: Self.configuration, embeddingDimension: 8)
        #expect(request.format == .base64)
        #expect(request.inputs.count == 3)
        guard request.inputs.count == 3 else { return }
        guard case .text("a") = request.inputs[0], case .text("b") = request.inputs[1],
              case let .image(image) = request.inputs[2]
        else { Issue.record("the inputs are not text, text, image: \(request.inputs)"); return }
        #expect(image.width == 37 && image.height == 29)

        let single = try EmbeddingsRequest(body: Self.body(#"{"input": "one text"}"#), configuration: Self.configuration,
                                           embeddingDimension: 8)
        #expect(single.format == .float)
        guard case .text("one text")? = single.inputs.first, single.inputs.count == 1 else {
            Issue.record("a string input is not one text: \(single.inputs)")
            return
        }
    }

    @Test func classifyTakesTheDefaultTemplatesWhenNoneAreGiven() throws {
        let request = try ClassifyRequest(body: Self.body(#"{"image": "\#(Self.jpeg)", "labels": ["dog", "cat"], "top": 1}"#),
                                          configuration: Self.configuration, defaultTemplates: ["a {}."])
        #expect(request.labels == ["dog", "cat"])
        #expect(request.templates == ["a {}."])
        #expect(request.top == 1)
        #expect(request.image.width == 37 && request.image.height == 29)
        let given = try ClassifyRequest(body: Self.body(#"{"image": "\#(Self.jpeg)", "labels": ["dog"], "templates": ["{}", "b {}"]}"#),
                                        configuration: Self.configuration, defaultTemplates: ["a {}."])
        #expect(given.templates == ["{}", "b {}"])
        #expect(given.top == nil)
    }

    @Test func searchTakesTextOrImageAndTopDefaultsToTen() throws {
        let text = try SearchRequest(body: Self.body(#"{"text": "a red car"}"#), configuration: Self.configuration)
        #expect(text.top == 10)
        guard case .text("a red car") = text.query else { Issue.record("not the text query: \(text.query)"); return }
        let image = try SearchRequest(body: Self.body(#"{"image": "\#(Self.jpeg)", "top": 20}"#), configuration: Self.configuration)
        #expect(image.top == 20)
        guard case let .image(picture) = image.query else { Issue.record("not an image query: \(image.query)"); return }
        #expect(picture.width == 37)
    }

    /// A bad body, the route that reads it, and the refusal: status, `code`, `param`.
    struct Refusal: CustomTestStringConvertible, Sendable {
        enum Route: Sendable { case embeddings, classify, search }
        let route: Route
        let body: String
        let status: Int
        let code: String
        let param: String?
        var testDescription: String { "\(route) \(code) \(param ?? "-")" }

        init(_ route: Route, _ body: String, _ status: Int, _ code: String, _ param: String?) {
            (self.route, self.body, self.status, self.code, self.param) = (route, body, status, code, param)
        }
    }

    static let refusals: [Refusal] = [
        .init(.embeddings, "", 400, "invalid_json", nil),
        .init(.embeddings, #"{"input": "a", "input": "b"}"#, 400, "invalid_json", nil),
        .init(.embeddings, #"["input"]"#, 400, "invalid_json", nil),
        .init(.embeddings, #"{"input": "a", "extra": 1}"#, 400, "unknown_parameter", "extra"),
        .init(.embeddings, #"{"input": "a", "model": "other"}"#, 404, "model_not_found", "model"),
        .init(.embeddings, #"{"input": "a", "encoding_format": "int8"}"#, 400, "invalid_value", "encoding_format"),
        .init(.embeddings, #"{"input": "a", "dimensions": 7}"#, 400, "invalid_value", "dimensions"),
        .init(.embeddings, #"{"input": "a", "dimensions": 1.5}"#, 400, "invalid_type", "dimensions"),
        .init(.embeddings, #"{"model": "m"}"#, 400, "missing_parameter", "input"),
        .init(.embeddings, #"{"input": []}"#, 400, "invalid_value", "input"),
        .init(.embeddings, #"{"input": 3}"#, 400, "invalid_type", "input"),
        .init(.embeddings, #"{"input": ["a", "b", "c", "d"]}"#, 413, "too_many_inputs", "input"),
        .init(.embeddings, #"{"input": ["a", "0123456789012345678901234567890123"]}"#, 413, "text_too_long", "input[1]"),
        .init(.embeddings, #"{"input": [{"text": "a"}]}"#, 400, "missing_parameter", "input[0].type"),
        .init(.embeddings, #"{"input": [{"type": "audio"}]}"#, 400, "invalid_value", "input[0].type"),
        .init(.embeddings, #"{"input": [{"type": "text", "text": "a", "image": "b"}]}"#, 400, "unknown_parameter", "input[0].image"),
        .init(.embeddings, #"{"input": [{"type": "image"}]}"#, 400, "missing_parameter", "input[0].image"),
        .init(.embeddings, #"{"input": [{"type": "image", "image": "not base64!"}]}"#, 400, "invalid_base64", "input[0].image"),
        .init(.embeddings, #"{"input": [{"type": "image", "image": "data:text/plain;base64,AAAA"}]}"#, 400, "invalid_image", "input[0].image"),
        .init(.embeddings, #"{"input": [{"type": "image", "image": "AAAA"}]}"#, 400, "invalid_image", "input[0].image"),
        .init(.embeddings, #"{"input": [{"type": "image", "image": "\#(png)"}]}"#, 413, "image_too_large", "input[0].image"),
        .init(.embeddings, #"{"input": [{"type": "image", "image": "\#(jpeg)"}, {"type": "image", "image": "\#(jpeg)"}]}"#,
              413, "request_pixels_too_large", "input[1].image"),
        .init(.classify, #"{"image": "\#(jpeg)"}"#, 400, "missing_parameter", "labels"),
        .init(.classify, #"{"image": "\#(jpeg)", "labels": ["a", ""]}"#, 400, "invalid_value", "labels[1]"),
        .init(.classify, #"{"image": "\#(jpeg)", "labels": ["a", "a"]}"#, 400, "invalid_value", "labels[1]"),
        .init(.classify, #"{"image": "\#(jpeg)", "labels": ["a"], "templates": []}"#, 400, "invalid_value", "templates"),
        .init(.classify, #"{"image": "\#(jpeg)", "labels": ["0123456789abcdef"], "templates": ["{} {} {}"]}"#,
              413, "caption_too_long", "templates[0]"),
        .init(.classify, #"{"image": "\#(jpeg)", "labels": ["a", "b", "c"], "templates": ["{}", "x {}"]}"#,
              413, "too_many_captions", "labels"),
        .init(.classify, #"{"image": "\#(jpeg)", "labels": ["a"], "top": 0}"#, 400, "invalid_value", "top"),
        .init(.classify, #"{"labels": ["a"]}"#, 400, "missing_parameter", "image"),
        .init(.search, #"{}"#, 400, "missing_parameter", "text"),
        .init(.search, #"{"text": "a", "image": "\#(jpeg)"}"#, 400, "invalid_value", "image"),
        .init(.search, #"{"text": "a", "top": 21}"#, 400, "invalid_value", "top"),
        .init(.search, #"{"text": ["a"]}"#, 400, "invalid_type", "text"),
    ]

    @Test(arguments: refusals)
    func badBodiesAreRefusedNamingTheField(_ refusal: Refusal) {
        let body = Self.body(refusal.body)
        do {
            switch refusal.route {
            case .embeddings: _ = try EmbeddingsRequest(body: body, configuration: Self.configuration, embeddingDimension: 8)
            case .classify: _ = try ClassifyRequest(body: body, configuration: Self.configuration, defaultTemplates: ["{}"])
            case .search: _ = try SearchRequest(body: body, configuration: Self.configuration)
            }
            Issue.record("the body was read")
        } catch {
            #expect(Int(error.status.code) == refusal.status)
            #expect(error.code == refusal.code)
            #expect(error.param == refusal.param)
            #expect(error.body.contains(#""code":"\#(refusal.code)""#))
        }
    }

    @Test func aCancelledRequestStopsBeforeDecodingItsInputs() async {
        let body = Self.body(#"{"input": [{"type": "image", "image": "\#(Self.jpeg)"}, "a"]}"#)
        let outcome = await Task { () -> String in
            withUnsafeCurrentTask { $0?.cancel() }
            do {
                _ = try EmbeddingsRequest(body: body, configuration: Self.configuration, embeddingDimension: 8)
                return "read"
            } catch let error as APIError {
                return "\(error.status.code) \(error.code)"
            } catch {
                return "\(error)"
            }
        }.value
        #expect(outcome == "503 cancelled")
        // Not cancelled, the same body is read.
        #expect(throws: Never.self) { try EmbeddingsRequest(body: body, configuration: Self.configuration, embeddingDimension: 8) }
    }

    /// The fuzzer's committed seeds (Fuzz/Seeds/FuzzServerRequest, made by Fuzz/make_seeds.py)
    /// read as the harness reads them: the first byte picks the route (bits 0–1) and the limits
    /// (bit 2 set: the server's defaults; else the harness's small ones). Each seed is either
    /// read or refused as listed, so the seeds keep reaching the paths they were made for.
    @Test func fuzzSeedsReadAsIntended() throws {
        let folder = Self.repository.appendingPathComponent("Fuzz/Seeds/FuzzServerRequest")
        let small = ServerConfiguration(modelName: "clip-fuzz", maximumPixelCount: 4096, maximumRequestPixelCount: 6000,
                                        maximumInputs: 6, maximumTextBytes: 96, maximumCaptions: 12, maximumTop: 20)
        let defaults = ServerConfiguration(modelName: "clip-fuzz")
        let expected: [String: String] = [
            "0-text": "read", "0-mixed": "read", "0-image-small": "image_too_large", "0-bomb": "image_too_large",
            "1-classify": "read", "1-classify-small": "read", "2-search-text": "read", "2-search-image": "read",
        ]
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names == expected.keys.sorted())
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
            let selector = try #require(bytes.first)
            let body = Array(bytes.dropFirst())
            let configuration = selector & 4 == 0 ? small : defaults
            var outcome = "read"
            do {
                switch selector & 3 {
                case 0, 3: _ = try EmbeddingsRequest(body: body, configuration: configuration, embeddingDimension: 512)
                case 1: _ = try ClassifyRequest(body: body, configuration: configuration, defaultTemplates: ["{}"])
                default: _ = try SearchRequest(body: body, configuration: configuration)
                }
            } catch {
                outcome = error.code
            }
            #expect(outcome == expected[name], "\(name)")
        }
    }
}
#endif
