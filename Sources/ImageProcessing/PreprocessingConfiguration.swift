import Foundation

/// The settings of CLIP image preprocessing: resize, center crop (or pad), rescale, normalize.
///
/// Read them from a model directory with ``load(modelDirectory:)`` (Hugging Face
/// `preprocessor_config.json`, else OpenCLIP `open_clip_config.json`, else OpenAI CLIP's defaults),
/// or decode one file with ``init(transformersJSON:file:)`` / ``init(openCLIPJSON:file:)``.
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
        /// OpenCLIP `resize_mode: "squash"`).
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
    private var crop: CropSize?

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

    private init(
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

    private func validate(file: String) throws(ImageProcessingError) {
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

// MARK: - Loading

extension PreprocessingConfiguration {
    /// The configuration of a model directory: `preprocessor_config.json` when present, else the
    /// `preprocess_cfg` (and `model_cfg.vision_cfg.image_size`) of `open_clip_config.json`, else
    /// ``openAI``.
    /// - Throws: `ImageProcessingError.fileUnreadable` or `.invalidConfiguration` naming the file and key.
    public static func load(modelDirectory: URL) throws(ImageProcessingError) -> PreprocessingConfiguration {
        let transformers = modelDirectory.appendingPathComponent("preprocessor_config.json")
        if FileManager.default.fileExists(atPath: transformers.path) {
            return try PreprocessingConfiguration(transformersJSON: readConfig(transformers), file: transformers.path)
        }
        let openCLIP = modelDirectory.appendingPathComponent("open_clip_config.json")
        if FileManager.default.fileExists(atPath: openCLIP.path) {
            return try PreprocessingConfiguration(openCLIPJSON: readConfig(openCLIP), file: openCLIP.path)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: modelDirectory.path, isDirectory: &isDirectory),
              isDirectory.boolValue
        else { throw .fileUnreadable(path: modelDirectory.path, reason: "not a directory") }
        return .openAI
    }

    private static func readConfig(_ url: URL) throws(ImageProcessingError) -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw .fileUnreadable(path: url.path, reason: "\(error.localizedDescription)")
        }
    }

    /// Decodes a Hugging Face `preprocessor_config.json` the way transformers 5's CLIP image
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
    public init(transformersJSON data: Data, file: String = "preprocessor_config.json") throws(ImageProcessingError) {
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

    /// Decodes an OpenCLIP `open_clip_config.json` the way `open_clip.create_model_and_transforms`
    /// builds its inference transform: the size is `model_cfg.vision_cfg.image_size` (else
    /// `preprocess_cfg.size`, else 224); `preprocess_cfg` gives `mean`, `std`, `interpolation`
    /// (`bicubic`, `bilinear`; `random` means bicubic at inference), `resize_mode` (`shortest`,
    /// `longest`, `squash`) and `fill_color`. Crops follow torchvision's rounding and values are
    /// divided by 255 in Float32 like `ToTensor`.
    /// - Throws: `ImageProcessingError.invalidConfiguration` naming `file` and the key.
    public init(openCLIPJSON data: Data, file: String = "open_clip_config.json") throws(ImageProcessingError) {
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

/// Typed access to the members of one JSON object, with errors naming the file and key path.
private struct ConfigReader {
    let members: [String: JSONValue]
    let file: String
    let prefix: String

    init(data: Data, file: String) throws(ImageProcessingError) {
        guard let root = JSONValue.parse(data) else {
            throw .invalidConfiguration(file: file, key: "<root>", reason: "not valid JSON")
        }
        guard case let .object(members) = root else {
            throw .invalidConfiguration(file: file, key: "<root>", reason: "expected a JSON object, got \(root.summary)")
        }
        self.init(members: members, file: file, prefix: "")
    }

    init(members: [String: JSONValue], file: String, prefix: String) {
        self.members = members
        self.file = file
        self.prefix = prefix
    }

    func emptyChild(prefix: String) -> ConfigReader {
        ConfigReader(members: [:], file: file, prefix: prefix)
    }

    private func fail(_ key: String, _ reason: String) -> ImageProcessingError {
        .invalidConfiguration(file: file, key: prefix + key, reason: reason)
    }

    /// The value of `key`, treating JSON `null` as absent.
    func value(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func object(_ key: String, prefix childPrefix: String) throws(ImageProcessingError) -> ConfigReader? {
        guard let value = value(key) else { return nil }
        guard case let .object(members) = value else { throw fail(key, "expected an object, got \(value.summary)") }
        return ConfigReader(members: members, file: file, prefix: childPrefix + key + ".")
    }

    func bool(_ key: String) throws(ImageProcessingError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case let .bool(flag) = value else { throw fail(key, "expected true or false, got \(value.summary)") }
        return flag
    }

    func string(_ key: String) throws(ImageProcessingError) -> String? {
        guard let value = value(key) else { return nil }
        guard case let .string(text) = value else { throw fail(key, "expected a string, got \(value.summary)") }
        return text
    }

    func number(_ key: String) throws(ImageProcessingError) -> Double? {
        guard let value = value(key) else { return nil }
        guard case let .number(number) = value, number.isFinite else { throw fail(key, "expected a number, got \(value.summary)") }
        return number
    }

    func integer(_ key: String) throws(ImageProcessingError) -> Int? {
        guard let value = value(key) else { return nil }
        return try integer(value, key: key)
    }

    func integer(_ value: JSONValue, key: String) throws(ImageProcessingError) -> Int {
        guard case let .number(number) = value, number == number.rounded(), abs(number) < 1e15 else {
            throw fail(key, "expected an integer, got \(value.summary)")
        }
        return Int(number)
    }

    /// One number for all three channels, or three numbers.
    func channelValues(_ key: String) throws(ImageProcessingError) -> [Float]? {
        guard let value = value(key) else { return nil }
        switch value {
        case let .number(number) where number.isFinite:
            return Array(repeating: Float(number), count: 3)
        case let .array(items) where items.count == 3:
            var values: [Float] = []
            for item in items {
                guard case let .number(number) = item, number.isFinite else {
                    throw fail(key, "expected 3 numbers, got \(value.summary)")
                }
                values.append(Float(number))
            }
            return values
        default:
            throw fail(key, "expected a number or 3 numbers (one per RGB channel), got \(value.summary)")
        }
    }

    /// An integer, a one- or two-element list, or `{"height", "width"}` as (height, width).
    func heightWidth(_ value: JSONValue, key: String) throws(ImageProcessingError) -> (Int, Int) {
        switch value {
        case .number:
            let size = try integer(value, key: key)
            return (size, size)
        case let .array(items) where items.count == 1:
            let size = try integer(items[0], key: key)
            return (size, size)
        case let .array(items) where items.count == 2:
            return (try integer(items[0], key: key), try integer(items[1], key: key))
        case let .object(members) where Set(members.keys) == ["height", "width"]:
            return (try integer(members["height"] ?? .null, key: key + ".height"),
                    try integer(members["width"] ?? .null, key: key + ".width"))
        default:
            throw fail(key, "expected an integer, [height, width] or {\"height\", \"width\"}, got \(value.summary)")
        }
    }

    func resize(_ value: JSONValue, key: String, defaultToSquare: Bool) throws(ImageProcessingError)
        -> PreprocessingConfiguration.Resize
    {
        switch value {
        case .number:
            let size = try integer(value, key: key)
            return defaultToSquare ? .exact(height: size, width: size) : .shortestEdge(size)
        case let .object(members):
            let keys = Set(members.keys)
            if keys == ["shortest_edge"] {
                return .shortestEdge(try integer(members["shortest_edge"] ?? .null, key: key + ".shortest_edge"))
            }
            if keys == ["shortest_edge", "longest_edge"] {
                return .shortestEdgeLimited(
                    shortest: try integer(members["shortest_edge"] ?? .null, key: key + ".shortest_edge"),
                    longest: try integer(members["longest_edge"] ?? .null, key: key + ".longest_edge"))
            }
            if keys == ["height", "width"] {
                let (height, width) = try heightWidth(value, key: key)
                return .exact(height: height, width: width)
            }
            throw fail(key, "unsupported keys \(keys.sorted()); expected {\"shortest_edge\"}, "
                + "{\"shortest_edge\", \"longest_edge\"} or {\"height\", \"width\"}")
        default:
            let (height, width) = try heightWidth(value, key: key)
            return .exact(height: height, width: width)
        }
    }

    func cropSize(_ value: JSONValue, key: String) throws(ImageProcessingError) -> PreprocessingConfiguration.CropSize {
        let (height, width) = try heightWidth(value, key: key)
        return PreprocessingConfiguration.CropSize(height: height, width: width)
    }
}
