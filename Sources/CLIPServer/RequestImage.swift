#if Server
import CLIP
import CLIPSupport
import Foundation

/// Turns a request's image field (base64, or a `data:image/...;base64,` URL) into an RGB image,
/// with the server's pixel limit; every failure is an ``APIError`` naming the field.
struct RequestImageDecoder: Sendable {
    let maximumPixelCount: Int

    init(maximumPixelCount: Int) {
        self.maximumPixelCount = maximumPixelCount
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

    /// Decodes the image in `text`; `budget` (the pixels the request's images may still use)
    /// shrinks by its pixels. The size is checked from the header, before pixels are allocated.
    /// - Throws: 400 `invalid_base64` / `invalid_image`, 413 `image_too_large` (over the
    ///   per-image limit) or `request_pixels_too_large` (over what the request has left).
    func image(from text: String, param: String, budget: inout Int) throws(APIError) -> RGBImage {
        let data = try Self.bytes(of: text, param: param)
        let limit = min(maximumPixelCount, max(0, budget))
        let loader = ImageLoader(options: DecodingOptions(maximumPixelCount: limit))
        do {
            let image = try loader.image(from: data, source: param)
            budget -= image.width * image.height
            return image
        } catch let ImageProcessingError.imageTooLarge(_, width, height, _) {
            let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
            if limit < maximumPixelCount, !overflow, pixels <= maximumPixelCount {
                throw APIError.tooLarge("\(param): with this image of \(width)×\(height) pixels the request's images exceed their limit together",
                                        param: param, code: "request_pixels_too_large")
            }
            throw APIError.tooLarge("\(param): the image has \(width)×\(height) pixels, more than the limit of \(maximumPixelCount)",
                                    param: param, code: "image_too_large")
        } catch let ImageProcessingError.imageSideTooLong(_, width, height, limit) {
            throw APIError.tooLarge("\(param): the image of \(width)×\(height) pixels has a side longer than the limit of \(limit)",
                                    param: param, code: "image_too_large")
        } catch {
            throw APIError.invalid("\(param) could not be decoded as a JPEG or PNG image: \(error)", param: param,
                                   code: "invalid_image")
        }
    }
}
#endif
