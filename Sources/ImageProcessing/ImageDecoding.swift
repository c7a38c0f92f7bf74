import Foundation

/// Limits and policies for turning encoded bytes into an upright RGB image.
public struct DecodingOptions: Sendable, Equatable {
    /// The default pixel limit: 100 megapixels (Pillow warns at about 89 MP and refuses at 179 MP).
    public static let defaultMaximumPixelCount = 100_000_000

    /// Images whose header announces more than this many pixels (width × height) are rejected
    /// with `ImageProcessingError.imageTooLarge` before any pixel memory is allocated, so a
    /// small file claiming a huge size (a decompression bomb) costs nothing.
    public var maximumPixelCount: Int
    /// The default side limit: 65,535 pixels (JPEG's own; PNG allows 2^31 − 1).
    public static let defaultMaximumSideLength = 65_535
    /// Images wider or taller than this are rejected with `ImageProcessingError.imageSideTooLong`
    /// before any memory is allocated: resizing keeps a table of filter weights per input pixel
    /// along each side (about 32 bytes for bicubic), so a 100,000,000 × 1 image, within the pixel
    /// limit, would need gigabytes for it.
    public var maximumSideLength: Int
    /// Whether to apply the EXIF orientation so the image is upright as a viewer shows it
    /// (the Python reference pipelines do not; see `ExifOrientation`).
    public var appliesOrientation: Bool
    /// How transparent images become RGB.
    public var alpha: AlphaHandling

    /// Options with the given limits and policies (defaults: 100 MP, 65,535 pixels a side,
    /// orientation applied, alpha discarded).
    public init(
        maximumPixelCount: Int = DecodingOptions.defaultMaximumPixelCount,
        maximumSideLength: Int = DecodingOptions.defaultMaximumSideLength,
        appliesOrientation: Bool = true,
        alpha: AlphaHandling = .discard
    ) {
        self.maximumPixelCount = maximumPixelCount
        self.maximumSideLength = maximumSideLength
        self.appliesOrientation = appliesOrientation
        self.alpha = alpha
    }

    /// Throws `.imageTooLarge`, `.imageSideTooLong` or `.invalidDimensions` for a header size this
    /// policy refuses.
    public func validate(width: Int, height: Int, source: String) throws(ImageProcessingError) {
        guard width > 0, height > 0 else { throw .invalidDimensions(source: source, width: width, height: height) }
        guard width <= maximumSideLength, height <= maximumSideLength else {
            throw .imageSideTooLong(source: source, width: width, height: height, limit: maximumSideLength)
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= maximumPixelCount else {
            throw .imageTooLarge(source: source, width: width, height: height, limit: maximumPixelCount)
        }
    }
}

/// Pixels as a decoder delivers them, before alpha removal and orientation.
public struct DecodedImage: Sendable, Equatable {
    /// Width of the stored pixels.
    public let width: Int
    /// Height of the stored pixels.
    public let height: Int
    /// Channel layout of `pixels`.
    public let layout: PixelLayout
    /// `width * height * layout.channelCount` bytes, row-major, interleaved, 8 bits per sample.
    public let pixels: [UInt8]
    /// The EXIF orientation found in the file (`.up` when there is none).
    public let orientation: ExifOrientation

    /// Validates that `pixels` has `width * height * layout.channelCount` bytes.
    /// - Throws: `.invalidDimensions` or `.pixelBufferSizeMismatch`.
    public init(
        width: Int, height: Int, layout: PixelLayout, pixels: [UInt8], orientation: ExifOrientation = .up
    ) throws(ImageProcessingError) {
        let expected = try RGBImage.byteCount(
            width: width, height: height, channels: layout.channelCount, source: "<decoded>")
        guard pixels.count == expected else {
            throw .pixelBufferSizeMismatch(
                width: width, height: height, layout: layout, expected: expected, actual: pixels.count)
        }
        self.width = width
        self.height = height
        self.layout = layout
        self.pixels = pixels
        self.orientation = orientation
    }

