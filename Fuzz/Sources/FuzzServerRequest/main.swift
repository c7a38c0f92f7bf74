// `clip serve`'s request decoding on arbitrary bodies: the strict JSON object, each route's
// fields and limits, base64 and data URLs, and the image decoder behind them. The first byte
// picks the route (bits 0–1) and the limits (bit 2: the defaults of `clip serve`, else small
// ones that inputs reach easily); the rest is the HTTP body. Beyond "no crash":
// - a body that is read keeps every limit of the configuration;
// - a body that is refused is a 400, 404 or 413 (never a 5xx: nothing here is the server's
//   fault), with a code and a message of bounded size, and its JSON error body reads back
//   through the strict reader with the same message.
import CLIP
import CLIPServer
import CLIPSupport
import Foundation
import FuzzSupport

let servedName = "clip-fuzz"
let defaults = ServerConfiguration(modelName: servedName)
let small = ServerConfiguration(modelName: servedName, maximumPixelCount: 4096, maximumRequestPixelCount: 6000,
                                maximumInputs: 6, maximumTextBytes: 96, maximumCaptions: 12, maximumTop: 20)
let dimension = 512
let defaultTemplates = ["a photo of a {}.", "{}"]

func checkImage(_ image: RGBImage, _ configuration: ServerConfiguration, budget: inout Int) {
    let pixels = image.width * image.height
    fuzzCheck(image.width > 0 && image.height > 0, "an image of \(image.width)×\(image.height) was accepted")
    fuzzCheck(pixels <= configuration.maximumPixelCount, "an image of \(pixels) pixels passed the per-image limit")
    budget -= pixels
    fuzzCheck(budget >= 0, "the request's images passed the per-request pixel limit")
}

func checkText(_ text: String, _ configuration: ServerConfiguration) {
    fuzzCheck(text.utf8.count <= configuration.maximumTextBytes, "a text of \(text.utf8.count) bytes passed the limit")
}

func checkRefusal(_ error: APIError) {
    fuzzCheck([400, 404, 413].contains(error.status.code), "a body was refused with \(error)")
    fuzzCheck(!error.code.isEmpty && !error.message.isEmpty, "a refusal without code or message: \(error)")
    fuzzCheck(error.message.utf8.count <= 4096, "a refusal's message has \(error.message.utf8.count) bytes")
    let body = Array(error.body.utf8)
    let value = try? body.withUnsafeBytes { try JSONValue(parsing: $0) }
    guard case let .object(top)? = value, case let .object(fields)? = top["error"] else {
        fuzzCheck(false, "the error body does not read back as JSON: \(error.body)")
        return
    }
    fuzzCheck(fields["message"] == .string(error.message), "the error body's message differs from the error's")
    fuzzCheck(fields["code"] == .string(error.code), "the error body's code differs from the error's")
}

func fuzzServerRequest(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let (selector, body) = FuzzInput(start, count).selectorAndRest else { return 0 }
    let configuration = selector & 4 == 0 ? small : defaults
    do {
        switch selector & 3 {
        case 0, 3:
            let request = try EmbeddingsRequest(body: body, configuration: configuration, embeddingDimension: dimension)
            fuzzCheck((1...configuration.maximumInputs).contains(request.inputs.count), "\(request.inputs.count) inputs were accepted")
            var budget = configuration.maximumRequestPixelCount
            for input in request.inputs {
                switch input {
                case let .text(text): checkText(text, configuration)
                case let .image(image): checkImage(image, configuration, budget: &budget)
                }
            }
        case 1:
            let request = try ClassifyRequest(body: body, configuration: configuration, defaultTemplates: defaultTemplates)
            fuzzCheck(!request.labels.isEmpty && !request.templates.isEmpty, "no labels or no templates were accepted")
            fuzzCheck(Set(request.labels).count == request.labels.count, "repeated labels were accepted")
            fuzzCheck(request.labels.count * request.templates.count <= configuration.maximumCaptions, "too many captions")
            for label in request.labels { fuzzCheck(!label.isEmpty, "an empty label was accepted"); checkText(label, configuration) }
            for template in request.templates { checkText(template, configuration) }
            fuzzCheck(request.top.map { $0 >= 1 } ?? true, "top \(request.top ?? 0) was accepted")
            var budget = configuration.maximumRequestPixelCount
            checkImage(request.image, configuration, budget: &budget)
        default:
            let request = try SearchRequest(body: body, configuration: configuration)
            fuzzCheck((1...configuration.maximumTop).contains(request.top), "top \(request.top) was accepted")
            switch request.query {
            case let .text(text): checkText(text, configuration)
            case let .image(image):
                var budget = configuration.maximumRequestPixelCount
                checkImage(image, configuration, budget: &budget)
            }
        }
    } catch {
        checkRefusal(error)
    }
    return 0
}

runFuzzer { data, size in fuzzServerRequest(data, size) }
