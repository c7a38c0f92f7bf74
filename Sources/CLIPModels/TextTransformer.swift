import TensorCore

/// A text tower: maps token ids to text embeddings, with the parts its ``TextTowerOptions``
/// switch on (causal mask, pooled position, projection bias).
///
/// open_clip's `no_causal_mask` CLIP towers (MobileCLIP2-L-14): bidirectional layers over the
/// sequence padded with id 0 to the context length, pooled at the first end-of-text token.
///
/// SigLIP (``ModelFamily/siglip``): token + positional embedding, bidirectional encoder layers,
/// final LayerNorm of the last position, a linear head with bias; every position of the given
/// (padded) sequence is computed, since each can reach the last one.
///
/// CLIP: token + positional embedding, causal pre-norm encoder layers, final LayerNorm, pooling at
/// each sequence's first end-of-text token, projection. Pooling at the first end-of-text token
/// gives the same result for both padding styles (pad with 0 as OpenCLIP does, or with the
/// end-of-text token as transformers' tokenizer does). Because of the causal mask, positions
/// after the last end-of-text token of a batch cannot change any pooled output, so they are not
/// computed at all. Immutable and safe to share between threads.
public struct TextTransformer: TextTower {
    /// The tower's sizes.
    public let architecture: TextArchitecture
    /// The width of the output embeddings.
    public let embeddingDimension: Int

    /// `[vocabulary, width]`.
    let tokenEmbedding: Tensor
    /// `[positions, width]` (the context length, and one more with an appended class embedding).
    let positionEmbedding: Tensor
    /// `[width]`: CoCa's appended class embedding.
    let classEmbedding: Tensor?
    let encoder: TransformerEncoder
    let finalNorm: LayerNorm
    /// `[embedding, width]`, no bias for CLIP, with a bias for SigLIP's head; always Float32; nil
    /// when the pooled vector is the embedding.
    let projection: Projection?
    /// The first row of ``tokenEmbedding`` (`[width]`), for the fingerprint.
    let firstTokenEmbedding: Tensor
    let workspaces = WorkspacePool()

    init(architecture: TextArchitecture, embeddingDimension: Int, binding: Binding,
         loader: WeightLoader) throws(CLIPModelError) {
        self.architecture = architecture
        self.embeddingDimension = embeddingDimension
        tokenEmbedding = try loader.load(binding.tokenEmbedding)
        positionEmbedding = try loader.load(binding.positionEmbedding)
        classEmbedding = try binding.classEmbedding.map { (b) throws(CLIPModelError) in try loader.load(b) }
        let width = architecture.encoder.width
        do {
            firstTokenEmbedding = try Tensor(shape: [width], scalars: tokenEmbedding.withUnsafeBufferPointer {
                Array($0.prefix(width))
            })
        } catch {
            throw .tensor(error, context: "text transformer")
        }
        encoder = try TransformerEncoder(architecture: architecture.encoder, layers: binding.layers, loader: loader)
        finalNorm = try LayerNorm(binding.finalNorm, loader: loader)
        projection = try binding.projection.map { (b) throws(CLIPModelError) in try Projection(b, loader: loader) }
    }

    /// The number of positional embeddings (the longest token sequence).
    public var contextLength: Int { architecture.contextLength }
    /// The number of token embeddings.
    public var vocabularySize: Int { architecture.vocabularySize }

    /// The kernels of every product the tower has run so far, the Float32 projection included (for ``CLIPModel/kernelDescription``).
    public var kernelNames: Set<String> {
        (encoder.linearLayers + [projection?.layer].compactMap { $0 }).reduce(into: Set<String>()) {
            $0.formUnion($1.implementations)
        }
    }

    /// The projection (or SigLIP's head weight), then the first row of the token embeddings.
    public var fingerprintTensors: TowerFingerprint {
        TowerFingerprint(projection: projection?.matrix, others: [firstTokenEmbedding])
    }