    /// Converts to RGB (per `alpha`) and, when `applyingOrientation`, makes the image upright.
    public func rgbImage(alpha: AlphaHandling = .discard, applyingOrientation: Bool = true) -> RGBImage {
        let rgb = RGBImage(
            unchecked: width, height,
            RGBImage.convert(pixels, layout: layout, alpha: alpha, pixelCount: width * height))
        return applyingOrientation ? orientation.applied(to: rgb) : rgb
    }
}

/// A decoder for one image format. Conform to add formats (WebP, HEIC, ...) to an `ImageLoader`.
///
/// A decoder must check the size announced by the header with `options.validate(width:height:source:)`
/// before allocating pixel memory, and must throw (never crash) on any input.
public protocol ImageDecoder: Sendable {
    /// A short name for messages, e.g. `"JPEG"`.
    var formatName: String { get }
    /// Whether the data starts with this format's signature (a cheap test of the first bytes).
    func recognizes(_ data: Data) -> Bool
    /// Decodes the whole image. `source` names the input in errors.
    func decode(_ data: Data, options: DecodingOptions, source: String) throws -> DecodedImage
}

/// Reads image files or bytes into upright `RGBImage`s with a list of decoders (JPEG and PNG by
/// default; the first decoder that recognizes the data is used) and the given options.
public struct ImageLoader: Sendable {
    /// The decoders tried in order.
    public var decoders: [any ImageDecoder]
    /// Limits and policies applied to every image.
    public var options: DecodingOptions

    /// The built-in decoders: `JPEGDecoder` (libjpeg-turbo) and `PNGDecoder` (libpng).
    public static var standardDecoders: [any ImageDecoder] { [JPEGDecoder(), PNGDecoder()] }

    /// A loader with the given decoders and options.
    public init(decoders: [any ImageDecoder] = ImageLoader.standardDecoders, options: DecodingOptions = DecodingOptions()) {
        self.decoders = decoders
        self.options = options
    }

    /// Decodes encoded image bytes.
    /// - Parameters:
    ///   - data: the encoded bytes (JPEG or PNG, or a format a custom decoder reads).
    ///   - source: names the input in errors (a path, a URL, ...).
    /// - Throws: `ImageProcessingError` (empty, unrecognized, corrupt, truncated, too large, ...)
    ///   or whatever a custom decoder throws.
    public func image(from data: Data, source: String = "<memory>") throws -> RGBImage {
        try decodedImage(from: data, source: source)
            .rgbImage(alpha: options.alpha, applyingOrientation: options.appliesOrientation)
    }

    /// Decodes encoded image bytes without converting them (the decoder's own layout and orientation).
    public func decodedImage(from data: Data, source: String = "<memory>") throws -> DecodedImage {
        guard !data.isEmpty else { throw ImageProcessingError.emptyInput(source: source) }
        guard let decoder = decoders.first(where: { $0.recognizes(data) }) else {
            let signature = data.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw ImageProcessingError.unrecognizedFormat(source: source, signature: signature)
        }
        let decoded = try decoder.decode(data, options: options, source: source)
        // Custom decoders are held to the same limit.
        try options.validate(width: decoded.width, height: decoded.height, source: source)
        return decoded
    }

    /// Reads and decodes an image file.
    /// - Throws: `ImageProcessingError.fileUnreadable` when the file cannot be read, then as
    ///   `image(from:source:)`.
    public func image(contentsOf url: URL) throws -> RGBImage {
        try image(from: ImageLoader.readFile(url), source: url.path)
    }

    static func readFile(_ url: URL) throws(ImageProcessingError) -> Data {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileUnreadable(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .fileUnreadable(path: path, reason: "is a directory") }
        do {
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw .fileUnreadable(path: path, reason: "\(error.localizedDescription)")
        }
    }
}
