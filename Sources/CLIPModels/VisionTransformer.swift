import TensorCore

/// An image tower: a ViT that maps normalized pixels to image embeddings, with the parts its
/// ``VisionTowerOptions`` switch on.
///
/// Patch embedding (a convolution with stride = patch size, computed as im2col + GEMM; with a
/// bias for SigLIP), [class token], learned positional embedding, [pre-LayerNorm], pre-norm
/// encoder layers, then either class-token pooling (the post-LayerNorm of the class token; CLIP)
/// or the post-LayerNorm of every token and an attention-pooling head (SigLIP, PE), then the
/// projection (a matrix for CLIP, a linear layer with bias for timm's head, none for SigLIP).
/// Immutable and safe to share between threads.
public struct VisionTransformer: ImageTower {
    /// The tower's sizes.
    public let architecture: VisionArchitecture
    /// The width of the output embeddings.
    public let embeddingDimension: Int

    /// `[width, channels·patch·patch]`, with a bias when the options say so.
    let patchEmbedding: LinearLayer
    /// `[tokens, width]`.
    let positionEmbedding: Tensor
    /// `[width]`, when the tower has a class token.
    let classEmbedding: Tensor?
    let preNorm: LayerNorm?
    let encoder: TransformerEncoder
    let postNorm: LayerNorm
    /// The pooling head, when the tower pools by attention.
    let head: AttentionPoolingHead?
    /// CoCa's attentional pooler.
    let pooler: AttentionalPooler?
    /// `[embedding, width]` (+ bias), always Float32; nil when the pooled vector is the embedding.
    let projection: Projection?
    let workspaces = WorkspacePool()

    init(architecture: VisionArchitecture, embeddingDimension: Int, binding: Binding,
         loader: WeightLoader) throws(CLIPModelError) {
        self.architecture = architecture
        self.embeddingDimension = embeddingDimension
        patchEmbedding = try LinearLayer(binding.patchEmbedding, loader: loader)
        positionEmbedding = try loader.load(binding.positionEmbedding)
        classEmbedding = try binding.classEmbedding.map { (b) throws(CLIPModelError) in try loader.load(b) }
        preNorm = try binding.preNorm.map { (b) throws(CLIPModelError) in try LayerNorm(b, loader: loader) }
        let rotary = architecture.options.rotary.map {
            RotaryTable($0, grid: architecture.gridSize, headWidth: architecture.encoder.headWidth,
                        prefixTokens: architecture.options.classToken ? 1 : 0)
        }
        encoder = try TransformerEncoder(architecture: architecture.encoder, layers: binding.layers, rotary: rotary,
                                         loader: loader)
        postNorm = try LayerNorm(binding.postNorm, loader: loader)
        head = try binding.head.map { (head) throws(CLIPModelError) in
            try AttentionPoolingHead(head, encoder: architecture.encoder, loader: loader)
        }
        pooler = try binding.pooler.map { (pooler) throws(CLIPModelError) in
            try AttentionalPooler(pooler, epsilon: architecture.encoder.layerNormEpsilon, loader: loader)
        }
        projection = try binding.projection.map { (b) throws(CLIPModelError) in try Projection(b, loader: loader) }
        if case .classToken = architecture.options.pooling, classEmbedding == nil {
            throw .unsupportedArchitecture(file: "vision tower", reason: "class-token pooling without a class token")
        }
    }

    /// The MLP width of the pooling head (0 without one), for the workspace.
    private var headMLPWidth: Int {
        switch architecture.options.pooling {
        case let .attentionHead(_, mlp): return mlp
        case .attentionalPooler: return 2 * embeddingDimension   // its keys and values
        case .classToken, .meanOfPatches: return 0
        }
    }

    /// The side of the square input image in pixels.
    public var imageSize: Int { architecture.imageSize }
    /// The number of input channels.
    public var channels: Int { architecture.channels }

    /// The kernels of every product the tower has run so far, the Float32 projection included (for ``CLIPModel/kernelDescription``).
    public var kernelNames: Set<String> {
        (linearLayers + [projection?.layer].compactMap { $0 }).reduce(into: Set<String>()) {
            $0.formUnion($1.implementations)
        }
    }

