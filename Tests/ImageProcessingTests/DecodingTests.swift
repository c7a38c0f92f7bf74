import Foundation
import Testing
@testable import ImageProcessing

/// Decoded pixels against Pillow's `convert("RGB")` (and transformers 5's composite over white),
/// for PNG bit depths, colour types, transparency and interlacing, and JPEG subsampling modes.
@Suite struct DecodingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let image, reference: String
        let composite: String?
        let width, height: Int
        var testDescription: String { image }
    }

    static func cases() throws -> [Case] {
        let entries = try #require(try Fixtures.manifest["decodes"] as? [[String: Any]])
        return try entries.map { e in
            Case(image: try #require(e["image"] as? String), reference: try #require(e["reference"] as? String),
                 composite: e["reference_composite"] as? String,
                 width: try #require(e["width"] as? Int), height: try #require(e["height"] as? Int))
        }
    }

    @Test(arguments: try DecodingTests.cases())
    func decodesLikePillow(_ c: Case) throws {
        let image = try ImageLoader().image(contentsOf: Fixtures.image(c.image))
        #expect(image.width == c.width && image.height == c.height)
        let stats = DifferenceStatistics(bytes: image.pixels, try Fixtures.reference(c.reference))
        print("decode \(c.image): \(stats)")
        #expect(image.pixels == (try Fixtures.reference(c.reference)), "\(stats)")
        if let composite = c.composite {
            let loader = ImageLoader(options: DecodingOptions(alpha: .compositeOverWhite))
            let blended = try loader.image(contentsOf: Fixtures.image(c.image))
            #expect(blended.pixels == (try Fixtures.reference(composite)))
        }
    }

    @Test func sixteenBitSamplesAreRoundedNotTruncated() throws {
        // gray16_ramp_256x256.png holds every 16-bit value once: v = x * 256 + y.
        let image = try ImageLoader().image(contentsOf: Fixtures.image("gray16_ramp_256x256.png"))
        #expect(image.width == 256 && image.height == 256)
        var mismatches = 0
        for y in 0..<256 {
            for x in 0..<256 {
                let v = x * 256 + y
                let expected = UInt8((v + 128) / 257)  // round(v / 257); never a tie since 257 is odd
                let pixel = try #require(image.pixel(x: x, y: y))
                if pixel.red != expected || pixel.green != expected || pixel.blue != expected { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }

    @Test(arguments: [("exif3_160x120.jpg", ExifOrientation.down), ("exif6_160x120.jpg", .right),
                      ("exif8_160x120.jpg", .left), ("landscape_640x480.jpg", .up), ("png_exif6.png", .right)])
    func readsTheOrientation(_ file: String, _ orientation: ExifOrientation) throws {
        let loader = ImageLoader()
        let decoded = try loader.decodedImage(from: Fixtures.data(file))
        #expect(decoded.orientation == orientation)
        let upright = try loader.image(from: Fixtures.data(file))
        let stored = try ImageLoader(options: DecodingOptions(appliesOrientation: false)).image(from: Fixtures.data(file))
        #expect(stored.width == decoded.width && stored.height == decoded.height)
        if orientation.swapsDimensions {
            #expect(upright.width == decoded.height && upright.height == decoded.width)
        } else {
            #expect(upright.width == decoded.width && upright.height == decoded.height)
        }
        #expect(upright == orientation.applied(to: stored))
    }

    @Test func rawRGBAndRGBABuffersMatchTheDecodedFile() throws {
        let rgbaFile = try ImageLoader().decodedImage(from: Fixtures.data("rgba_150x110.png"))
        // Discarding alpha is the default: the decoder already dropped it.
        #expect(rgbaFile.layout == .rgb)
        let withAlpha = try ImageLoader(options: DecodingOptions(alpha: .compositeOverWhite))
            .decodedImage(from: Fixtures.data("rgba_150x110.png"))
        #expect(withAlpha.layout == .rgba)
        let fromRaw = try RGBImage(width: 150, height: 110, pixels: withAlpha.pixels, layout: .rgba)
        #expect(fromRaw.pixels == rgbaFile.pixels)
        let composited = try RGBImage(width: 150, height: 110, pixels: withAlpha.pixels, layout: .rgba,
                                      alpha: .compositeOverWhite)
        #expect(composited == withAlpha.rgbImage(alpha: .compositeOverWhite))

        let rgb = try RGBImage(width: 150, height: 110, pixels: rgbaFile.pixels, layout: .rgb)
        #expect(rgb.pixels == rgbaFile.pixels)
        let gray = try RGBImage(width: 2, height: 1, pixels: [7, 200], layout: .gray)
        #expect(gray.pixels == [7, 7, 7, 200, 200, 200])
        let grayAlpha = try RGBImage(width: 2, height: 1, pixels: [7, 0, 200, 255], layout: .grayAlpha,
                                     alpha: .compositeOverWhite)
        #expect(grayAlpha.pixels == [255, 255, 255, 200, 200, 200])
    }

    @Test func rawBuffersOfTheWrongSizeAreRejected() {
        #expect(throws: ImageProcessingError.pixelBufferSizeMismatch(width: 2, height: 2, layout: .rgba, expected: 16, actual: 15)) {
            try RGBImage(width: 2, height: 2, pixels: [UInt8](repeating: 0, count: 15), layout: .rgba)
        }
        #expect(throws: ImageProcessingError.invalidDimensions(source: "<memory>", width: 0, height: 3)) {
            try RGBImage(width: 0, height: 3, pixels: [UInt8]())
        }
        #expect(throws: ImageProcessingError.self) {
            try RGBImage(width: Int.max / 2, height: 3, pixels: [UInt8](), layout: .rgb)
        }
    }

    @Test func compositeOverWhiteMatchesPillowArithmetic() {
        // Pillow alpha_composite(white, (v, a)) for a few hand-checked values.
        #expect(RGBImage.compositeOverWhite(0, alpha: 0) == 255)
        #expect(RGBImage.compositeOverWhite(0, alpha: 255) == 0)
        #expect(RGBImage.compositeOverWhite(100, alpha: 255) == 100)
        #expect(RGBImage.compositeOverWhite(0, alpha: 128) == 127)
        #expect(RGBImage.compositeOverWhite(200, alpha: 1) == 255)
    }
}

