/// The channel layout of 8-bit interleaved pixels, as raw buffers and decoders deliver them.
public enum PixelLayout: Sendable, Equatable, CustomStringConvertible {
    /// One gray sample per pixel.
    case gray
    /// Gray then alpha.
    case grayAlpha
    /// Red, green, blue.
    case rgb
    /// Red, green, blue, alpha (straight, not premultiplied).
    case rgba

    /// Samples per pixel.
    public var channelCount: Int {
        switch self {
        case .gray: return 1
        case .grayAlpha: return 2
        case .rgb: return 3
        case .rgba: return 4
        }
    }

    /// Whether the last channel is alpha.
    public var hasAlpha: Bool { self == .grayAlpha || self == .rgba }

    /// The layout's short name, e.g. `rgba8`.
    public var description: String {
        switch self {
        case .gray: return "gray8"
        case .grayAlpha: return "grayAlpha8"
        case .rgb: return "rgb8"
        case .rgba: return "rgba8"
        }
    }
}

/// How transparency is removed when an image becomes RGB.
public enum AlphaHandling: Sendable, Equatable {
    /// Drop the alpha channel and keep the colour stored under it. This is Pillow's
    /// `convert("RGB")`, what OpenCLIP and transformers 4.x feed the model. The default.
    case discard
    /// Composite over opaque white with Pillow's `alpha_composite` arithmetic, as transformers 5's
    /// `convert_to_rgb` does for images with an alpha channel or a transparent colour.
    case compositeOverWhite
}

/// An upright 8-bit RGB image: `height` rows of `width` pixels, each pixel three bytes
/// (red, green, blue), rows packed top to bottom. This is what the preprocessing pipeline
/// resizes, crops and normalizes.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels (at least 1).
    public let width: Int
    /// Height in pixels (at least 1).
    public let height: Int
    /// `width * height * 3` bytes, row-major, interleaved RGB.
    public let pixels: [UInt8]

    /// Wraps interleaved RGB bytes without copying them.
    /// - Throws: `ImageProcessingError.invalidDimensions` for a non-positive size,
    ///   `.pixelBufferSizeMismatch` when `pixels.count != width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) throws(ImageProcessingError) {
        let expected = try RGBImage.byteCount(width: width, height: height, channels: 3, source: "<memory>")
        guard pixels.count == expected else {
            throw .pixelBufferSizeMismatch(
                width: width, height: height, layout: .rgb, expected: expected, actual: pixels.count)
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Converts a raw 8-bit buffer (for example pixels from another image library) to RGB:
    /// gray is replicated to the three channels, alpha is handled per `alpha`.
    /// - Parameters:
    ///   - width: pixels per row, at least 1.
    ///   - height: rows, at least 1.
    ///   - pixels: `width * height * layout.channelCount` bytes, row-major, interleaved.
    ///   - layout: the channels of each pixel in `pixels`.
    ///   - alpha: what to do with an alpha channel; dropped by default.
    /// - Throws: `.invalidDimensions` or `.pixelBufferSizeMismatch`.
    public init(
        width: Int, height: Int, pixels: some Collection<UInt8>, layout: PixelLayout,
        alpha: AlphaHandling = .discard
    ) throws(ImageProcessingError) {
        let expected = try RGBImage.byteCount(
            width: width, height: height, channels: layout.channelCount, source: "<memory>")
        guard pixels.count == expected else {
            throw .pixelBufferSizeMismatch(
                width: width, height: height, layout: layout, expected: expected, actual: pixels.count)
        }
        let source = Array(pixels)
        self.init(unchecked: width, height, RGBImage.convert(source, layout: layout, alpha: alpha, pixelCount: width * height))
    }

    /// Trusted initializer for pixels produced inside the module.
    init(unchecked width: Int, _ height: Int, _ pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The (red, green, blue) value at column `x`, row `y`, or `nil` outside the image.
    public func pixel(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8)? {
        guard x >= 0, x < width, y >= 0, y < height else { return nil }
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// `width * height * channels`, checking for non-positive sizes and overflow.
    static func byteCount(width: Int, height: Int, channels: Int, source: String) throws(ImageProcessingError) -> Int {
        guard width > 0, height > 0 else { throw .invalidDimensions(source: source, width: width, height: height) }
        let (area, o1) = width.multipliedReportingOverflow(by: height)
        let (bytes, o2) = area.multipliedReportingOverflow(by: channels)
        guard !o1, !o2 else { throw .invalidDimensions(source: source, width: width, height: height) }
        return bytes
    }

    /// Converts `pixelCount` pixels of `layout` to packed RGB.
    static func convert(_ source: [UInt8], layout: PixelLayout, alpha: AlphaHandling, pixelCount: Int) -> [UInt8] {
        if layout == .rgb { return source }
        return [UInt8](unsafeUninitializedCapacity: pixelCount * 3) { out, initialized in
            source.withUnsafeBufferPointer { src in
                switch layout {
                case .rgb:
                    break
                case .gray:
                    for i in 0..<pixelCount {
                        let v = src[i]
                        out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
                    }
                case .grayAlpha:
                    for i in 0..<pixelCount {
                        var v = src[2 * i]
                        if alpha == .compositeOverWhite { v = compositeOverWhite(v, alpha: src[2 * i + 1]) }
                        out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
                    }
                case .rgba:
                    if alpha == .compositeOverWhite {
                        for i in 0..<pixelCount {
                            let a = src[4 * i + 3]
                            out[3 * i] = compositeOverWhite(src[4 * i], alpha: a)
                            out[3 * i + 1] = compositeOverWhite(src[4 * i + 1], alpha: a)
                            out[3 * i + 2] = compositeOverWhite(src[4 * i + 2], alpha: a)
                        }
                    } else {
                        for i in 0..<pixelCount {
                            out[3 * i] = src[4 * i]
                            out[3 * i + 1] = src[4 * i + 1]
                            out[3 * i + 2] = src[4 * i + 2]
                        }
                    }
                }
            }
            initialized = pixelCount * 3
        }
    }

    /// One channel of `value` with straight alpha `alpha` composited over opaque white, with the
    /// integer arithmetic of Pillow's `ImagingAlphaComposite` (7 extra bits, rounded division by
    /// 255) specialised to an opaque white destination.
    @inline(__always)
    static func compositeOverWhite(_ value: UInt8, alpha: UInt8) -> UInt8 {
        if alpha == 0 { return 255 }
        // Destination alpha is 255, so outa255 = 255 * 255, coef1 = alpha * 128,
        // coef2 = (255 - alpha) * 128.
        let a = UInt32(alpha)
        let mixed = UInt32(value) * (a << 7) + 255 * ((255 - a) << 7) + (0x80 << 7)
        return UInt8(truncatingIfNeeded: (((mixed >> 8) + mixed) >> 8) >> 7)
    }
}
