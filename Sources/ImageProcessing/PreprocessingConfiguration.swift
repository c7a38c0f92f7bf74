import Foundation

/// The settings of CLIP and SigLIP image preprocessing: resize, center crop (or pad), rescale,
/// normalize.
///
/// Decode them from transformers' image-processor settings (`CLIPImageProcessor` or
/// `SiglipImageProcessor`) with ``init(transformersJSON:file:unnamedProcessor:)`` or from an
/// OpenCLIP configuration with ``init(openCLIPJSON:file:)``, or start from ``openAI``,
/// ``siglip`` or ``siglip(height:width:filter:)``; which file of a model
/// folder applies is the model layer's decision (`CLIPModelDirectory`), not this module's.
/// Values that would silently change the numbers when misspelled or out of range (an unknown size
/// key, an unsupported `resample`, three means with two stds, ...) are errors, not defaults.
public struct PreprocessingConfiguration: Sendable, Equatable {
    /// How the output size of the resize is chosen from the image size.
    public enum Resize: Sendable, Equatable {
        /// Shortest edge becomes `size`; the other edge is `Int(size * long / short)` (truncated),
        /// as transformers' `get_resize_output_image_size` and torchvision's `Resize(int)` compute it.
        case shortestEdge(Int)
        /// Shortest edge `shortest` unless the longest edge would exceed `longest`, computed like
        /// transformers' `get_size_with_aspect_ratio` (`size: {"shortest_edge", "longest_edge"}`).
        case shortestEdgeLimited(shortest: Int, longest: Int)
        /// Exactly `height`×`width`, ignoring the aspect ratio (`size: {"height", "width"}`,
        /// OpenCLIP `resize_mode: "squash"`, SigLIP's resize).
        case exact(height: Int, width: Int)
        /// OpenCLIP's `ResizeKeepRatio`: scale by one factor so the image covers `height`×`width`
        /// (`fitsInside` false, the smaller ratio) or fits inside it (`fitsInside` true,
        /// `resize_mode: "longest"`); each edge is rounded half to even.
        case keepingAspectRatio(height: Int, width: Int, fitsInside: Bool)
    }

    /// How pixel values 0...255 become floats before normalization.
    public enum Rescaling: Sendable, Equatable {
        /// Values stay 0...255.
        case none
        /// `Float(Double(value) * factor)`: transformers' `rescale` (factor 1/255 by default).
        case multiply(Double)
        /// `Float(value) / divisor` in single precision: torchvision's `ToTensor` (divisor 255).
        case divide(Float)
    }

    /// Whose rounding the center crop and padding follow.
    public enum CropConvention: Sendable, Equatable {
        /// transformers' `center_crop`: crop offset `(size - crop) / 2` rounded down; an image
        /// smaller than the crop is placed at `ceil((crop - size) / 2)`.
        case transformers
        /// torchvision's `CenterCrop` (OpenCLIP): crop offset `round((size - crop) / 2)` (half to
        /// even); a smaller image is placed at `(crop - size) / 2` rounded down.
        case torchvision
    }

    /// Per-channel mean and standard deviation: `(x - mean[c]) / std[c]` in Float32.
    public struct Normalization: Sendable, Equatable {
        /// Red, green, blue means (in the rescaled units).
        public var mean: [Float]
        /// Red, green, blue standard deviations (nonzero).
        public var std: [Float]

        /// OpenAI CLIP's statistics.
        public static let openAI = Normalization(
            uncheckedMean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711])

