import Foundation
import ImageTestSupport
import Testing
@testable import ImageProcessing

/// Bad inputs give clear typed errors and never crash, hang or allocate what the input does not justify.
@Suite struct ErrorTests {
    let loader = ImageLoader()

    @Test func emptyInput() throws {
        #expect(throws: ImageProcessingError.emptyInput(source: "<memory>")) { try loader.image(from: Data()) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swift-clip-empty-\(UUID()).jpg")
        try Data().write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: ImageProcessingError.emptyInput(source: url.path)) { try loader.image(contentsOf: url) }
    }

    @Test func missingFileAndDirectory() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/swift-clip/image.png")
        #expect(throws: ImageProcessingError.fileUnreadable(path: missing.path, reason: "no such file")) {
            try loader.image(contentsOf: missing)
        }
        let directory = FileManager.default.temporaryDirectory
        #expect(throws: ImageProcessingError.fileUnreadable(path: directory.path, reason: "is a directory")) {
            try loader.image(contentsOf: directory)
        }
    }

    @Test func nonImageFiles() throws {
        let text = Data("This is a text file, not an image.\n".utf8)
        #expect(throws: ImageProcessingError.unrecognizedFormat(source: "<memory>", signature: "54 68 69 73 20 69 73 20")) {
            try loader.image(from: text)
        }
        let manifest = try Data(contentsOf: Fixtures.root.appendingPathComponent("manifest.json"))
        #expect(throws: ImageProcessingError.self) { try loader.image(from: manifest) }
        // A GIF signature is recognized by nobody.
        #expect(throws: ImageProcessingError.self) { try loader.image(from: Data("GIF89a".utf8) + Data(count: 20)) }
    }

    static func expectTruncated(_ body: () throws -> RGBImage) {
        do {
            _ = try body()
            Issue.record("truncated data decoded without an error")
        } catch let error as ImageProcessingError {
            guard case .truncatedImage = error else { Issue.record("expected truncatedImage, got \(error)"); return }
        } catch {
            Issue.record("unexpected error type \(error)")
        }
    }

    @Test(arguments: ["landscape_640x480.jpg", "progressive_300x201.jpg", "cmyk_200x160.jpg", "gray_320x240.jpg"])
    func truncatedJPEG(_ name: String) throws {
        let data = try Fixtures.data(name)
        for fraction in [0.01, 0.3, 0.75, 0.97] {
            let cut = data.prefix(max(3, Int(Double(data.count) * fraction)))
            Self.expectTruncated { try loader.image(from: cut) }
        }
    }

    @Test(arguments: ["interlaced_150x100.png", "rgba_150x110.png", "palette_160x120.png", "rgb16_96x72.png"])
    func truncatedPNG(_ name: String) throws {
        let data = try Fixtures.data(name)
        for length in [8, 20, 40, data.count / 2, data.count - 20] {
            Self.expectTruncated { try loader.image(from: data.prefix(length)) }
        }
    }

    @Test func corruptJPEG() throws {
        var data = [UInt8](try Fixtures.data("landscape_640x480.jpg"))
        // Sample precision 12 in the SOF0 segment: valid syntax, not decodable by an 8-bit libjpeg.
        let sof = try #require((0..<(data.count - 1)).first { data[$0] == 0xFF && data[$0 + 1] == 0xC0 })
        data[sof + 4] = 12
        #expect(throws: ImageProcessingError.self) { try loader.image(from: Data(data)) }
        do {
            _ = try loader.image(from: Data(data))
        } catch let error as ImageProcessingError {
            guard case let .corruptImage(_, format, detail) = error else { Issue.record("got \(error)"); return }
            #expect(format == "JPEG")
            #expect(!detail.isEmpty)
        }
        // A JPEG signature followed by garbage.
        #expect(throws: ImageProcessingError.self) {
            try loader.image(from: Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0x13, 0x37] + [UInt8](repeating: 0x42, count: 64)))
        }
    }

    @Test func corruptPNG() throws {
        var data = [UInt8](try Fixtures.data("interlaced_150x100.png"))
        // Flip a byte inside the IDAT payload: the chunk CRC no longer matches.
        let idat = try #require((0..<(data.count - 4)).first { data[$0..<($0 + 4)].elementsEqual("IDAT".utf8) })
        data[idat + 40] ^= 0xFF
        do {
            _ = try loader.image(from: Data(data))
            Issue.record("corrupt PNG decoded")
        } catch let error as ImageProcessingError {
            guard case let .corruptImage(_, format, _) = error else { Issue.record("got \(error)"); return }
            #expect(format == "PNG")
        }
        // A bad IHDR (bit depth 3).
        var header = [UInt8](try Fixtures.data("tiny_1x1.png"))
        header[24] = 3
        #expect(throws: ImageProcessingError.self) { try loader.image(from: Data(header)) }
    }

    @Test func decompressionBombsAreRejectedFromTheHeader() throws {
        #expect(throws: ImageProcessingError.imageTooLarge(source: "<memory>", width: 30000, height: 30000, limit: 100_000_000)) {
            try loader.image(from: Fixtures.data("bomb_30000x30000.png"))
        }
        #expect(throws: ImageProcessingError.imageTooLarge(source: "<memory>", width: 60000, height: 60000, limit: 100_000_000)) {
            try loader.image(from: Fixtures.data("bomb_60000x60000.jpg"))
        }
    }

    /// A tiny file announcing a 100,000,000 × 1 image is within the pixel limit but is refused by
    /// its side, before the resize's weight table (about 32 bytes per pixel of a side) is made
    /// (found while listing the limits for the README's security section).
    @Test func sidesLongerThanTheLimitAreRejectedFromTheHeader() throws {
        for (width, height) in [(100_000_000, 1), (1, 65_536)] {
            let header = TestImages.pngHeader(width: UInt32(width), height: UInt32(height))
            #expect(throws: ImageProcessingError.imageSideTooLong(source: "<memory>", width: width, height: height, limit: 65_535)) {
                try loader.image(from: header)
            }
        }
        let narrow = ImageLoader(options: DecodingOptions(maximumSideLength: 639))
        #expect(throws: ImageProcessingError.imageSideTooLong(source: "<memory>", width: 640, height: 480, limit: 639)) {
            try narrow.image(from: Fixtures.data("landscape_640x480.jpg"))
        }
        // At the limit the header passes (and the empty pixel data is then reported as such).
        #expect { try loader.image(from: TestImages.pngHeader(width: 65_535, height: 1)) } throws: { error in
            guard let error = error as? ImageProcessingError else { return false }
            if case .imageSideTooLong = error { return false }
            return true
        }
    }

    @Test func pixelLimitIsConfigurable() throws {
        let strict = ImageLoader(options: DecodingOptions(maximumPixelCount: 640 * 480 - 1))
        #expect(throws: ImageProcessingError.imageTooLarge(source: "<memory>", width: 640, height: 480, limit: 640 * 480 - 1)) {
            try strict.image(from: Fixtures.data("landscape_640x480.jpg"))
        }
        #expect(throws: ImageProcessingError.imageTooLarge(source: "<memory>", width: 150, height: 100, limit: 100)) {
            try ImageLoader(options: DecodingOptions(maximumPixelCount: 100)).image(from: Fixtures.data("interlaced_150x100.png"))
        }
        let exact = ImageLoader(options: DecodingOptions(maximumPixelCount: 640 * 480))
        #expect(try exact.image(from: Fixtures.data("landscape_640x480.jpg")).width == 640)
    }

    @Test func progressiveScanLimit() throws {
        let loader = ImageLoader(decoders: [JPEGDecoder(maximumScanCount: 2)])
        do {
            _ = try loader.image(from: Fixtures.data("progressive_300x201.jpg"))
            Issue.record("scan limit not enforced")
        } catch let error as ImageProcessingError {
            guard case .unsupportedImage = error else { Issue.record("got \(error)"); return }
        }
    }

    @Test func extremeAspectRatiosDoNotAllocateTheFullResize() throws {
        // 1 x 20000 resized to a shortest edge of 224 would be 224 x 4_480_000 pixels (3 GB);
        // only the 224 x 224 crop is computed.
        let tall = try RGBImage(width: 1, height: 20_000, pixels: [UInt8](repeating: 90, count: 60_000))
        let prepared = try ImagePreprocessor().preparedImage(tall)
        #expect(prepared.width == 224 && prepared.height == 224)
        #expect(prepared.pixels.allSatisfy { $0 == 90 })
        // Without a crop, the resized size is held to the loader's pixel limit.
        var configuration = PreprocessingConfiguration.openAI
        configuration.cropSize = nil
        #expect(throws: ImageProcessingError.imageTooLarge(source: "<preprocessed>", width: 224, height: 4_480_000, limit: 100_000_000)) {
            try ImagePreprocessor(configuration: configuration).preparedImage(tall)
        }
    }

    /// Deterministic mutations of valid files: every outcome is an image or an ImageProcessingError.
    @Test(arguments: ["landscape_640x480.jpg", "progressive_300x201.jpg", "interlaced_150x100.png",
                      "palette_160x120.png", "exif6_160x120.jpg", "png_rgba16.png"])
    func mutatedFilesNeverCrash(_ name: String) throws {
        let original = [UInt8](try Fixtures.data(name))
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(original.count)
        func next() -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(truncatingIfNeeded: state >> 1)
        }
        var decoded = 0, rejected = 0
        for _ in 0..<60 {
            var bytes = original
            switch next() % 4 {
            case 0:
                for _ in 0..<(1 + next() % 8) { bytes[next() % bytes.count] = UInt8(truncatingIfNeeded: next()) }
            case 1:
                let start = next() % bytes.count
                bytes.removeSubrange(start..<min(bytes.count, start + 1 + next() % 64))
            case 2:
                bytes.insert(contentsOf: (0..<(1 + next() % 32)).map { _ in UInt8(truncatingIfNeeded: next()) }, at: next() % bytes.count)
            default:
                // Mutate the header region, where sizes live.
                for _ in 0..<3 { bytes[next() % min(bytes.count, 400)] = UInt8(truncatingIfNeeded: next()) }
            }
            do {
                let image = try loader.image(from: Data(bytes))
                #expect(image.pixels.count == image.width * image.height * 3)
                decoded += 1
            } catch is ImageProcessingError {
                rejected += 1
            }
        }
        #expect(decoded + rejected == 60)
    }
}