    /// The position of the pooled token of each sequence, after checking lengths and ids: CLIP's
    /// first end-of-text token, SigLIP's last position.
    func poolingPositions(_ tokenIDs: [[Int]]) throws(CLIPModelError) -> [Int] {
        let a = architecture
        var positions: [Int] = []
        positions.reserveCapacity(tokenIDs.count)
        for (s, ids) in tokenIDs.enumerated() {
            guard ids.count <= a.contextLength else {
                throw .sequenceTooLong(sequence: s, length: ids.count, contextLength: a.contextLength)
            }
            if a.options.pooling == .classEmbedding {
                for (position, id) in ids.enumerated() where id < 0 || id >= a.vocabularySize {
                    throw .tokenOutOfRange(sequence: s, position: position, id: id, vocabularySize: a.vocabularySize)
                }
                // Padded with 0 to the context length, the class embedding after it.
                positions.append(a.contextLength)
                continue
            }
            if a.options.pooling == .last {
                for (position, id) in ids.enumerated() where id < 0 || id >= a.vocabularySize {
                    throw .tokenOutOfRange(sequence: s, position: position, id: id, vocabularySize: a.vocabularySize)
                }
                guard !ids.isEmpty else { throw .emptyBatch(input: "tokens of sequence \(s)") }
                positions.append(ids.count - 1)
                continue
            }
            var found: Int?
            for (position, id) in ids.enumerated() {
                guard id >= 0, id < a.vocabularySize else {
                    throw .tokenOutOfRange(sequence: s, position: position, id: id, vocabularySize: a.vocabularySize)
                }
                if found == nil, id == a.endOfTextTokenID { found = position }
            }
            guard let found else { throw .missingEndOfText(sequence: s, endOfTextID: a.endOfTextTokenID) }
            positions.append(found)
        }
        return positions
    }

    /// The projected text embeddings of a batch of token sequences.
    /// - Parameter tokenIDs: one array of ids per text, each at most `contextLength` long and
    ///   containing the end-of-text token; sequences may have different lengths and either
    ///   padding style.
    /// - Returns: `[batch, embeddingDimension]`, not normalized.
    /// - Throws: `CLIPModelError.sequenceTooLong`, `tokenOutOfRange`, `missingEndOfText`, `emptyBatch`.
    public func encode(tokenIDs: [[Int]]) throws(CLIPModelError) -> Tensor {
        guard !tokenIDs.isEmpty else { throw .emptyBatch(input: "token sequences") }
        let positions = try poolingPositions(tokenIDs)
        let width = architecture.encoder.width
        let e = embeddingDimension
        let batch = tokenIDs.count
        // Sequences are run in chunks of at most about 4096 token rows.
        let sequencesPerChunk = max(1, 4096 / architecture.contextLength)
        var result: Tensor
        do {
            result = try Tensor(shape: [batch, e])
        } catch {
            throw .tensor(error, context: "text transformer")
        }
        let precision = encoder.layers.first?.attention.qkv.precision ?? .float32
        let options = architecture.options
        try result.withUnsafeMutableBufferPointer { (output) throws(CLIPModelError) in
            guard let out = output.baseAddress else { return }
            var start = 0
            while start < batch {
                var end = min(batch, start + sequencesPerChunk)
                if !options.causal, options.pooling == .last {
                    // Without a causal mask every position counts: a chunk holds sequences of one
                    // length (SigLIP's tokenizers pad every text to the context length).
                    end = start + 1
                    while end < min(batch, start + sequencesPerChunk), tokenIDs[end].count == tokenIDs[start].count {
                        end += 1
                    }
                }
                // Causal: positions past the last pooled token cannot reach a pooled output.
                // Bidirectional, pooled at the end of text: every sequence padded with id 0 to the
                // context length, as open_clip's tokenizer gives it (the padding is attended to).
                let tokens = !options.causal && options.pooling == .endOfText ? architecture.contextLength
                    : positions[start..<end].max().map { $0 + 1 } ?? 1
                try workspaces.withWorkspace(rows: (end - start) * tokens, width: width,
                                             wideColumns: max(architecture.encoder.mlpWorkspaceColumns, width),
                                             tokens: tokens, precision: precision) { (workspace) throws(CLIPModelError) in
                    try forward(Array(tokenIDs[start..<end]), positions: Array(positions[start..<end]), tokens: tokens,
                                workspace: workspace, into: out + start * e)
                }
                start = end
            }
        }
        return result
    }

