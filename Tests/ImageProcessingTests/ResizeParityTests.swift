import Foundation
import Testing
@testable import ImageProcessing

/// Resize alone: our Pillow-style resampling against Pillow 13's `Image.resize` on 8-bit RGB.
@Suite struct ResizeParityTests {
    struct Case: CustomTestStringConvertible {
        let sourceWidth, sourceHeight, seed, width, height: Int
        let filter: ResamplingFilter
        let reference: String
        var testDescription: String { "\(sourceWidth)x\(sourceHeight) -> \(width)x\(height) \(filter)" }
    }

    static func cases() throws -> [Case] {
        let entries = try #require(try Fixtures.manifest["resizes"] as? [[String: Any]])
        let filters: [String: ResamplingFilter] = [
            "bicubic": .bicubic, "bilinear": .bilinear, "lanczos": .lanczos, "box": .box, "hamming": .hamming,
        ]
        return try entries.map { entry in
            let filterName = try #require(entry["filter"] as? String)
            return Case(
                sourceWidth: try #require(entry["source_width"] as? Int),
                sourceHeight: try #require(entry["source_height"] as? Int),
                seed: try #require(entry["seed"] as? Int),
                width: try #require(entry["width"] as? Int),
                height: try #require(entry["height"] as? Int),
                filter: try #require(filters[filterName]),
                reference: try #require(entry["reference"] as? String))
        }
    }

    @Test func manifestListsDownUpAndOneAxisCases() throws {
        let all = try Self.cases()
        #expect(all.count >= 15)
        #expect(all.contains { $0.width < $0.sourceWidth && $0.height < $0.sourceHeight })
        #expect(all.contains { $0.width > $0.sourceWidth && $0.height > $0.sourceHeight })
        #expect(all.contains { $0.width == $0.sourceWidth && $0.height != $0.sourceHeight })
        #expect(all.contains { $0.height == $0.sourceHeight && $0.width != $0.sourceWidth })
    }

    @Test(arguments: try ResizeParityTests.cases())
    func matchesPillow(_ c: Case) throws {
        let source = try RGBImage(
            width: c.sourceWidth, height: c.sourceHeight,
            pixels: Fixtures.resizePattern(width: c.sourceWidth, height: c.sourceHeight, seed: c.seed))
        let resized = try source.resized(width: c.width, height: c.height, filter: c.filter)
        let expected = try Fixtures.reference(c.reference)
        #expect(resized.width == c.width && resized.height == c.height)
        try #require(resized.pixels.count == expected.count)
        let stats = DifferenceStatistics(bytes: resized.pixels, expected)
        print("resize \(c.testDescription): \(stats)")
        // Acceptance: exact on at least 95% of samples, within one level everywhere.
        #expect(stats.exactFraction >= 0.95, "\(stats)")
        #expect(stats.maximum <= 1, "\(stats)")
        // The implementation follows Pillow's arithmetic, so in practice every sample is exact.
        #expect(stats.exact == stats.count, "\(stats)")
    }

    /// (source width, height, output width, height): horizontal-first, vertical-first, one pass.
    @Test(arguments: [(203, 117, 90, 61), (90, 300, 120, 40), (64, 200, 64, 37), (150, 70, 31, 70)])
    func windowOfResizeEqualsCropOfFullResize(_ size: (Int, Int, Int, Int)) throws {
        let (w, h, ow, oh) = size
        let pixels = Fixtures.resizePattern(width: w, height: h, seed: 42)
        let full = pixels.withUnsafeBufferPointer {
            Resampler.resize($0, width: w, height: h, channels: 3, outputWidth: ow, outputHeight: oh,
                             columns: 0..<ow, rows: 0..<oh, filter: .bicubic)
        }
        let columns = (ow / 5)..<(ow * 3 / 4), rows = (oh / 6)..<(oh * 2 / 3)
        let window = pixels.withUnsafeBufferPointer {
            Resampler.resize($0, width: w, height: h, channels: 3, outputWidth: ow, outputHeight: oh,
                             columns: columns, rows: rows, filter: .bicubic)
        }
        var cropped: [UInt8] = []
        for y in rows { cropped += full[(y * ow + columns.lowerBound) * 3 ..< (y * ow + columns.upperBound) * 3] }
        #expect(window == cropped)
    }

    @Test func passOrderFollowsPillow13() {
        // Vertical first only when the height shrinks by more than twice the width's shrinkage.
        #expect(Resampler.verticalPassFirst(width: 100, height: 100, outputWidth: 56, outputHeight: 10))
        #expect(!Resampler.verticalPassFirst(width: 100, height: 100, outputWidth: 55, outputHeight: 10))
        #expect(Resampler.verticalPassFirst(width: 50, height: 300, outputWidth: 97, outputHeight: 61))
        #expect(!Resampler.verticalPassFirst(width: 100, height: 100, outputWidth: 190, outputHeight: 110))
        #expect(!Resampler.verticalPassFirst(width: 1024, height: 768, outputWidth: 298, outputHeight: 224))
    }

    @Test func sameSizeIsACopy() throws {
        let image = try RGBImage(width: 9, height: 4, pixels: Fixtures.resizePattern(width: 9, height: 4, seed: 3))
        #expect(try image.resized(width: 9, height: 4) == image)
    }

    @Test func invalidTargetSizesThrow() throws {
        let image = try RGBImage(width: 2, height: 2, pixels: [UInt8](repeating: 7, count: 12))
        #expect(throws: ImageProcessingError.invalidTargetSize(operation: "resize", width: 0, height: 5)) {
            try image.resized(width: 0, height: 5)
        }
        #expect(throws: ImageProcessingError.self) { try image.resized(width: Int.max, height: 2) }
    }
}
