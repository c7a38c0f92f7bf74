import CImageCodecs
import Foundation

/// Decodes JPEG (baseline, progressive, grayscale, RGB, CMYK and YCCK) with libjpeg-turbo.
///
/// Uses Pillow's decoder settings (accurate integer IDCT, smooth chroma upsampling); grayscale is
/// replicated to RGB and CMYK/YCCK converted the way Pillow's `convert("RGB")` does it (Adobe
/// inverted CMYK, no colour management). The orientation comes from the first `Exif` APP1 segment.
/// Truncated data is an error (as in Pillow), not an image padded with gray.
public struct JPEGDecoder: ImageDecoder {
    /// Progressive files with more scans than this are rejected (normal files have about 10).
    public var maximumScanCount: Int

    /// A decoder with the given scan limit.
    public init(maximumScanCount: Int = 1000) {
        self.maximumScanCount = maximumScanCount
    }

    /// `"JPEG"`.
    public var formatName: String { "JPEG" }

    /// Whether the data starts with a JPEG SOI marker followed by another marker.
    public func recognizes(_ data: Data) -> Bool {
        data.count >= 3 && data.starts(with: [0xFF, 0xD8, 0xFF])
    }

    /// Decodes to RGB (`DecodedImage.layout == .rgb`) with the file's EXIF orientation.
    /// - Throws: `ImageProcessingError` (`truncatedImage`, `corruptImage`, `unsupportedImage`,
    ///   `imageTooLarge` from the header before any pixel memory is allocated, `outOfMemory`).
    public func decode(_ data: Data, options: DecodingOptions, source: String) throws -> DecodedImage {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws(ImageProcessingError) -> DecodedImage in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count > 0 else {
                throw .emptyInput(source: source)
            }
            var message = [CChar](repeating: 0, count: Int(SC_CODEC_MESSAGE_CAPACITY))
            var header = sc_jpeg_header()
            var decoder: OpaquePointer?
            let opened = sc_jpeg_open(
                base, raw.count, Int32(clamping: maximumScanCount), &decoder, &header, &message, message.count)
            guard opened == SC_CODEC_OK, let decoder else {
                throw codecError(opened, message: message, format: formatName, source: source)
            }
            defer { sc_jpeg_close(decoder) }

            let width = Int(header.width), height = Int(header.height)
            try options.validate(width: width, height: height, source: source)
            let orientation: ExifOrientation
            if let exif = header.exif, header.exif_length > 0 {
                orientation = ExifOrientation(exif: UnsafeBufferPointer(start: exif, count: header.exif_length))
            } else {
                orientation = .up
            }

            let count = try RGBImage.byteCount(width: width, height: height, channels: 3, source: source)
            var status = SC_CODEC_OK
            let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                status = sc_jpeg_decode_rgb(decoder, buffer.baseAddress, count, &message, message.count)
                initialized = count
            }
            guard status == SC_CODEC_OK else {
                throw codecError(status, message: message, format: formatName, source: source)
            }
            return try DecodedImage(width: width, height: height, layout: .rgb, pixels: pixels, orientation: orientation)
        }
    }
}

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
            let orientation: ExifOrientation
            if let exif = header.exif, header.exif_length > 0 {
                orientation = ExifOrientation(exif: UnsafeBufferPointer(start: exif, count: header.exif_length))
            } else {
                orientation = .up
            }
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

/// Maps a codec status and message to the module's error.
private func codecError(
    _ status: sc_codec_status, message: [CChar], format: String, source: String
) -> ImageProcessingError {
    let detail = message.withUnsafeBufferPointer { buffer -> String in
        guard let base = buffer.baseAddress else { return "" }
        return String(cString: base)
    }
    switch status {
    case SC_CODEC_TRUNCATED: return .truncatedImage(source: source, format: format, detail: detail)
    case SC_CODEC_OUT_OF_MEMORY: return .outOfMemory(source: source, format: format)
    case SC_CODEC_UNSUPPORTED, SC_CODEC_TOO_MANY_SCANS:
        return .unsupportedImage(source: source, format: format, detail: detail)
    default: return .corruptImage(source: source, format: format, detail: detail.isEmpty ? "undecodable data" : detail)
    }
}