    /// Runs sequences truncated (or padded with id 0) to `tokens` positions and writes the
    /// projected embeddings pooled at `positions` to `output` (`[sequences, embedding]`).
    private func forward(_ tokenIDs: [[Int]], positions: [Int], tokens: Int, workspace ws: EncoderWorkspace,
                         into output: UnsafeMutablePointer<Float>) throws(CLIPModelError) {
        let width = architecture.encoder.width
        let sequences = tokenIDs.count
        let hidden = ws.hidden

        tokenEmbedding.withUnsafeBufferPointer { table in
            positionEmbedding.withUnsafeBufferPointer { pos in
                guard let table = table.baseAddress, let pos = pos.baseAddress else { return }
                for (s, ids) in tokenIDs.enumerated() {
                    for t in 0..<tokens {
                        // Positions past a sequence's end come after its end-of-text token, so
                        // under the causal mask their content cannot reach its pooled output.
                        let id = t < ids.count ? ids[t] : 0
                        let dst = hidden + (s * tokens + t) * width
                        dst.update(from: table + id * width, count: width)
                        Kernels.add(pos + t * width, to: dst, count: width)
                    }
                }
            }
        }

        // CoCa: the class embedding at its position (after the padding), and the keys every row
        // may attend to: open_clip's mask hides the key right after each 0 id.
        var keyMask: [[Bool]]?
        if let classEmbedding {
            classEmbedding.withUnsafeBufferPointer { cls in
                positionEmbedding.withUnsafeBufferPointer { pos in
                    guard let cls = cls.baseAddress, let pos = pos.baseAddress else { return }
                    for (s, position) in positions.enumerated() {
                        let dst = hidden + (s * tokens + position) * width
                        dst.update(from: cls, count: width)
                        Kernels.add(pos + position * width, to: dst, count: width)
                    }
                }
            }
            keyMask = tokenIDs.map { ids in
                (0..<tokens).map { k in k == 0 || (k - 1 < ids.count && ids[k - 1] != 0) }
            }
        }

        // The final LayerNorm acts per token, so only the pooled tokens need it.
        let pooledTokens = ws.pooled
        try encoder.run(hidden, sequences: sequences, tokens: tokens, causal: architecture.options.causal,
                        pooling: positions, keyMask: keyMask,
                        into: pooledTokens, workspace: ws)
        let pooled = ws.normalized
        layerNorm(pooledTokens, into: pooled, rows: sequences, width: width, weights: finalNorm,
                  epsilon: architecture.encoder.layerNormEpsilon)
        if let projection {
            try project(pooled, rows: sequences, through: projection.layer, into: output, workspace: ws)
        } else {
            output.update(from: pooled, count: sequences * width)
        }
    }
}

extension TextTransformer {
    /// The text tower's tensors in one layout's names, with the shapes its ``TextArchitecture``
    /// implies: token and positional embeddings (CoCa's class embedding), the encoder layers,
    /// the final LayerNorm and the projection.
    struct Binding: Sendable {
        /// `[vocabulary, width]`.
        var tokenEmbedding: WeightBinding
        /// `[positions, width]`.
        var positionEmbedding: WeightBinding
        /// CoCa's appended class embedding (`cls_emb`, `[width]`).
        var classEmbedding: WeightBinding?
        var layers: [EncoderLayer.Binding]
        var finalNorm: LayerNorm.Binding
        /// CLIP's projection (no bias), or SigLIP's head (with bias); nil without a projection.
        var projection: LinearLayer.Binding?

        init(keys: CheckpointKeys, architecture: TextArchitecture, embeddingDimension: Int) {
            let p = keys.textPrefix
            let w = architecture.encoder.width
            tokenEmbedding = .direct(p + keys.tokenEmbedding, [architecture.vocabularySize, w])
            positionEmbedding = .direct(p + keys.textPositionEmbedding, [architecture.positionCount, w])
            if architecture.options.pooling == .classEmbedding { classEmbedding = .direct(p + "cls_emb", [w]) }
            layers = (0..<architecture.encoder.layers).map {
                EncoderLayer.Binding(names: keys.textLayers, prefix: p, index: $0, encoder: architecture.encoder)
            }
            finalNorm = LayerNorm.Binding(p + keys.finalNorm, width: w)
            if architecture.options.projected {
                projection = .projection(keys.textProjection, width: w, embedding: embeddingDimension)
            }
        }

        var all: [WeightBinding] {
            [tokenEmbedding, positionEmbedding] + [classEmbedding].compactMap { $0 } + layers.flatMap(\.all)
                + finalNorm.all + (projection?.all ?? [])
        }
    }
}
