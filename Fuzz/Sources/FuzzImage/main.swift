// The image path on arbitrary bytes: JPEG and PNG decoding (libjpeg-turbo, libpng through the
// setjmp layer), the EXIF orientation reader, alpha removal, and the preprocessing of whatever
// decodes (resize, crop, normalize). The pixel limit is lowered to 1 megapixel so that each
// execution stays fast; the limit's check itself is the same code at any value.
import Foundation
import FuzzSupport
import ImageProcessing

enum Harness {
    static let loader = ImageLoader(options: DecodingOptions(maximumPixelCount: 1_000_000))
    static let preprocessor = ImagePreprocessor(configuration: .openAI, loader: loader)
}

func fuzzImage(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = FuzzInput(start, count).bytes
    _ = ExifOrientation(exif: bytes)
    guard let image = try? Harness.loader.image(from: Data(bytes), source: "fuzz") else { return 0 }
    fuzzCheck(image.width > 0 && image.height > 0 && image.width * image.height <= 1_000_000, "decoded size")
    guard let pixels = try? Harness.preprocessor.pixelValues(for: image) else {
        fuzzCheck(false, "a decoded image does not preprocess")
        return 0
    }
    fuzzCheck(pixels.shape == [1, 3, 224, 224], "preprocessed shape \(pixels.shape)")
    return 0
}

runFuzzer { data, size in fuzzImage(data, size) }
