import ArgumentParser
import CLIP
import Foundation

/// `clip preprocess --model DIR IMAGE --output FILE.npy`: writes the pixel values a CLIP vision
/// tower sees for one image, as a float32 `[1, 3, height, width]` NumPy file.
///
/// The settings come from the model directory, as
/// `CLIPModelDirectory.preprocessingConfiguration(in:)` finds them.
struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Write an image's CLIP pixel values as a float32 [1, 3, H, W] .npy file.",
        discussion: """
            Decodes the image (JPEG or PNG), applies its EXIF orientation, converts it to RGB, then \
            resizes, center-crops, rescales and normalizes it like transformers' CLIPImageProcessor \
            (Pillow backend) with the model directory's settings: \(CLIPModelDirectory.FileName.preprocessorConfiguration), \
            else \(CLIPModelDirectory.FileName.openCLIPConfiguration), else OpenAI CLIP's defaults (224, bicubic). \
            Without --model: the bundled demonstration model's settings.
            """
    )

    @OptionGroup var options: ModelOptions

    @Argument(help: ArgumentHelp("The image file (JPEG or PNG).", valueName: "image"))
    var image: String

    @Option(name: .long, help: ArgumentHelp("The .npy file to write.", valueName: "file"))
    var output: String

    @Option(
        name: .customLong("max-pixels"),
        help: ArgumentHelp("Refuse images with more pixels than this.", valueName: "count"))
    var maxPixels: Int = DecodingOptions.defaultMaximumPixelCount

    @Flag(name: .customLong("ignore-orientation"), help: "Use the stored pixels; do not apply the EXIF orientation.")
    var ignoreOrientation = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Transparency: 'discard' drops alpha like Pillow's convert(\"RGB\"); 'white' composites over white like transformers 5.",
            valueName: "mode"))
    var alpha: String = "discard"

    func validate() throws {
        guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive, got \(maxPixels)") }
        guard ["discard", "white"].contains(alpha) else {
            throw ValidationError("--alpha must be 'discard' or 'white', got '\(alpha)'")
        }
    }

    func run() throws {
        let configuration = try CLIPModelDirectory.preprocessingConfiguration(in: try options.directory())
        let options = DecodingOptions(
            maximumPixelCount: maxPixels, appliesOrientation: !ignoreOrientation,
            alpha: alpha == "white" ? .compositeOverWhite : .discard)
        let preprocessor = ImagePreprocessor(configuration: configuration, loader: ImageLoader(options: options))
        let pixels = try preprocessor.pixelValues(contentsOf: URL(fileURLWithPath: image))
        try NumpyArrayFile.write(pixels, to: URL(fileURLWithPath: output))
    }
}
