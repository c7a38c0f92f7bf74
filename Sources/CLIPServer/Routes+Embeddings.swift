#if Server
import CLIP
import CLIPSupport
import Foundation
import Hummingbird

/// `POST /v1/embeddings`, OpenAI's shape.
///
/// `input` is a string, or an array whose items are strings (texts), `{"type": "text", "text":
/// "..."}` or `{"type": "image", "image": "<base64 or data:image/...;base64,...>"}`. Each
/// embedding is the model's projected embedding **L2-normalized** (as OpenAI's are unit length):
/// `model.encode(texts:normalized: true)` / `encode(images:normalized: true)`. Texts and images
/// of one request go to the batcher as one text call and one image call, and come back in input
/// order. `usage.prompt_tokens` counts each text's ids as the model's tokenizer makes them
/// (start and end tokens included, SigLIP's padding too); images count 0.
extension Routes {
    func embeddings(_ request: Request) async throws -> Response {
        let served = try state.served()
        let dimension = served.model.architecture.embeddingDimension
        let parsed = try EmbeddingsRequest(body: try await body(of: request), configuration: configuration,
                                           embeddingDimension: dimension)
        let format = parsed.format
        let inputs = parsed.inputs
        let vectors = try await embed(inputs, with: served)
        var text = #"{"object":"list","data":["#
        text.reserveCapacity(vectors.rows * (format == .float ? dimension * 12 : dimension * 6) + 256)
        for row in 0..<vectors.rows {
            if row > 0 { text += "," }
            text += #"{"object":"embedding","index":\#(row),"embedding":"#
            try vectors.tensor.withUnsafeBufferPointer { (scalars) throws(APIError) in
                let values = UnsafeBufferPointer(rebasing: scalars[(row * dimension)..<((row + 1) * dimension)])
                if format == .base64 {
                    text += "\"" + Self.base64(values) + "\""
                } else {
                    try Self.appendFloats(values, to: &text)
                }
            }
            text += "}"
        }
        text += #"],"model":\#(configuration.modelName.jsonLiteral),"usage":{"prompt_tokens":\#(vectors.tokens),"total_tokens":\#(vectors.tokens)}}"#
        return Self.json(text)
    }

    /// The embeddings of `inputs` in order, `[inputs.count, dimension]`, and the texts' token count.
    func embed(_ inputs: [EmbeddingInput], with served: ServedModel) async throws(APIError) -> (tensor: Tensor, rows: Int, tokens: Int) {
        var tokenIDs: [[Int]] = [], textRows: [Int] = []
        var pictures: [RGBImage] = [], imageRows: [Int] = []
        for (row, input) in inputs.enumerated() {
            if Task.isCancelled { throw APIError.cancelled }
            switch input {
            case let .text(text):
                guard let tokenizer = served.model.tokenizer else {
                    throw APIError.invalid("the served model has no tokenizer, so it cannot embed texts", param: "input[\(row)]",
                                           code: "no_tokenizer")
                }
                tokenIDs.append(tokenizer.tokenize(text))
                textRows.append(row)
            case let .image(image):
                pictures.append(image)
                imageRows.append(row)
            }
        }
        let batcher = served.batcher
        let ids = tokenIDs, decoded = pictures
        let (texts, images) = try await ModelCallError.run(param: "input") {
            async let texts = ids.isEmpty ? nil : batcher.embed(tokenIDs: ids, normalized: true)
            async let images = decoded.isEmpty ? nil : batcher.embed(images: decoded, normalized: true)
            return try await (texts, images)
        }
        let tokens = tokenIDs.reduce(0) { $0 + $1.count }
        let dimension = served.model.architecture.embeddingDimension
        // The batcher answers one row per input; anything else is a fault, never an index out of range.
        guard texts.map({ $0.shape == [textRows.count, dimension] }) ?? textRows.isEmpty,
              images.map({ $0.shape == [imageRows.count, dimension] }) ?? imageRows.isEmpty
        else {
            throw APIError(status: .internalServerError, message: "the batcher returned embeddings of an unexpected shape",
                           code: "internal_error")
        }
        if imageRows.isEmpty, let texts { return (texts, inputs.count, tokens) }
        if textRows.isEmpty, let images { return (images, inputs.count, tokens) }
        var scalars = [Float](repeating: 0, count: inputs.count * dimension)
        for (part, rows) in [(texts, textRows), (images, imageRows)] {
            guard let part else { continue }
            part.withUnsafeBufferPointer { source in
                for (index, row) in rows.enumerated() {
                    for column in 0..<dimension { scalars[row * dimension + column] = source[index * dimension + column] }
                }
            }
        }
        do {
            return (try Tensor(shape: [inputs.count, dimension], scalars: scalars), inputs.count, tokens)
        } catch {
            throw APIError(status: .internalServerError, message: "\(error)", code: "internal_error")
        }
    }

    /// Appends `[v0,v1,...]`, each the shortest text that reads back as the same Float32.
    static func appendFloats(_ values: UnsafeBufferPointer<Float>, to text: inout String) throws(APIError) {
        text += "["
        for (index, value) in values.enumerated() {
            guard value.isFinite else {
                throw APIError(status: .internalServerError, message: "the model produced a non-finite embedding value",
                               code: "internal_error")
            }
            if index > 0 { text += "," }
            text += value.description
        }
        text += "]"
    }

    /// The values as little-endian Float32 bytes, base64-encoded (OpenAI's `encoding_format: "base64"`).
    static func base64(_ values: UnsafeBufferPointer<Float>) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for value in values {
            let bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }
}
#endif
