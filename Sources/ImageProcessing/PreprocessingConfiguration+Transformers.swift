import Foundation

// Reading Hugging Face transformers' image-processor settings.
extension PreprocessingConfiguration {
    /// Decodes Hugging Face transformers' image-processor settings the way transformers 5's CLIP image
    /// processor reads it (missing keys take `CLIPImageProcessor`'s defaults).
    ///
    /// Accepted: `size` as an integer (shortest edge, or a square with `default_to_square: true`
    /// / `use_square_size: true`), `[height, width]`, `{"shortest_edge"}`,
    /// `{"shortest_edge", "longest_edge"}` or `{"height", "width"}`; `crop_size` as an integer,
    /// `[height, width]` or `{"height", "width"}`; `resample` 1–5 (Pillow's filter numbers);
    /// `image_mean`/`image_std` as one number or three; `do_resize`, `do_center_crop`,
    /// `do_rescale`, `rescale_factor`, `do_normalize`, `do_convert_rgb` (images are always RGB).
    /// Other keys are ignored. A processor type other than CLIP's is rejected because its
    /// defaults differ.
    /// - Throws: `ImageProcessingError.invalidConfiguration` naming `file` and the key.
    public init(transformersJSON data: Data, file: String = "image-processor settings") throws(ImageProcessingError) {
        let reader = try ConfigReader(data: data, file: file)
        for key in ["image_processor_type", "feature_extractor_type"] {
            if let type = try reader.string(key) {
                let accepted = ["CLIPImageProcessor", "CLIPImageProcessorFast", "CLIPImageProcessorPil",
                                "CLIPFeatureExtractor"]
                guard accepted.contains(type) else {
                    throw .invalidConfiguration(
                        file: file, key: key,
                        reason: "\"\(type)\" is not a CLIP image processor (its defaults differ); expected one of \(accepted)")
                }
            }
        }
        var configuration = PreprocessingConfiguration.openAI

        let defaultToSquare = try reader.bool("default_to_square") ?? false
        if try reader.bool("do_resize") ?? true {
            if let size = reader.value("size") {
                configuration.resize = try reader.resize(size, key: "size", defaultToSquare: defaultToSquare)
            }
            if try reader.bool("use_square_size") == true {
                guard case let .shortestEdge(edge)? = configuration.resize else {
                    throw .invalidConfiguration(file: file, key: "use_square_size", reason: "needs size {\"shortest_edge\": n}")
                }
                configuration.resize = .exact(height: edge, width: edge)
            }
        } else {
            configuration.resize = nil
        }
        if let resample = try reader.integer("resample") {
            guard let filter = ResamplingFilter(rawValue: resample) else {
                let reason = resample == 0
                    ? "NEAREST (0) resampling is not supported"
                    : "unknown Pillow resampling filter \(resample); supported: 1 LANCZOS, 2 BILINEAR, 3 BICUBIC, 4 BOX, 5 HAMMING"
                throw .invalidConfiguration(file: file, key: "resample", reason: reason)
            }
            configuration.filter = filter
        }
        if try reader.bool("do_center_crop") ?? true {
            if let crop = reader.value("crop_size") {
                configuration.crop = try reader.cropSize(crop, key: "crop_size")
            }
        } else {
            configuration.crop = nil
        }
        if try reader.bool("do_rescale") ?? true {
            if let factor = try reader.number("rescale_factor") {
                configuration.rescaling = .multiply(factor)
            }
        } else {
            configuration.rescaling = .none
        }
        if try reader.bool("do_normalize") ?? true {
            let mean = try reader.channelValues("image_mean") ?? Normalization.openAI.mean
            let std = try reader.channelValues("image_std") ?? Normalization.openAI.std
            guard std.allSatisfy({ $0 != 0 }) else {
                throw .invalidConfiguration(file: file, key: "image_std", reason: "a standard deviation is zero")
            }
            configuration.normalization = Normalization(uncheckedMean: mean, std: std)
        } else {
            configuration.normalization = nil
        }
        _ = try reader.bool("do_convert_rgb")
        try configuration.validate(file: file)
        self = configuration
    }
}
