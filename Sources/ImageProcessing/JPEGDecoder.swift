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
            let orientation = ExifOrientation(exif: header.exif, length: header.exif_length)

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
