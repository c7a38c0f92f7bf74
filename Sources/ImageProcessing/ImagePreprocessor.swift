import Foundation
import TensorCore

/// Turns images into CLIP's (or SigLIP's) `pixel_values`: a Float32 tensor `[batch, 3, height, width]`,
/// channels red, green, blue.
///
/// The steps and their arithmetic are those of transformers' `CLIPImageProcessor` on its
/// Pillow backend (`CLIPImageProcessorPil`, `backend="pil"`): resize with Pillow's fixed-point
/// convolution (bicubic for CLIP), center crop (zero-padded when the image is smaller), rescale and
/// normalize in Float32. With ``PreprocessingConfiguration/siglip`` settings (resize straight to
/// the model size, no crop) they are those of `SiglipImageProcessorPil`. For an 8-bit RGB input
/// the output equals transformers' bit for bit. Images
/// are first decoded upright (EXIF orientation applied) and converted to RGB by the `loader`.
///
/// Only the part of the resized image that survives the crop is computed, so an image with an
/// extreme aspect ratio costs no more than a square one.
public struct ImagePreprocessor: Sendable {
    /// The resize/crop/normalize settings.
    public var configuration: PreprocessingConfiguration
    /// How files and bytes are decoded (decoders, pixel limit, orientation, alpha).
    public var loader: ImageLoader

    /// A preprocessor with the given settings (OpenAI CLIP's by default) and loader.
    public init(configuration: PreprocessingConfiguration = .openAI, loader: ImageLoader = ImageLoader()) {
        self.configuration = configuration
        self.loader = loader
    }


    // MARK: - 8-bit stage

    /// The image resized and center-cropped (or padded with `configuration.paddingValue`),
    /// still 8-bit: what the model sees before rescaling and normalization.
    /// - Throws: `ImageProcessingError.imageTooLarge` when, without a crop, the resized image would
    ///   exceed the loader's pixel limit.
    public func preparedImage(_ image: RGBImage) throws(ImageProcessingError) -> RGBImage {
        let resized = configuration.resizedSize(width: image.width, height: image.height)
        let (outputHeight, outputWidth) = configuration.outputSize(width: image.width, height: image.height)
        let limit = loader.options.maximumPixelCount
        let (outputPixels, overflow) = outputWidth.multipliedReportingOverflow(by: outputHeight)
        guard !overflow, outputPixels <= limit else {
            throw .imageTooLarge(source: "<preprocessed>", width: outputWidth, height: outputHeight, limit: limit)
        }

        let columns: (source: Range<Int>, destination: Int)
        let rows: (source: Range<Int>, destination: Int)
        if configuration.cropSize != nil {
            columns = configuration.cropWindow(extent: resized.width, crop: outputWidth)
            rows = configuration.cropWindow(extent: resized.height, crop: outputHeight)
        } else {
            columns = (0..<resized.width, 0)
            rows = (0..<resized.height, 0)
        }
        let window = image.pixels.withUnsafeBufferPointer {
            Resampler.resize(
                $0, width: image.width, height: image.height, channels: 3,
                outputWidth: resized.width, outputHeight: resized.height,
                columns: columns.source, rows: rows.source, filter: configuration.filter)
        }
        if columns.source.count == outputWidth && rows.source.count == outputHeight {
            return RGBImage(unchecked: outputWidth, outputHeight, window)
        }
        // Paste the window into a padded canvas.
        var canvas = [UInt8](repeating: configuration.paddingValue, count: outputWidth * outputHeight * 3)
        let rowBytes = columns.source.count * 3
        canvas.withUnsafeMutableBufferPointer { out in
            window.withUnsafeBufferPointer { src in
                for y in 0..<rows.source.count {
                    let target = ((rows.destination + y) * outputWidth + columns.destination) * 3
                    for i in 0..<rowBytes { out[target + i] = src[y * rowBytes + i] }
                }
            }
        }
        return RGBImage(unchecked: outputWidth, outputHeight, canvas)
    }

    // MARK: - Tensors

    /// `pixel_values` of one image: shape `[1, 3, height, width]`.
    public func pixelValues(for image: RGBImage) throws(ImageProcessingError) -> Tensor {
        try pixelValues(for: [image])
    }

    /// `pixel_values` of a batch: shape `[images.count, 3, height, width]`. Images are processed
    /// concurrently, on the `ComputeThreads` (on the calling thread alone when its count is 1).
    /// - Throws: `.emptyBatch`, `.batchShapeMismatch` when (without a crop) the images
    ///   preprocess to different sizes, or an error of `preparedImage(_:)`.
    public func pixelValues(for images: [RGBImage]) throws(ImageProcessingError) -> Tensor {
        try Self.allOrFirstError(batch(of: images))
    }

    /// `pixel_values` of one image file: shape `[1, 3, height, width]`.
    public func pixelValues(contentsOf url: URL) throws(ImageProcessingError) -> Tensor {
        try pixelValues(contentsOf: [url])
    }

    /// `pixel_values` of image files: shape `[urls.count, 3, height, width]`, decoded and
    /// processed concurrently, on the `ComputeThreads` (on the calling thread alone when its
    /// count is 1).
    /// - Throws: the first failing image's error (decoding, limits, shapes), naming its file.
    public func pixelValues(contentsOf urls: [URL]) throws(ImageProcessingError) -> Tensor {
        try Self.allOrFirstError(batch(contentsOf: urls))
    }

    /// The batch's pixels when every input could be used; else the error of the first that
    /// could not (`.emptyBatch` for no inputs).
    private static func allOrFirstError(_ batch: PreprocessedBatch) throws(ImageProcessingError) -> Tensor {
        if let failure = batch.failures.first { throw failure.error }
        guard let pixels = batch.pixelValues else { throw .emptyBatch }
        return pixels
    }

    /// Writes the normalized planes of `image` (already prepared) into `destination`
    /// (`3 * height * width` floats, channel-major).
    func normalize(_ image: RGBImage, into destination: UnsafeMutablePointer<Float>) {
        let tables = lookupTables
        let planeSize = image.width * image.height
        image.pixels.withUnsafeBufferPointer { src in
            tables.withUnsafeBufferPointer { lut in
                guard let src = src.baseAddress, let lut = lut.baseAddress else { return }
                let red = destination, green = destination + planeSize, blue = destination + 2 * planeSize
                let redTable = lut, greenTable = lut + 256, blueTable = lut + 512
                for i in 0..<planeSize {
                    red[i] = redTable[Int(src[3 * i])]
                    green[i] = greenTable[Int(src[3 * i + 1])]
                    blue[i] = blueTable[Int(src[3 * i + 2])]
                }
            }
        }
    }

    /// For each channel, the output float of each 8-bit value, computed with the reference's
    /// operations and precision (so the tensor matches it exactly).
    var lookupTables: [Float] {
        var table = [Float](repeating: 0, count: 768)
        for channel in 0..<3 {
            for value in 0..<256 {
                var x: Float
                switch configuration.rescaling {
                case .none: x = Float(value)
                case let .multiply(factor): x = Float(Double(value) * factor)
                case let .divide(divisor): x = Float(value) / divisor
                }
                if let normalization = configuration.normalization {
                    x = (x - normalization.mean[channel]) / normalization.std[channel]
                }
                table[channel * 256 + value] = x
            }
        }
        return table
    }
}
