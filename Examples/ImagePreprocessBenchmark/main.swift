// Times decode + CLIP preprocessing of one image file in-process (release builds only give
// meaningful numbers):
//
//     swift run -c release image-preprocess-bench IMAGE [ITERATIONS]
//
// Prints one JSON object: median and minimum milliseconds for decoding alone, preprocessing
// alone (resize, crop, normalize of the decoded image) and the two together, with OpenAI CLIP's
// settings (shortest edge 224, bicubic, 224x224 crop). Scripts/bench_image_preprocess.py
// measures Pillow + transformers' CLIPImageProcessorPil the same way on the same file.
import Foundation
import ImageProcessing

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

func summary(_ samples: [Double]) -> String {
    let sorted = samples.sorted()
    let median = sorted[sorted.count / 2]
    return String(format: "{\"median_ms\": %.3f, \"min_ms\": %.3f}", median, sorted[0])
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: image-preprocess-bench IMAGE [ITERATIONS]\n".utf8))
    exit(2)
}
let url = URL(fileURLWithPath: arguments[1])
let iterations = arguments.count > 2 ? max(1, Int(arguments[2]) ?? 50) : 50
do {
    let data = try Data(contentsOf: url)
    let loader = ImageLoader()
    let preprocessor = ImagePreprocessor()
    var decode: [Double] = [], preprocess: [Double] = [], total: [Double] = []
    var image = try loader.image(from: data)
    var checksum: Float = 0
    for _ in 0..<3 { checksum += try preprocessor.pixelValues(for: loader.image(from: data)).scalars[0] }  // warm-up
    for _ in 0..<iterations {
        decode.append(try milliseconds { image = try loader.image(from: data) })
        preprocess.append(try milliseconds { checksum += try preprocessor.pixelValues(for: image).scalars[0] })
        total.append(try milliseconds {
            checksum += try preprocessor.pixelValues(for: loader.image(from: data)).scalars[0]
        })
    }
    print("{\"image\": \"\(url.lastPathComponent)\", \"width\": \(image.width), \"height\": \(image.height), "
        + "\"iterations\": \(iterations), \"decode\": \(summary(decode)), \"preprocess\": \(summary(preprocess)), "
        + "\"decode_and_preprocess\": \(summary(total)), \"checksum\": \(checksum)}")
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