    /// The projection (CLIP, PE), then the class embedding (CLIP, PE) and the pooling head's
    /// probe and query (SigLIP, PE).
    public var fingerprintTensors: TowerFingerprint {
        TowerFingerprint(projection: projection?.matrix,
                         others: [classEmbedding].compactMap { $0 } + (head.map { [$0.probe, $0.query] } ?? [])
                            + (pooler.map { [$0.queries] } ?? []))
    }

    /// The linear layers of the tower.
    var linearLayers: [LinearLayer] {
        encoder.linearLayers + [patchEmbedding] + (head?.linearLayers ?? [])
            + (pooler?.linearLayers ?? [])
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
            wideColumns: max(a.encoder.mlpWorkspaceColumns, a.patchLength, a.encoder.width, headMLPWidth), tokens: a.tokenCount,
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
        if let classEmbedding {
            // [class token; patches] + positional embedding.
            let embedded = ws.context
            try project(columns, rows: images * patchesPerImage, through: patchEmbedding, into: embedded, workspace: ws)
            classEmbedding.withUnsafeBufferPointer { cls in
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
        } else {
            // Patches (with the convolution's bias, SigLIP) + positional embedding.
            try project(columns, rows: images * patchesPerImage, through: patchEmbedding, into: hidden, workspace: ws)
            positionEmbedding.withUnsafeBufferPointer { pos in
                guard let pos = pos.baseAddress else { return }
                for image in 0..<images { Kernels.add(pos, to: hidden + image * tokens * width, count: tokens * width) }
            }
        }
        if let preNorm {
            layerNorm(hidden, into: hidden, rows: images * tokens, width: width, weights: preNorm,
                      epsilon: a.encoder.layerNormEpsilon)
        }

        let pooled: UnsafeMutablePointer<Float>
        if case let .meanOfPatches(normalizeAfter) = a.options.pooling {
            // Every layer over every token, the mean of each image's patch tokens, the
            // post-LayerNorm before or after it.
            try encoder.runAll(hidden, sequences: images, tokens: tokens, workspace: ws)
            if !normalizeAfter {
                layerNorm(hidden, into: hidden, rows: images * tokens, width: width, weights: postNorm,
                          epsilon: a.encoder.layerNormEpsilon)
            }
            let prefix = tokens - patchesPerImage
            let means = ws.pooled
            for image in 0..<images {
                let mean = means + image * width
                mean.update(repeating: 0, count: width)
                for token in prefix..<tokens {
                    Kernels.add(hidden + (image * tokens + token) * width, to: mean, count: width)
                }
                Kernels.scale(mean, count: width, by: 1 / Float(patchesPerImage))
            }
            pooled = ws.normalized
            if normalizeAfter {
                layerNorm(means, into: pooled, rows: images, width: width, weights: postNorm,
                          epsilon: a.encoder.layerNormEpsilon)
            } else {
                pooled.update(from: means, count: images * width)
            }
        } else if let pooler {
            // Every layer over every token, the pooler's query 0, its post-LayerNorm.
            try encoder.runAll(hidden, sequences: images, tokens: tokens, workspace: ws)
            try pooler.pool(hidden, sequences: images, tokens: tokens, towerWidth: width, into: ws.pooled, workspace: ws)
            pooled = ws.normalized
            layerNorm(ws.pooled, into: pooled, rows: images, width: pooler.width, weights: postNorm,
                      epsilon: a.encoder.layerNormEpsilon)
        } else if let head {
            // Every layer over every token, the post-LayerNorm of every token, the pooling head
            // (into the output when there is no projection).
            try encoder.runAll(hidden, sequences: images, tokens: tokens, workspace: ws)
            layerNorm(hidden, into: hidden, rows: images * tokens, width: width, weights: postNorm,
                      epsilon: a.encoder.layerNormEpsilon)
            pooled = projection == nil ? output : ws.pooled
            try head.pool(hidden, sequences: images, tokens: tokens, into: pooled, workspace: ws)
        } else {
            // Class-token pooling: the last layer for position 0 only, its post-LayerNorm.
            let classTokens = ws.pooled
            try encoder.run(hidden, sequences: images, tokens: tokens, causal: false,
                            pooling: Array(repeating: 0, count: images), into: classTokens, workspace: ws)
            pooled = ws.normalized
            layerNorm(classTokens, into: pooled, rows: images, width: width, weights: postNorm,
                      epsilon: a.encoder.layerNormEpsilon)
        }
        if let projection {
            try project(pooled, rows: images, through: projection.layer, into: output, workspace: ws)
        } else if pooled != output {
            output.update(from: pooled, count: images * width)
        }
    }
}

extension VisionTransformer {
    /// The image tower's tensors in one layout's names, with the shapes its
    /// ``VisionArchitecture`` implies: the patch embedding (with SigLIP's bias), the class and
    /// positional embeddings, the pre-LayerNorm, the encoder layers, the post-LayerNorm, the
    /// pooling layer the options name and the projection.
    struct Binding: Sendable {
        /// `[width, channels, patch, patch]` read as `[width, channels·patch·patch]`.
        var patchEmbedding: LinearLayer.Binding
        var classEmbedding: WeightBinding?
        var positionEmbedding: WeightBinding
        var preNorm: LayerNorm.Binding?
        var layers: [EncoderLayer.Binding]
        var postNorm: LayerNorm.Binding
        var head: AttentionPoolingHead.Binding?
        /// CoCa's attentional pooler.
        var pooler: AttentionalPooler.Binding?
        /// `[embedding, width]` (+ timm's head bias).
        var projection: LinearLayer.Binding?

