import Foundation
import ImageProcessing
import Testing

/// Inputs the fuzzers found (Fuzz/, `Fixtures/fuzz-regressions`), replayed through the same API
/// with the error each must give now.
@Suite struct FuzzRegressionTests {
    static func regression(_ name: String) throws -> Data {
        try Data(contentsOf: try Fixtures.root.appendingPathComponent("fuzz-regressions").appendingPathComponent(name))
    }

    /// A 23×17 PNG of 189 bytes whose second chunk, eXIf, declares 1,229,278,788 bytes: libpng
    /// allocated that much before reading it (FuzzImage, out of memory). The chunk is now refused
    /// from its length, before libpng sees the file.
    @Test func aChunkLongerThanTheFileIsRefusedBeforeLibpngAllocatesIt() throws {
        #expect(throws: ImageProcessingError.truncatedImage(
            source: "<memory>", format: "PNG",
            detail: "PNG chunk eXIf at byte 33 declares 1229278788 bytes, more than the 144 left in the data")) {
            try ImageLoader().image(from: try Self.regression("png-exif-chunk-longer-than-file.png"))
        }
    }

    /// The same check on a valid file: chunks before the image data that fit are read as before
    /// (an eXIf chunk with a bad CRC is ignored, as Pillow ignores it); one that claims more
    /// bytes than follow is refused, whatever its type.
    @Test func chunksThatFitAreReadAndAnyThatDoNotAreRefused() throws {
        let png = [UInt8](try Fixtures.data("tiny_1x1.png"))
        let afterHeader = 8 + 8 + 13 + 4  // signature, IHDR's length + type, data, CRC
        let exif: [UInt8] = [0, 0, 0, 8] + Array("eXIf".utf8) + Array("MM".utf8) + [0, 42, 0, 0, 0, 8] + [1, 2, 3, 4]
        let withExif = Array(png[..<afterHeader]) + exif + Array(png[afterHeader...])
        let image = try ImageLoader().image(from: Data(withExif))
        #expect(image.width == 1 && image.height == 1)

        let huge: [UInt8] = [0x7F, 0xFF, 0xFF, 0xFF] + Array("tEXt".utf8) + Array("Comment".utf8)
        let withHugeText = Array(png[..<afterHeader]) + huge + Array(png[afterHeader...])
        do {
            _ = try ImageLoader().image(from: Data(withHugeText))
            Issue.record("a tEXt chunk of 2 GB in a file of \(withHugeText.count) bytes was accepted")
        } catch let ImageProcessingError.truncatedImage(_, format, detail) {
            #expect(format == "PNG")
            #expect(detail.hasPrefix("PNG chunk tEXt at byte 33 declares 2147483647 bytes"))
        }
    }
}
