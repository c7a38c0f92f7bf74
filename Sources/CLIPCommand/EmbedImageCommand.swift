import ArgumentParser
import CLIP
import Foundation

/// `clip embed-image`: prints the projected image embedding of each image (what transformers'
/// `get_image_features` returns), one JSON array per line, unnormalized unless `--normalize`.
///
/// With `--pixel-values FILE.npy` the input is an already preprocessed float32 array
/// `[N, 3, H, W]` (for example written by `clip preprocess` or by Python), one line per row.
/// Image files are decoded (JPEG, PNG; EXIF orientation applied) and preprocessed with the model
/// directory's settings, as `clip preprocess` does.
struct EmbedImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed-image",
        abstract: "Print the embedding of each image (or of each row of a pixel-value array) as a JSON array."
    )

    @OptionGroup var options: ModelOptions
    @OptionGroup var compute: ComputeOptions

    @Flag(name: .long, help: "Scale each embedding to unit length.")
    var normalize = false

    @Option(name: .long, help: ArgumentHelp(
        "A float32 .npy array [N, 3, H, W] of preprocessed pixels, instead of image files.", valueName: "file"))
    var pixelValues: String?

    @Argument(help: ArgumentHelp("Image files (JPEG or PNG).", valueName: "image"))
    var images: [String] = []

    func validate() throws {
        if pixelValues != nil, !images.isEmpty {
            throw ValidationError("give either image files or --pixel-values, not both")
        }
        if pixelValues == nil, images.isEmpty {
            throw ValidationError("give at least one image file, or --pixel-values FILE.npy")
        }
    }

    func run() throws {
        let model = try options.loadModel(compute)
        if let pixelValues {
            let pixels = try NumpyArrayFile.read(contentsOf: URL(fileURLWithPath: pixelValues))
            try printEmbeddings(try model.encode(pixelValues: pixels, normalized: normalize))
        } else {
            let urls = images.map { URL(fileURLWithPath: $0) }
            try printEmbeddings(try model.encode(imagesAt: urls, normalized: normalize))
        }
    }
}