        init(keys: CheckpointKeys, architecture: VisionArchitecture, embeddingDimension: Int) {
            let p = keys.visionPrefix
            let w = architecture.encoder.width
            let patch = architecture.patchSize
            let options = architecture.options
            patchEmbedding = LinearLayer.Binding(
                weight: .direct(p + keys.patchEmbedding, [w, architecture.channels, patch, patch],
                                as: [w, architecture.patchLength]),
                bias: options.patchBias ? .direct(p + keys.patchBias, [w]) : nil)
            let tokens = architecture.tokenCount
            let batchAxes = keys.embeddingsHaveBatchAxes
            positionEmbedding = .direct(p + keys.visionPositionEmbedding, batchAxes ? [1, tokens, w] : [tokens, w],
                                        as: [tokens, w])
            layers = (0..<architecture.encoder.layers).map {
                EncoderLayer.Binding(names: keys.visionLayers, prefix: p, index: $0, encoder: architecture.encoder)
            }
            let pooled = architecture.pooledWidth(embeddingDimension: embeddingDimension)
            postNorm = LayerNorm.Binding(p + keys.postNorm, width: pooled)
            if options.classToken {
                classEmbedding = .direct(p + keys.classEmbedding, batchAxes ? [1, 1, w] : [w], as: [w])
            }
            if options.preNorm { preNorm = LayerNorm.Binding(p + keys.preNorm, width: w) }
            if case let .attentionHead(heads, mlp) = options.pooling {
                head = AttentionPoolingHead.Binding(names: keys.head, prefix: p, width: w, heads: heads, mlpWidth: mlp)
            }
            if case let .attentionalPooler(queries, heads) = options.pooling {
                pooler = AttentionalPooler.Binding(prefix: p, width: pooled, towerWidth: w, queries: queries, heads: heads)
            }
            switch options.projection {
            case .none: break
            case .matrix, .linear:
                projection = .projection(keys.visionProjection, width: pooled, embedding: embeddingDimension)
            }
        }

        var all: [WeightBinding] {
            [patchEmbedding.weight] + [patchEmbedding.bias, classEmbedding].compactMap { $0 } + [positionEmbedding]
                + (preNorm?.all ?? []) + layers.flatMap(\.all) + postNorm.all + (head?.all ?? []) + (pooler?.all ?? [])
                + (projection?.all ?? [])
        }
    }
}
