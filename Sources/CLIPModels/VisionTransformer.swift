import TensorCore

/// An image tower: a ViT that maps normalized pixels to image embeddings.
///
/// CLIP: patch embedding (a convolution with stride = patch size and no bias, computed as
/// im2col + GEMM), class token, learned positional embedding, pre-LayerNorm, pre-norm encoder
/// layers, post-LayerNorm of the class token, projection. SigLIP: patch embedding with bias,
/// positional embedding, encoder, post-LayerNorm of every token, attention-pooling head
/// (``ModelFamily``). Immutable and safe to share between threads.
public struct VisionTransformer: ImageTower {
    /// The tower's sizes.
    public let architecture: VisionArchitecture
    /// The width of the output embeddings.
    public let embeddingDimension: Int

    /// `[width, channels·patch·patch]`; SigLIP's has a bias.
    let patchEmbedding: LinearLayer
    /// `[tokens, width]`.
    let positionEmbedding: Tensor
    let encoder: TransformerEncoder
    let postNorm: LayerNormWeights
    /// What turns the encoder's tokens into the embedding.
    let pooling: Pooling
    let workspaces = WorkspacePool()

    /// The family-specific parts of the tower.
    enum Pooling: Sendable {
        /// CLIP: the class token goes in before the pre-LayerNorm and comes out projected.
        case classToken(ClassTokenPooling)
        /// SigLIP: every token, after the post-LayerNorm, through the pooling head.
        case attentionHead(AttentionPoolingHead)
    }

    /// CLIP's class token, pre-LayerNorm and projection.
    struct ClassTokenPooling: Sendable {
        /// `[width]`.
        let classEmbedding: Tensor
        let preNorm: LayerNormWeights
        /// `[embedding, width]`, no bias; always Float32.
        let projection: LinearLayer
        /// The projection's values (`[embedding, width]`), for ``CLIPModel/fingerprint``.
        let projectionMatrix: Tensor
    }

    init(architecture: VisionArchitecture, embeddingDimension: Int, binding: VisionTowerBinding,
         loader: WeightLoader) throws(CLIPModelError) {
        self.architecture = architecture
        self.embeddingDimension = embeddingDimension
        patchEmbedding = try loader.linear(binding.patchEmbedding, bias: binding.patchBias)
        positionEmbedding = try loader.load(binding.positionEmbedding)
        var classPart: (Tensor, LayerNormWeights)?
        if let classEmbedding = binding.classEmbedding, let preNorm = binding.preNorm {
            classPart = (try loader.load(classEmbedding), try loader.load(preNorm))
        }
        var layers: [EncoderLayerWeights] = []
        for layer in binding.layers { layers.append(try loader.load(layer)) }
        encoder = TransformerEncoder(architecture: architecture.encoder, layers: layers)
        postNorm = try loader.load(binding.postNorm)
        if let head = binding.head {
            pooling = .attentionHead(try AttentionPoolingHead(binding: head, encoder: architecture.encoder,
                                                              loader: loader))
        } else if let (classEmbedding, preNorm) = classPart, let projection = binding.projection {
            let matrix = try loader.load(projection)
            pooling = .classToken(ClassTokenPooling(
                classEmbedding: classEmbedding, preNorm: preNorm,
                projection: try LinearLayer(weight: matrix, bias: nil, precision: .float32,
                                            name: projection.sources.map(\.key).joined(separator: ", ")),
                projectionMatrix: matrix))
        } else {
            throw .unsupportedArchitecture(file: "vision tower", reason: "neither a class token nor a pooling head")
        }
    }

    /// The side of the square input image in pixels.
    public var imageSize: Int { architecture.imageSize }
    /// The number of input channels.
    public var channels: Int { architecture.channels }

    /// The kernels of the tower's products so far (for ``CLIPModel/kernelDescription``).
    public var kernelNames: Set<String> {
        linearLayers.reduce(into: Set<String>()) { $0.formUnion($1.implementations) }
    }

    /// CLIP: the projection, then the class embedding; SigLIP: the pooling head's probe and its
    /// query.
    public var fingerprintTensors: TowerFingerprint {
        switch pooling {
        case let .classToken(clip): return TowerFingerprint(projection: clip.projectionMatrix, others: [clip.classEmbedding])
        case let .attentionHead(head): return TowerFingerprint(projection: nil, others: [head.probe, head.query])
        }
    }

    /// The linear layers of the tower.
    var linearLayers: [LinearLayer] {
        var result = encoder.layers.flatMap(\.linearLayers) + [patchEmbedding]
        if case let .attentionHead(head) = pooling { result += head.linearLayers }
        return result
    }

    /// The largest number of images computed at once; bigger batches are split so that the
    /// scratch memory stays bounded (about 4096 token rows).
    var imagesPerChunk: Int { max(1, 4096 / architecture.tokenCount) }

