import Foundation

// Reading Hugging Face transformers' image-processor settings.
extension PreprocessingConfiguration {
    /// The transformers image processors whose settings ``init(transformersJSON:file:unnamedProcessor:)``
    /// reads. Each has its own defaults for the keys a file leaves out.
    public enum TransformersProcessor: Sendable, Equatable, CaseIterable {
        /// `CLIPImageProcessor` (also `…Fast`, `…Pil`, `CLIPFeatureExtractor`): shortest edge 224,
        /// bicubic, 224×224 center crop, rescale 1/255, OpenAI CLIP's mean and std.
        case clip
        /// `SiglipImageProcessor` (also `…Fast`, `…Pil`; fixed-resolution SigLIP and SigLIP 2):
        /// resize straight to 224×224 (no aspect ratio kept, no crop), bicubic, rescale 1/255,
        /// mean and std 0.5.
        case siglip

        /// The `image_processor_type` / `feature_extractor_type` names of this processor.
        public var typeNames: [String] {
            switch self {
            case .clip: return ["CLIPImageProcessor", "CLIPImageProcessorFast", "CLIPImageProcessorPil", "CLIPFeatureExtractor"]
            case .siglip: return ["SiglipImageProcessor", "SiglipImageProcessorFast", "SiglipImageProcessorPil"]
            }
        }

        /// The settings of this processor when a file gives no keys at all.
        public var defaults: PreprocessingConfiguration {
            switch self {
            case .clip: return .openAI
            case .siglip: return .siglip
            }
        }
    }

    /// SigLIP 2's NaFlex processor (variable resolution, patch sequences): refused.
    private static let naFlexTypeNames = ["Siglip2ImageProcessor", "Siglip2ImageProcessorFast", "Siglip2ImageProcessorPil"]
    private static let naFlexReason = "NaFlex variable-resolution SigLIP 2 preprocessing is not supported "
        + "(fixed-resolution SigLIP 2 checkpoints use SiglipImageProcessor)"

    /// Decodes Hugging Face transformers' image-processor settings (`preprocessor_config.json`) the
    /// way transformers 5's CLIP or SigLIP image processor reads them; missing keys take that
    /// processor's defaults (``TransformersProcessor/defaults``).
    ///
    /// The processor is the one named by `image_processor_type` (or `feature_extractor_type`):
    /// one of ``TransformersProcessor/typeNames``; a file naming neither is read as
    /// `unnamedProcessor`. SigLIP 2's NaFlex processor (`Siglip2ImageProcessor`, or the keys
    /// `max_num_patches` / `patch_size`) and any other processor type are rejected.
    ///
    /// Accepted: `size` as an integer (shortest edge, or a square with `default_to_square: true`
    /// / `use_square_size: true`), `[height, width]`, `{"shortest_edge"}`,
    /// `{"shortest_edge", "longest_edge"}` or `{"height", "width"}`; `crop_size` as an integer,
    /// `[height, width]` or `{"height", "width"}`; `resample` 1–5 (Pillow's filter numbers);
    /// `image_mean`/`image_std` as one number or three; `do_resize`, `do_center_crop` (default
    /// true for CLIP, false for SigLIP, which then needs `crop_size`), `do_rescale`,
    /// `rescale_factor`, `do_normalize`, `do_convert_rgb` (images are always RGB). Other keys are
    /// ignored.
    /// - Throws: `ImageProcessingError.invalidConfiguration` naming `file` and the key.
    public init(
        transformersJSON data: Data, file: String = "image-processor settings",
        unnamedProcessor: TransformersProcessor = .clip
    ) throws(ImageProcessingError) {
        let reader = try ConfigReader(data: data, file: file)
        var named: (processor: TransformersProcessor, key: String)?
        for key in ["image_processor_type", "feature_extractor_type"] {
            guard let type = try reader.string(key) else { continue }
            if Self.naFlexTypeNames.contains(type) {
                throw .invalidConfiguration(file: file, key: key, reason: "\"\(type)\": " + Self.naFlexReason)
            }
            guard let processor = TransformersProcessor.allCases.first(where: { $0.typeNames.contains(type) }) else {
                let accepted = TransformersProcessor.allCases.flatMap(\.typeNames)
                throw .invalidConfiguration(
                    file: file, key: key,
                    reason: "\"\(type)\" is not a supported image processor (its defaults differ); expected one of \(accepted)")
            }
            if let named, named.processor != processor {
                throw .invalidConfiguration(
                    file: file, key: key, reason: "\"\(type)\" contradicts \(named.key) (another image processor)")
            }
            named = (processor, key)
        }
        for key in ["max_num_patches", "patch_size"] where reader.value(key) != nil {
            throw .invalidConfiguration(file: file, key: key, reason: Self.naFlexReason)
        }
        let processor = named?.processor ?? unnamedProcessor
        let defaults = processor.defaults
        var configuration = defaults

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
        if try reader.bool("do_center_crop") ?? (defaults.crop != nil) {
            if let crop = reader.value("crop_size") {
                configuration.crop = try reader.cropSize(crop, key: "crop_size")
            } else if configuration.crop == nil {
                throw .invalidConfiguration(file: file, key: "crop_size", reason: "do_center_crop is true but crop_size is missing")
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
        let defaultNormalization = defaults.normalization ?? .openAI
        if try reader.bool("do_normalize") ?? true {
            let mean = try reader.channelValues("image_mean") ?? defaultNormalization.mean
            let std = try reader.channelValues("image_std") ?? defaultNormalization.std
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
