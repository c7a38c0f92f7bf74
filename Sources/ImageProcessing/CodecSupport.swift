import CImageCodecs

// What the JPEG and PNG decoders (JPEGDecoder.swift, PNGDecoder.swift) share over the C codec layer.

extension ExifOrientation {
    /// The orientation of an EXIF block the C layer found (`.up` when there is none).
    init(exif: UnsafePointer<UInt8>?, length: Int) {
        guard let exif, length > 0 else {
            self = .up
            return
        }
        self.init(exif: UnsafeBufferPointer(start: exif, count: length))
    }
}

/// Maps a codec status and message to the module's error.
func codecError(
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