        /// SigLIP's statistics: mean 0.5 and standard deviation 0.5 for every channel (transformers'
        /// `IMAGENET_STANDARD_MEAN` / `IMAGENET_STANDARD_STD`), mapping 0...1 to -1...1.
        public static let siglip = Normalization(uncheckedMean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])

        /// Validates three finite means and three finite nonzero standard deviations.
        /// - Throws: `ImageProcessingError.invalidConfiguration`.
        public init(mean: [Float], std: [Float]) throws(ImageProcessingError) {
            guard mean.count == 3, mean.allSatisfy(\.isFinite) else {
                throw .invalidConfiguration(file: "<arguments>", key: "mean", reason: "needs 3 finite values, got \(mean)")
            }
            guard std.count == 3, std.allSatisfy({ $0.isFinite && $0 != 0 }) else {
                throw .invalidConfiguration(file: "<arguments>", key: "std", reason: "needs 3 finite nonzero values, got \(std)")
            }
            self.mean = mean
            self.std = std
        }

        init(uncheckedMean mean: [Float], std: [Float]) {
            self.mean = mean
            self.std = std
        }
    }

    /// The resize rule, or `nil` to keep the decoded size (`do_resize: false`).
    public var resize: Resize?
    /// The resampling filter of the resize.
    public var filter: ResamplingFilter
    /// The center crop size as (height, width), or `nil` for no crop (`do_center_crop: false`).
    public var cropSize: (height: Int, width: Int)? {
        get { crop.map { ($0.height, $0.width) } }
        set { crop = newValue.map { CropSize(height: $0.height, width: $0.width) } }
    }
    /// The crop/pad rounding convention.
    public var cropConvention: CropConvention
    /// The 8-bit value written where padding fills a crop larger than the image (all channels).
    public var paddingValue: UInt8
    /// How 8-bit values become floats.
    public var rescaling: Rescaling
    /// The normalization, or `nil` for none (`do_normalize: false`).
    public var normalization: Normalization?

    struct CropSize: Sendable, Equatable {
        var height: Int
        var width: Int
    }
    var crop: CropSize?

    /// A configuration from its parts. Sizes must be positive.
    /// - Throws: `ImageProcessingError.invalidConfiguration` for a non-positive size.
    public init(
        resize: Resize?, filter: ResamplingFilter = .bicubic, cropSize: (height: Int, width: Int)?,
        cropConvention: CropConvention = .transformers, paddingValue: UInt8 = 0,
        rescaling: Rescaling = .multiply(1.0 / 255.0), normalization: Normalization? = .openAI
    ) throws(ImageProcessingError) {
        self.resize = resize
        self.filter = filter
        self.crop = cropSize.map { CropSize(height: $0.height, width: $0.width) }
        self.cropConvention = cropConvention
        self.paddingValue = paddingValue
        self.rescaling = rescaling
        self.normalization = normalization
        try validate(file: "<arguments>")
    }

    /// OpenAI CLIP's preprocessing (and `CLIPImageProcessor`'s defaults): shortest edge 224 with
    /// bicubic resampling, 224×224 center crop, rescale by 1/255, OpenAI mean and std.
    public static let openAI = PreprocessingConfiguration(
        unchecked: .shortestEdge(224), filter: .bicubic, crop: CropSize(height: 224, width: 224),
        cropConvention: .transformers, paddingValue: 0, rescaling: .multiply(1.0 / 255.0),
        normalization: .openAI)

    /// SigLIP's preprocessing at 224×224 (and `SiglipImageProcessor`'s defaults): resize straight to
    /// 224×224 with bicubic resampling (no aspect ratio kept, no crop), rescale by 1/255, mean and
    /// std 0.5.
    public static let siglip = PreprocessingConfiguration(
        unchecked: .exact(height: 224, width: 224), filter: .bicubic, crop: nil, cropConvention: .transformers,
        paddingValue: 0, rescaling: .multiply(1.0 / 255.0), normalization: .siglip)

    /// SigLIP's preprocessing for a `height`×`width` model input: resize straight to that size with
    /// `filter` (bicubic for SigLIP; fixed-resolution SigLIP 2 checkpoints ship bilinear), no crop,
    /// rescale by 1/255, mean and std 0.5.
    /// - Throws: `ImageProcessingError.invalidConfiguration` for a size outside 1...1048576.
    public static func siglip(
        height: Int, width: Int, filter: ResamplingFilter = .bicubic
    ) throws(ImageProcessingError) -> PreprocessingConfiguration {
        try PreprocessingConfiguration(
            resize: .exact(height: height, width: width), filter: filter, cropSize: nil,
            rescaling: .multiply(1.0 / 255.0), normalization: .siglip)
    }

    /// SigLIP's preprocessing for a square `imageSize`×`imageSize` model input
    /// (``siglip(height:width:filter:)``).
    /// - Throws: `ImageProcessingError.invalidConfiguration` for a size outside 1...1048576.
    public static func siglip(
        imageSize: Int, filter: ResamplingFilter = .bicubic
    ) throws(ImageProcessingError) -> PreprocessingConfiguration {
        try siglip(height: imageSize, width: imageSize, filter: filter)
    }

    init(
        unchecked resize: Resize?, filter: ResamplingFilter, crop: CropSize?, cropConvention: CropConvention,
        paddingValue: UInt8, rescaling: Rescaling, normalization: Normalization?
    ) {
        self.resize = resize
        self.filter = filter
        self.crop = crop
        self.cropConvention = cropConvention
        self.paddingValue = paddingValue
        self.rescaling = rescaling
        self.normalization = normalization
    }

    /// Configurations are equal when every setting is.
    public static func == (lhs: PreprocessingConfiguration, rhs: PreprocessingConfiguration) -> Bool {
        lhs.resize == rhs.resize && lhs.filter == rhs.filter && lhs.crop == rhs.crop
            && lhs.cropConvention == rhs.cropConvention && lhs.paddingValue == rhs.paddingValue
            && lhs.rescaling == rhs.rescaling && lhs.normalization == rhs.normalization
    }

    func validate(file: String) throws(ImageProcessingError) {
        func positive(_ value: Int, _ key: String) throws(ImageProcessingError) {
            guard value > 0, value <= 1 << 20 else {
                throw .invalidConfiguration(file: file, key: key, reason: "must be between 1 and 1048576, got \(value)")
            }
        }
        switch resize {
        case nil: break
        case let .shortestEdge(size)?: try positive(size, "size.shortest_edge")
        case let .shortestEdgeLimited(shortest, longest)?:
            try positive(shortest, "size.shortest_edge")
            try positive(longest, "size.longest_edge")
        case let .exact(height, width)?, let .keepingAspectRatio(height, width, _)?:
            try positive(height, "size.height")
            try positive(width, "size.width")
        }
        if let crop {
            try positive(crop.height, "crop_size.height")
            try positive(crop.width, "crop_size.width")
        }
        switch rescaling {
        case .none: break
        case let .multiply(factor):
            guard factor.isFinite, factor > 0 else {
                throw .invalidConfiguration(file: file, key: "rescale_factor", reason: "must be a positive number, got \(factor)")
            }
        case let .divide(divisor):
            guard divisor.isFinite, divisor > 0 else {
                throw .invalidConfiguration(file: file, key: "rescale_factor", reason: "must be a positive number, got \(divisor)")
            }
        }
    }

    // MARK: - Output geometry

    /// The size (width, height) the resize produces for an image of `width`×`height`.
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        guard let resize else { return (width, height) }
        switch resize {
        case let .shortestEdge(size):
            // transformers' get_resize_output_image_size(default_to_square=False).
            let short = min(width, height), long = max(width, height)
            let newLong = clampedSize(Double(size) * Double(long) / Double(short))
            return width <= height ? (size, newLong) : (newLong, size)
        case let .shortestEdgeLimited(shortest, longest):
            // transformers' get_size_with_aspect_ratio.
            var size = shortest
            var rawSize: Double?
            let minSide = Double(min(width, height)), maxSide = Double(max(width, height))
            if maxSide / minSide * Double(size) > Double(longest) {
                let raw = Double(longest) * minSide / maxSide
                rawSize = raw
                size = clampedSize(raw.rounded(.toNearestOrEven))
            }
            if (height <= width && height == size) || (width <= height && width == size) {
                return (width, height)
            } else if width < height {
                let newHeight = clampedSize(rawSize.map { $0 * Double(height) / Double(width) }
                    ?? Double(size) * Double(height) / Double(width))
                return (size, newHeight)
            } else {
                let newWidth = clampedSize(rawSize.map { $0 * Double(width) / Double(height) }
                    ?? Double(size) * Double(width) / Double(height))
                return (newWidth, size)
            }
        case let .exact(h, w):
            return (w, h)
        case let .keepingAspectRatio(targetHeight, targetWidth, fitsInside):
            // OpenCLIP's ResizeKeepRatio.get_params (without the random parts).
            let ratioHeight = Double(height) / Double(targetHeight)
            let ratioWidth = Double(width) / Double(targetWidth)
            let ratio = fitsInside ? max(ratioHeight, ratioWidth) : min(ratioHeight, ratioWidth)
            let newHeight = clampedSize((Double(height) / ratio).rounded(.toNearestOrEven))
            let newWidth = clampedSize((Double(width) / ratio).rounded(.toNearestOrEven))
            return (newWidth, newHeight)
        }
    }

    /// `Int(value)` (truncating, like Python's `int()`), kept within 1...2^40 so absurd aspect
    /// ratios cannot overflow; such sizes are refused later by the pixel limit.
    private func clampedSize(_ value: Double) -> Int {
        guard value.isFinite else { return 1 << 40 }
        return Int(min(max(value, 1), Double(1 << 40)))
    }

    /// The output (height, width) for an image of `width`×`height`: the crop size when cropping,
    /// else the resized size.
    public func outputSize(width: Int, height: Int) -> (height: Int, width: Int) {
        if let crop { return (crop.height, crop.width) }
        let resized = resizedSize(width: width, height: height)
        return (resized.height, resized.width)
    }

    /// One axis of the center crop: which resized pixels `source` land at `destination` in an
    /// output of `crop` pixels (the rest is padding).
    func cropWindow(extent: Int, crop: Int) -> (source: Range<Int>, destination: Int) {
        if extent >= crop {
            let offset: Int
            switch cropConvention {
            case .transformers:
                offset = (extent - crop) / 2
            case .torchvision:
                offset = Int((Double(extent - crop) / 2).rounded(.toNearestOrEven))
            }
            return (offset..<(offset + crop), 0)
        }
        let padding: Int
        switch cropConvention {
        case .transformers: padding = (crop - extent + 1) / 2
        case .torchvision: padding = (crop - extent) / 2
        }
        return (0..<extent, padding)
    }
}
