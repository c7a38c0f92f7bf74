import CImageCodecs
import Foundation

/// Decodes PNG (1–16-bit gray, gray+alpha, RGB, RGBA, palette with or without transparency,
/// interlaced) with libpng.
///
/// Palette images are expanded and gray replicated, as Pillow's `convert("RGB")` does; 16-bit
/// samples are scaled to 8 bits with rounding (value / 257) instead of Pillow's truncation or
/// clipping, keeping what a person sees. Alpha (or a `tRNS` transparent colour) is kept only when
/// `DecodingOptions.alpha` composites it. Gamma and colour profiles are ignored, as in Pillow.
/// An `eXIf` chunk before the image data supplies the orientation.
public struct PNGDecoder: ImageDecoder {
    /// A PNG decoder.
    public init() {}

    /// `"PNG"`.
    public var formatName: String { "PNG" }

    /// Whether the data starts with the 8-byte PNG signature.
    public func recognizes(_ data: Data) -> Bool {
        data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    /// Decodes to RGB, or RGBA when `options.alpha` composites transparency, with the orientation
    /// of an `eXIf` chunk.
    /// - Throws: `ImageProcessingError` (`truncatedImage`, `corruptImage`, `unsupportedImage`,
    ///   `imageTooLarge` from the header before any pixel memory is allocated, `outOfMemory`).
    public func decode(_ data: Data, options: DecodingOptions, source: String) throws -> DecodedImage {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws(ImageProcessingError) -> DecodedImage in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count > 0 else {
                throw .emptyInput(source: source)
            }
            var message = [CChar](repeating: 0, count: Int(SC_CODEC_MESSAGE_CAPACITY))
            var header = sc_png_header()
            var decoder: OpaquePointer?
            let keepAlpha: Int32 = options.alpha == .compositeOverWhite ? 1 : 0
            let opened = sc_png_open(base, raw.count, keepAlpha, &decoder, &header, &message, message.count)
            guard opened == SC_CODEC_OK, let decoder else {
                throw codecError(opened, message: message, format: formatName, source: source)
            }
            defer { sc_png_close(decoder) }

            let width = Int(header.width), height = Int(header.height)
            try options.validate(width: width, height: height, source: source)
            let orientation = ExifOrientation(exif: header.exif, length: header.exif_length)
            let layout: PixelLayout = header.output_channels == 4 ? .rgba : .rgb
            let count = try RGBImage.byteCount(width: width, height: height, channels: layout.channelCount, source: source)
            var status = SC_CODEC_OK
            let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                status = sc_png_decode(decoder, buffer.baseAddress, count, &message, message.count)
                initialized = count
            }
            guard status == SC_CODEC_OK else {
                throw codecError(status, message: message, format: formatName, source: source)
            }
            return try DecodedImage(width: width, height: height, layout: layout, pixels: pixels, orientation: orientation)
        }
    }
}
