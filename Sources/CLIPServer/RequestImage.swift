#if Server
import CLIP
import CLIPSupport
import Foundation

/// Turns a request's image field (base64, or a `data:image/...;base64,` URL) into an RGB image,
/// with the server's pixel limit; every failure is an ``APIError`` naming the field.
struct RequestImageDecoder: Sendable {
    let loader: ImageLoader

    init(maximumPixelCount: Int) {
        loader = ImageLoader(options: DecodingOptions(maximumPixelCount: maximumPixelCount))
    }

    /// The encoded bytes of `text`: plain base64 or a data URL whose media type is `image/...`.
    static func bytes(of text: String, param: String) throws(APIError) -> Data {
        var payload = Substring(text)
        if payload.hasPrefix("data:") {
            guard let comma = payload.firstIndex(of: ",") else {
                throw APIError.invalid("\(param): a data URL needs a comma before its data", param: param, code: "invalid_image")
            }
            let header = payload[payload.index(payload.startIndex, offsetBy: 5)..<comma].lowercased()
            guard header.hasPrefix("image/") else {
                throw APIError.invalid("\(param): the data URL's media type must be image/..., got \(String(header.prefix(40)).quotedForMessage)",
                                       param: param, code: "invalid_image")
            }
            guard header.hasSuffix(";base64") else {
                throw APIError.invalid("\(param): the data URL must be base64-encoded (…;base64,)", param: param, code: "invalid_base64")
            }
            payload = payload[payload.index(after: comma)...]
        }
        guard !payload.isEmpty else { throw APIError.invalid("\(param) is empty", param: param, code: "invalid_image") }
        // Foundation reads padded, unwrapped base64 only; line breaks are allowed (MIME-style).
        let compact = payload.contains(where: \.isNewline) ? String(payload.filter { !$0.isNewline }) : String(payload)
        guard let data = Data(base64Encoded: compact) else {
            throw APIError.invalid("\(param) is not valid base64", param: param, code: "invalid_base64")
        }
        return data
    }

    /// Decodes the image in `text`.
    /// - Throws: 400 `invalid_base64` / `invalid_image`, 413 `image_too_large` (over the pixel limit).
    func image(from text: String, param: String) throws(APIError) -> RGBImage {
        let data = try Self.bytes(of: text, param: param)
        do {
            return try loader.image(from: data, source: param)
        } catch let ImageProcessingError.imageTooLarge(_, width, height, limit) {
            throw APIError.tooLarge("\(param): the image has \(width)×\(height) pixels, more than the limit of \(limit)",
                                    param: param, code: "image_too_large")
        } catch {
            throw APIError.invalid("\(param) could not be decoded as a JPEG or PNG image: \(error)", param: param,
                                   code: "invalid_image")
        }
    }
}
#endif