    /// The projected image embeddings of a batch of normalized pixel tensors.
    /// - Parameter pixelValues: `[batch, channels, imageSize, imageSize]`, already resized,
    ///   cropped and normalized (what `CLIPImageProcessor` returns as `pixel_values`).
    /// - Returns: `[batch, embeddingDimension]`, not normalized.
    /// - Throws: `CLIPModelError.invalidPixelValues` for a wrong shape, `emptyBatch` for no images.
    public func encode(pixelValues: Tensor) throws(CLIPModelError) -> Tensor {
        let a = architecture
        let expected = [pixelValues.shape.first ?? 0, a.channels, a.imageSize, a.imageSize]
        guard pixelValues.rank == 4, pixelValues.shape == expected else {
            throw .invalidPixelValues(shape: pixelValues.shape, expected: [-1, a.channels, a.imageSize, a.imageSize])
        }
        let batch = expected[0]
        guard batch > 0 else { throw .emptyBatch(input: "images") }
        let e = embeddingDimension
        let imageLength = a.channels * a.imageSize * a.imageSize
        let chunk = min(batch, imagesPerChunk)
        var result: Tensor
        do {
            result = try Tensor(shape: [batch, e])
        } catch {
            throw .tensor(error, context: "vision transformer")
        }
        try workspaces.withWorkspace(
            rows: chunk * a.tokenCount, width: a.encoder.width,
            wideColumns: max(a.encoder.mlpWidth, a.patchLength, a.encoder.width), tokens: a.tokenCount,
            precision: patchEmbedding.precision
        ) { (workspace) throws(CLIPModelError) in
            try result.withUnsafeMutableBufferPointer { (output) throws(CLIPModelError) in
                guard let out = output.baseAddress else { return }
                try pixelValues.withUnsafeBufferPointer { (pixels) throws(CLIPModelError) in
                    guard let pixels = pixels.baseAddress else { return }
                    var start = 0
                    while start < batch {
                        let count = min(chunk, batch - start)
                        try forward(pixels + start * imageLength, images: count, workspace: workspace,
                                    into: out + start * e)
                        start += count
                    }
                }
            }
        }
        return result
    }

    /// Runs `images` images (`[images, channels, size, size]` at `pixels`) and writes their
    /// projected embeddings (`[images, embedding]`) to `output`.
    private func forward(_ pixels: UnsafePointer<Float>, images: Int,
                         workspace ws: EncoderWorkspace, into output: UnsafeMutablePointer<Float>) throws(CLIPModelError) {
        let a = architecture
        let hidden = ws.hidden
        let width = a.encoder.width
        let tokens = a.tokenCount
        let grid = a.gridSize
        let p = a.patchSize
        let size = a.imageSize
        let patchesPerImage = grid * grid

        // im2col (Kernels.extractPatches): each patch flattened in (channel, row, column) order,
        // matching the convolution weight `[width, channels, p, p]` flattened to
        // `[width, channels·p·p]`. The flattened patches go to `wide`, the patch embeddings to
        // `context` (both large enough: rows ≥ patches, columns ≥ patchLength, width).
        let columns = ws.wide
        Kernels.extractPatches(pixels, count: images, channels: a.channels, height: size, width: size, patch: p,
                               into: columns)
        guard case let .classToken(clip) = pooling else {
            // SigLIP: patches (with the convolution's bias) + positional embedding, every layer
            // over every token, the post-LayerNorm of every token, the pooling head.
            try project(columns, rows: images * patchesPerImage, through: patchEmbedding, into: hidden, workspace: ws)
            positionEmbedding.withUnsafeBufferPointer { pos in
                guard let pos = pos.baseAddress else { return }
                for image in 0..<images { Kernels.add(pos, to: hidden + image * tokens * width, count: tokens * width) }
            }
            try encoder.runAll(hidden, sequences: images, tokens: tokens, workspace: ws)
            layerNorm(hidden, into: hidden, rows: images * tokens, width: width, weights: postNorm,
                      epsilon: a.encoder.layerNormEpsilon)
            if case let .attentionHead(head) = pooling {
                try head.pool(hidden, sequences: images, tokens: tokens, into: output, workspace: ws)
            }
            return
        }
        let embedded = ws.context
        try project(columns, rows: images * patchesPerImage, through: patchEmbedding, into: embedded, workspace: ws)

        // [class token; patches] + positional embedding, then the pre-LayerNorm.
        clip.classEmbedding.withUnsafeBufferPointer { cls in
            positionEmbedding.withUnsafeBufferPointer { pos in
                guard let cls = cls.baseAddress, let pos = pos.baseAddress else { return }
                for image in 0..<images {
                    let dst = hidden + image * tokens * width
                    dst.update(from: cls, count: width)
                    (dst + width).update(from: embedded + image * patchesPerImage * width, count: patchesPerImage * width)
                    Kernels.add(pos, to: dst, count: tokens * width)
                }
            }
        }
        layerNorm(hidden, into: hidden, rows: images * tokens, width: width, weights: clip.preNorm,
                  epsilon: a.encoder.layerNormEpsilon)

        // Post-LayerNorm of each class token (position 0), then the projection.
        let classTokens = ws.pooled
        try encoder.run(hidden, sequences: images, tokens: tokens, causal: false,
                        pooling: Array(repeating: 0, count: images), into: classTokens, workspace: ws)
        let pooled = ws.normalized
        layerNorm(classTokens, into: pooled, rows: images, width: width, weights: postNorm,
                  epsilon: a.encoder.layerNormEpsilon)
        try project(pooled, rows: images, through: clip.projection, into: output, workspace: ws)
    }
}
