/// The EXIF orientation tag (0x0112): how the stored pixels must be transformed to appear
/// upright, as an image viewer shows them. Raw values 1–8; anything else means `.up`.
///
/// Transformers' and OpenCLIP's reference pipelines ignore this tag (they preprocess the stored
/// pixels); this module applies it by default (`DecodingOptions.appliesOrientation`), so a photo
/// taken with a rotated phone is seen the right way up.
public enum ExifOrientation: Int, Sendable, Equatable, CaseIterable {
    /// 1: stored upright.
    case up = 1
    /// 2: mirrored left–right.
    case upMirrored = 2
    /// 3: rotated 180°.
    case down = 3
    /// 4: mirrored top–bottom.
    case downMirrored = 4
    /// 5: mirrored along the main diagonal (transpose).
    case leftMirrored = 5
    /// 6: needs a 90° clockwise rotation to be upright.
    case right = 6
    /// 7: mirrored along the anti-diagonal (transverse).
    case rightMirrored = 7
    /// 8: needs a 90° counter-clockwise rotation to be upright.
    case left = 8

    /// Whether making the image upright swaps width and height.
    public var swapsDimensions: Bool { rawValue >= 5 }

    /// The orientation recorded in an EXIF block (a TIFF structure: byte-order mark, IFD0, ...),
    /// as found after the `Exif\0\0` prefix of a JPEG APP1 segment or in a PNG `eXIf` chunk.
    /// Malformed or missing data gives `.up`; reading never goes outside `tiff`.
    public init(exif tiff: some Collection<UInt8>) {
        self = ExifOrientation.parse(Array(tiff)) ?? .up
    }

    private static func parse(_ bytes: [UInt8]) -> ExifOrientation? {
        guard bytes.count >= 8 else { return nil }
        let littleEndian: Bool
        switch (bytes[0], bytes[1]) {
        case (0x49, 0x49): littleEndian = true    // "II"
        case (0x4D, 0x4D): littleEndian = false   // "MM"
        default: return nil
        }
        func u16(_ offset: Int) -> Int? {
            guard offset >= 0, offset + 2 <= bytes.count else { return nil }
            let a = Int(bytes[offset]), b = Int(bytes[offset + 1])
            return littleEndian ? a | b << 8 : a << 8 | b
        }
        func u32(_ offset: Int) -> Int? {
            guard let lo = u16(littleEndian ? offset : offset + 2),
                  let hi = u16(littleEndian ? offset + 2 : offset) else { return nil }
            return hi << 16 | lo
        }
        guard u16(2) == 42, let ifd = u32(4), let entries = u16(ifd) else { return nil }
        for index in 0..<entries {
            let entry = ifd + 2 + index * 12
            guard let tag = u16(entry), let type = u16(entry + 2), let count = u32(entry + 4) else { return nil }
            guard tag == 0x0112 else { continue }
            guard count >= 1 else { return nil }
            let value: Int?
            switch type {
            case 3: value = u16(entry + 8)                                              // SHORT
            case 4: value = u32(entry + 8)                                              // LONG
            case 1: value = entry + 8 < bytes.count ? Int(bytes[entry + 8]) : nil       // BYTE
            default: value = nil
            }
            return value.flatMap(ExifOrientation.init(rawValue:))
        }
        return nil
    }

    /// The upright version of `image` (a copy transformed like Pillow's `ImageOps.exif_transpose`:
    /// 2 flip left–right, 3 rotate 180°, 4 flip top–bottom, 5 transpose, 6 rotate 90° clockwise,
    /// 7 transverse, 8 rotate 90° counter-clockwise).
    public func applied(to image: RGBImage) -> RGBImage {
        if self == .up { return image }
        let w = image.width, h = image.height
        let outWidth = swapsDimensions ? h : w
        let outHeight = swapsDimensions ? w : h
        // For output pixel (x, y): source = origin + x * dx + y * dy (in pixels of the source).
        let origin: Int, dx: Int, dy: Int
        switch self {
        case .up: (origin, dx, dy) = (0, 1, w)
        case .upMirrored: (origin, dx, dy) = (w - 1, -1, w)
        case .down: (origin, dx, dy) = ((h - 1) * w + w - 1, -1, -w)
        case .downMirrored: (origin, dx, dy) = ((h - 1) * w, 1, -w)
        case .leftMirrored: (origin, dx, dy) = (0, w, 1)                       // out(x,y) = in(y, x)
        case .right: (origin, dx, dy) = ((h - 1) * w, -w, 1)                  // out(x,y) = in(y, h-1-x)
        case .rightMirrored: (origin, dx, dy) = ((h - 1) * w + w - 1, -w, -1) // out(x,y) = in(w-1-y, h-1-x)
        case .left: (origin, dx, dy) = (w - 1, w, -1)                        // out(x,y) = in(w-1-y, x)
        }
        let count = outWidth * outHeight
        let pixels = [UInt8](unsafeUninitializedCapacity: count * 3) { out, initialized in
            image.pixels.withUnsafeBufferPointer { src in
                var o = 0
                for y in 0..<outHeight {
                    var s = origin + y * dy
                    for _ in 0..<outWidth {
                        out[o] = src[3 * s]
                        out[o + 1] = src[3 * s + 1]
                        out[o + 2] = src[3 * s + 2]
                        o += 3
                        s += dx
                    }
                }
            }
            initialized = count * 3
        }
        return RGBImage(unchecked: outWidth, outHeight, pixels)
    }
}