/// A toy decoder for binary PPM (P6, maxval 255) to show and test the plug-in protocol.
struct PPMDecoder: ImageDecoder {
    var formatName: String { "PPM" }

    func recognizes(_ data: Data) -> Bool { data.starts(with: Array("P6".utf8)) }

    func decode(_ data: Data, options: DecodingOptions, source: String) throws -> DecodedImage {
        let bytes = [UInt8](data)
        var fields: [Int] = []
        var index = 2
        while fields.count < 3 {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A { index += 1 }
            var value = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39, digits < 9 {
                value = value * 10 + Int(bytes[index] - 0x30)
                index += 1
                digits += 1
            }
            guard digits > 0 else { throw ImageProcessingError.corruptImage(source: source, format: formatName, detail: "bad header") }
            fields.append(value)
        }
        index += 1
        try options.validate(width: fields[0], height: fields[1], source: source)
        let count = fields[0] * fields[1] * 3
        guard fields[2] == 255, bytes.count - index >= count else {
            throw ImageProcessingError.truncatedImage(source: source, format: formatName, detail: "short pixel data")
        }
        return try DecodedImage(width: fields[0], height: fields[1], layout: .rgb, pixels: Array(bytes[index..<(index + count)]))
    }
}

@Suite struct PluggableDecoderTests {
    static func ppm(width: Int, height: Int, pixels: [UInt8]) -> Data {
        Data(Array("P6\n\(width) \(height)\n255\n".utf8) + pixels)
    }

    @Test func customDecoderIsUsedForItsFormat() throws {
        let pixels: [UInt8] = (0..<(4 * 3 * 3)).map { UInt8($0 * 7 % 256) }
        let loader = ImageLoader(decoders: ImageLoader.standardDecoders + [PPMDecoder()])
        let image = try loader.image(from: Self.ppm(width: 4, height: 3, pixels: pixels))
        #expect(image == (try RGBImage(width: 4, height: 3, pixels: pixels)))
        // Without it, the format is not recognized.
        #expect(throws: ImageProcessingError.self) { try ImageLoader().image(from: Self.ppm(width: 4, height: 3, pixels: pixels)) }
        // The preprocessor takes the loader with it.
        let tensor = try ImagePreprocessor(loader: loader).pixelValues(for: image)
        #expect(tensor.shape == [1, 3, 224, 224])
    }

    @Test func customDecoderOutputIsHeldToThePixelLimit() throws {
        struct LyingDecoder: ImageDecoder {
            var formatName: String { "LIE" }
            func recognizes(_ data: Data) -> Bool { data.starts(with: Array("LIE".utf8)) }
            func decode(_ data: Data, options: DecodingOptions, source: String) throws -> DecodedImage {
                try DecodedImage(width: 100, height: 100, layout: .gray, pixels: [UInt8](repeating: 1, count: 10_000))
            }
        }
        let loader = ImageLoader(decoders: [LyingDecoder()], options: DecodingOptions(maximumPixelCount: 9_999))
        #expect(throws: ImageProcessingError.imageTooLarge(source: "<memory>", width: 100, height: 100, limit: 9_999)) {
            try loader.image(from: Data("LIE".utf8))
        }
    }
}

@Suite struct LowBitTransparencyTests {
    /// In a 2-bit gray PNG with tRNS gray level 2, samples of level 2 (170 after expansion) are
    /// transparent (PNG spec, libpng). Pillow compares the unexpanded value with expanded samples
    /// and finds nothing transparent; compositing is the one place we differ from it here.
    @Test func transparentLevelBecomesWhiteWhenComposited() throws {
        let plain = try ImageLoader().image(contentsOf: Fixtures.image("png_gray2bit_trns.png"))
        let blended = try ImageLoader(options: DecodingOptions(alpha: .compositeOverWhite))
            .image(contentsOf: Fixtures.image("png_gray2bit_trns.png"))
        #expect(Set(plain.pixels) == [0, 85, 170, 255])
        #expect(plain.pixels.contains(170))
        for (p, b) in zip(plain.pixels, blended.pixels) {
            #expect(b == (p == 170 ? 255 : p))
        }
    }
}
