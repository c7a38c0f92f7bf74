import CLIPSupport
import Foundation

// Reading the `preprocess_cfg` of an OpenCLIP model configuration.
extension PreprocessingConfiguration {
    /// Decodes an OpenCLIP model configuration (`model_cfg` + `preprocess_cfg`) the way `open_clip.create_model_and_transforms`
    /// builds its inference transform: the size is `model_cfg.vision_cfg.image_size` (else
    /// `preprocess_cfg.size`, else 224); `preprocess_cfg` gives `mean`, `std`, `interpolation`
    /// (`bicubic`, `bilinear`; `random` means bicubic at inference), `resize_mode` (`shortest`,
    /// `longest`, `squash`) and `fill_color`. Crops follow torchvision's rounding and values are
    /// divided by 255 in Float32 like `ToTensor`.
    /// - Throws: `ImageProcessingError.invalidConfiguration` naming `file` and the key.
    public init(openCLIPJSON data: Data, file: String = "OpenCLIP configuration") throws(ImageProcessingError) {
        let root = try ConfigReader(data: data, file: file)
        let preprocess = try root.object("preprocess_cfg", prefix: "")
        let reader = preprocess ?? root.emptyChild(prefix: "preprocess_cfg.")
        // OpenCLIP overrides the preprocess size with the vision tower's image size.
        var sizeSource = (reader: reader, key: "size", value: JSONValue.number(224))
        if let value = reader.value("size") { sizeSource = (reader, "size", value) }
        if let model = try root.object("model_cfg", prefix: ""),
           let vision = try model.object("vision_cfg", prefix: "model_cfg."),
           let imageSize = vision.value("image_size") {
            sizeSource = (vision, "image_size", imageSize)
        }
        let (height, width) = try sizeSource.reader.heightWidth(sizeSource.value, key: sizeSource.key)

        if let mode = try reader.string("mode"), mode != "RGB" {
            throw .invalidConfiguration(file: file, key: reader.prefix + "mode", reason: "only \"RGB\" is supported, got \"\(mode)\"")
        }
        var filter = ResamplingFilter.bicubic
        if let interpolation = try reader.string("interpolation") {
            switch interpolation {
            case "bicubic", "random": filter = .bicubic
            case "bilinear": filter = .bilinear
            default:
                throw .invalidConfiguration(
                    file: file, key: reader.prefix + "interpolation",
                    reason: "expected \"bicubic\", \"bilinear\" or \"random\", got \"\(interpolation)\"")
            }
        }
        let resize: Resize
        var crop: CropSize? = CropSize(height: height, width: width)
        switch try reader.string("resize_mode") ?? "shortest" {
        case "shortest":
            resize = height == width
                ? .shortestEdge(height) : .keepingAspectRatio(height: height, width: width, fitsInside: false)
        case "longest":
            resize = .keepingAspectRatio(height: height, width: width, fitsInside: true)
        case "squash":
            resize = .exact(height: height, width: width)
            crop = nil
        case let other:
            throw .invalidConfiguration(
                file: file, key: reader.prefix + "resize_mode",
                reason: "expected \"shortest\", \"longest\" or \"squash\", got \"\(other)\"")
        }
        var padding: UInt8 = 0
        if let fill = try reader.integer("fill_color") {
            guard let value = UInt8(exactly: fill) else {
                throw .invalidConfiguration(file: file, key: reader.prefix + "fill_color", reason: "must be 0...255, got \(fill)")
            }
            padding = value
        }
        let mean = try reader.channelValues("mean") ?? Normalization.openAI.mean
        let std = try reader.channelValues("std") ?? Normalization.openAI.std
        guard std.allSatisfy({ $0 != 0 }) else {
            throw .invalidConfiguration(file: file, key: reader.prefix + "std", reason: "a standard deviation is zero")
        }
        self.init(
            unchecked: resize, filter: filter, crop: crop, cropConvention: .torchvision, paddingValue: padding,
            rescaling: .divide(255), normalization: Normalization(uncheckedMean: mean, std: std))
        try validate(file: file)
    }
}
