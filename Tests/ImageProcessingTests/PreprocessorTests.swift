import Foundation
import Testing
import TensorCore
@testable import ImageProcessing

@Suite struct PreprocessorTests {
    @Test func orientationTransformsMatchPillowExifTranspose() throws {
        let manifest = try Fixtures.manifest
        let source = try #require(manifest["orientation_source"] as? [String: Any])
        let image = try RGBImage(
            width: try #require(source["width"] as? Int), height: try #require(source["height"] as? Int),
            pixels: try #require(source["pixels"] as? [Int]).map { UInt8($0) })
        let expected = try #require(manifest["orientations"] as? [String: [String: Any]])
        for orientation in ExifOrientation.allCases {
            let entry = try #require(expected[String(orientation.rawValue)])
            let out = orientation.applied(to: image)
            #expect(out.width == entry["width"] as? Int && out.height == entry["height"] as? Int, "\(orientation)")
            #expect(out.pixels == (try #require(entry["pixels"] as? [Int])).map { UInt8($0) }, "\(orientation)")
        }
    }

    @Test func exifParserHandlesBothByteOrdersAndGarbage() {
        // Little-endian TIFF, IFD0 at 8 with one entry: Orientation SHORT 1 value 6.
        let little: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 0x08, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]
        #expect(ExifOrientation(exif: little) == .right)
        let big: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0]
        #expect(ExifOrientation(exif: big) == .left)
        var badValue = little
        badValue[18] = 9
        #expect(ExifOrientation(exif: badValue) == .up)
        var hugeOffset = little
        hugeOffset[4] = 0xFF; hugeOffset[7] = 0x7F
        #expect(ExifOrientation(exif: hugeOffset) == .up)
        #expect(ExifOrientation(exif: [UInt8]()) == .up)
        #expect(ExifOrientation(exif: little.prefix(19)) == .up)  // value cut off
        #expect(ExifOrientation(exif: little.prefix(20)) == .right)
        var manyEntries = little
        manyEntries[8] = 0xFF; manyEntries[9] = 0xFF
        #expect(ExifOrientation(exif: manyEntries) == .right)  // found before running off the end
    }

    @Test func defaultOutputShape() throws {
        let tensor = try ImagePreprocessor().pixelValues(contentsOf: Fixtures.image("landscape_640x480.jpg"))
        #expect(tensor.shape == [1, 3, 224, 224])
    }

    @Test func batchesStackSingleResults() throws {
        let preprocessor = ImagePreprocessor()
        let names = ["landscape_640x480.jpg", "thin_13x400.png", "cmyk_200x160.jpg", "tiny_1x1.png"]
        let urls = try names.map { try Fixtures.image($0) }
        let batch = try preprocessor.pixelValues(contentsOf: urls)
        #expect(batch.shape == [4, 3, 224, 224])
        let plane = 3 * 224 * 224
        for (index, url) in urls.enumerated() {
            let single = try preprocessor.pixelValues(contentsOf: url).scalars
            #expect(Array(batch.scalars[(index * plane)..<((index + 1) * plane)]) == single, "\(names[index])")
        }
        let images = try urls.map { try preprocessor.loader.image(contentsOf: $0) }
        #expect(try preprocessor.pixelValues(for: images) == batch)
    }

    @Test func batchErrors() throws {
        let preprocessor = ImagePreprocessor()
        #expect(throws: ImageProcessingError.emptyBatch) { try preprocessor.pixelValues(for: [RGBImage]()) }
        let good = try Fixtures.image("tiny_1x1.png")
        let bad = try Fixtures.image("bomb_30000x30000.png")
        #expect(throws: ImageProcessingError.imageTooLarge(source: bad.path, width: 30000, height: 30000, limit: 100_000_000)) {
            try preprocessor.pixelValues(contentsOf: [good, bad, good])
        }
        var noCrop = PreprocessingConfiguration.openAI
        noCrop.cropSize = nil
        let a = try RGBImage(width: 10, height: 20, pixels: [UInt8](repeating: 1, count: 600))
        let b = try RGBImage(width: 20, height: 10, pixels: [UInt8](repeating: 1, count: 600))
        #expect(throws: ImageProcessingError.batchShapeMismatch(index: 1, shape: [3, 224, 448], expected: [3, 448, 224])) {
            try ImagePreprocessor(configuration: noCrop).pixelValues(for: [a, b])
        }
    }

    /// A batch that keeps going past bad files: the good ones' pixels equal the plain batch's,
    /// rows keep input order, each failure names its file.
    @Test func batchSetsFailuresAside() throws {
        let preprocessor = ImagePreprocessor()
        let good = try ["landscape_640x480.jpg", "thin_13x400.png", "tiny_1x1.png"].map { try Fixtures.image($0) }
        let bomb = try Fixtures.image("bomb_30000x30000.png")
        let missing = try Fixtures.image("no-such-file.png")
        let batch = preprocessor.batch(contentsOf: [bomb, good[0], missing, good[1], good[2]])
        #expect(batch.indices == [1, 3, 4])
        #expect(try #require(batch.pixelValues) == (try preprocessor.pixelValues(contentsOf: good)))
        #expect(batch.failures.map(\.index) == [0, 2])
        #expect(batch.failures.first?.error == .imageTooLarge(source: bomb.path, width: 30000, height: 30000, limit: 100_000_000))
        #expect("\(batch.failures[1].error)".contains("no-such-file.png"))

        let none = preprocessor.batch(contentsOf: [missing])
        #expect(none.pixelValues == nil && none.indices.isEmpty && none.failures.count == 1)
        #expect(preprocessor.batch(contentsOf: []).pixelValues == nil)

        // Without a crop, an image of another size than the first good one is set aside.
        var noCrop = PreprocessingConfiguration.openAI
        noCrop.cropSize = nil
        let a = try RGBImage(width: 10, height: 20, pixels: [UInt8](repeating: 1, count: 600))
        let b = try RGBImage(width: 20, height: 10, pixels: [UInt8](repeating: 1, count: 600))
        let mixed = ImagePreprocessor(configuration: noCrop).batch(of: [a, b, a])
        #expect(mixed.indices == [0, 2])
        #expect(mixed.pixelValues?.shape == [2, 3, 448, 224])
        #expect(mixed.failures == [.init(index: 1, error: .batchShapeMismatch(index: 1, shape: [3, 224, 448], expected: [3, 448, 224]))])
    }

    /// Bytes decoded and prepared in parallel, each input's own result in input order; stacked,
    /// the prepared images give the plain batch's pixels.
    @Test func preparedImagesFromBytesKeepEachResult() throws {
        let preprocessor = ImagePreprocessor()
        let urls = try ["landscape_640x480.jpg", "thin_13x400.png"].map { try Fixtures.image($0) }
        let bytes = try urls.map { try Data(contentsOf: $0) }
        let results = preprocessor.preparedImages(fromData: [bytes[0], Data([0x89, 0x50, 0x4E, 0x47, 1, 2]), bytes[1]],
                                                  sources: [urls[0].path, "broken.png", urls[1].path])
        #expect(results.count == 3)
        let images = try [results[0], results[2]].map { try $0.get() }
        #expect(images.map(\.width) == [224, 224] && images.map(\.height) == [224, 224])
        #expect(try preprocessor.pixelValues(forPrepared: images) == (try preprocessor.pixelValues(contentsOf: urls)))
        guard case let .failure(error) = results[1] else {
            Issue.record("corrupt bytes were decoded")
            return
        }
        #expect("\(error)".contains("broken.png"))
        #expect(preprocessor.preparedImages(fromData: [], sources: []).isEmpty)
    }

    @Test func normalizationValues() throws {
        // A flat image: every output value is the reference formula applied to the pixel value.
        let image = try RGBImage(width: 3, height: 2, pixels: [UInt8](repeating: 0, count: 18).enumerated().map {
            [10, 128, 250][$0.offset % 3]
        })
        let tensor = try ImagePreprocessor().pixelValues(for: image)
        let mean: [Float] = [0.48145466, 0.4578275, 0.40821073]
        let std: [Float] = [0.26862954, 0.26130258, 0.27577711]
        for (channel, value) in [10, 128, 250].enumerated() {
            let expected = (Float(Double(value) * (1.0 / 255.0)) - mean[channel]) / std[channel]
            #expect(try tensor.scalar(at: [0, channel, 100, 100]) == expected)
        }
        var raw = PreprocessingConfiguration.openAI
        raw.rescaling = .none
        raw.normalization = nil
        let unscaled = try ImagePreprocessor(configuration: raw).pixelValues(for: image)
        #expect(try unscaled.scalar(at: [0, 1, 0, 0]) == 128)
    }

    @Test func paddingUsesTheConfiguredValue() throws {
        var c = PreprocessingConfiguration.openAI
        c.resize = .shortestEdge(4)
        c.cropSize = (height: 6, width: 6)
        c.paddingValue = 77
        let image = try RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 200, count: 48))
        let prepared = try ImagePreprocessor(configuration: c).preparedImage(image)
        #expect(prepared.width == 6 && prepared.height == 6)
        // transformers places the 4x4 image at offset ceil(2 / 2) = 1.
        #expect(prepared.pixel(x: 0, y: 0)?.red == 77)
        #expect(prepared.pixel(x: 1, y: 1)?.red == 200)
        #expect(prepared.pixel(x: 4, y: 4)?.red == 200)
        #expect(prepared.pixel(x: 5, y: 5)?.red == 77)
    }

    @Test func preprocessorFromSettingsFile() throws {
        let settings = Data(#"{"size": {"shortest_edge": 96}, "crop_size": {"height": 80, "width": 64}}"#.utf8)
        let preprocessor = ImagePreprocessor(configuration: try PreprocessingConfiguration(transformersJSON: settings))
        let tensor = try preprocessor.pixelValues(contentsOf: Fixtures.image("portrait_360x480.jpg"))
        #expect(tensor.shape == [1, 3, 80, 64])
    }
}
