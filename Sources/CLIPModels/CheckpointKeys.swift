/// The two checkpoint layouts a CLIP model can be stored in.
public enum CheckpointLayout: String, Sendable, Codable, CaseIterable {
    /// transformers' `CLIPModel` state dict (`config.json`, `model.safetensors`).
    case huggingFace = "huggingface"
    /// open_clip's `CLIP` state dict (`open_clip_config.json`, `open_clip_model.safetensors`).
    case openCLIP = "openclip"
}

// MARK: - The key table

/// Every checkpoint key name this library reads, in one place: one naming scheme per layout
/// (transformers', open_clip's native towers, open_clip's timm towers), each a renamer onto one
/// internal layout.
///
/// In the internal layout every matrix is stored `[out, in]`, the attention's query/key/value
/// projections are one packed `[3·width, width]` matrix (OpenCLIP's `in_proj_weight`, timm's
/// `qkv`; transformers' `q_proj`, `k_proj`, `v_proj` stacked in that order), the projections are
/// `[embedding, width]` (transformers' `*_projection.weight`; OpenCLIP's `visual.proj` and
/// `text_projection` are `[width, embedding]` and are transposed), positional embeddings are
/// `[tokens, width]` (timm's `[1, tokens, width]` reshaped) and the patch convolution is
/// `[width, channels·patch·patch]`.
struct CheckpointKeys: Sendable {
    /// How a layer's query, key and value projections are stored.
    enum QKVNames: Sendable {
        /// One packed matrix and bias (`[3·width, width]`, `[3·width]`), relative to the layer.
        case packed(weight: String, bias: String)
        /// Linear layers (each `.weight` and `.bias`) whose rows are stacked in this order:
        /// transformers' `q_proj`, `k_proj`, `v_proj`; timm's pooling `q` and packed `kv`; EVA02's
        /// `q_proj`, `k_proj`, `v_proj`, whose key layer has no bias (a zero block takes its place).
        case stacked([String])
        /// One packed matrix without bias and separate query and value biases, the key's zero
        /// (timm's EVA attention with `qkv_fused`: `qkv.weight`, `q_bias`, `v_bias`).
        case packedSplitBias(weight: String, queryBias: String, valueBias: String)
    }

    /// How a projection onto the embedding space is stored (full key).
    enum ProjectionNames: Sendable {
        /// A `[width, embedding]` matrix, transposed when read (OpenCLIP's `proj`, `text_projection`).
        case transposedMatrix(String)
        /// A linear layer `[embedding, width]` (`.weight`), with a `.bias` when `bias` is true.
        case linear(String, bias: Bool)
    }

    /// The names inside one pre-norm encoder layer.
    struct LayerNames: Sendable {
        /// The prefix of layer `index`, relative to a tower prefix.
        let prefix: @Sendable (Int) -> String
        // Relative to `prefix`.
        let norm1: String
        let norm2: String
        let qkv: QKVNames
        let attentionOutput: String
        let fc1: String
        let fc2: String
        /// The LayerNorm of the attention output (``EncoderBlockOptions/attentionOutputNorm``).
        var attentionNorm = "attn.norm"
        /// The gate and value layers of a gated MLP (``EncoderBlockOptions/gatedMLP``).
        var gatedFC1 = (gate: "mlp.fc1_g", value: "mlp.fc1_x")
        /// The LayerNorm of the MLP's hidden activations (``EncoderBlockOptions/mlpNorm``).
        var mlpNorm = "mlp.norm"

        /// transformers' `CLIPEncoderLayer` / `SiglipEncoderLayer`.
        static let huggingFace = LayerNames(
            prefix: { "encoder.layers.\($0)." }, norm1: "layer_norm1", norm2: "layer_norm2",
            qkv: .stacked(["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"]),
            attentionOutput: "self_attn.out_proj", fc1: "mlp.fc1", fc2: "mlp.fc2")
        /// open_clip's `ResidualAttentionBlock`.
        static let openCLIP = LayerNames(
            prefix: { "transformer.resblocks.\($0)." }, norm1: "ln_1", norm2: "ln_2",
            qkv: .packed(weight: "attn.in_proj_weight", bias: "attn.in_proj_bias"),
            attentionOutput: "attn.out_proj", fc1: "mlp.c_fc", fc2: "mlp.c_proj")
        /// timm's ViT `Block`.
        static let timm = LayerNames(
            prefix: { "blocks.\($0)." }, norm1: "norm1", norm2: "norm2",
            qkv: .packed(weight: "attn.qkv.weight", bias: "attn.qkv.bias"),
            attentionOutput: "attn.proj", fc1: "mlp.fc1", fc2: "mlp.fc2")
        /// timm's `EvaBlock` / `EvaBlockPostNorm` with separate `q_proj`, `k_proj` (no bias),
        /// `v_proj` (EVA02-B/L: `qkv_fused=False`), `attn.norm`, `mlp.fc1_g`/`fc1_x`, `mlp.norm`.
        static let evaSeparate = LayerNames(
            prefix: { "blocks.\($0)." }, norm1: "norm1", norm2: "norm2",
            qkv: .stacked(["attn.q_proj", "attn.k_proj", "attn.v_proj"]),
            attentionOutput: "attn.proj", fc1: "mlp.fc1", fc2: "mlp.fc2")
        /// timm's `EvaBlock` / `EvaBlockPostNorm` with the packed `qkv.weight` and the separate
        /// `q_bias`, `v_bias` (EVA01, EVA02-E).
        static let evaFused = LayerNames(
            prefix: { "blocks.\($0)." }, norm1: "norm1", norm2: "norm2",
            qkv: .packedSplitBias(weight: "attn.qkv.weight", queryBias: "attn.q_bias", valueBias: "attn.v_bias"),
            attentionOutput: "attn.proj", fc1: "mlp.fc1", fc2: "mlp.fc2")
    }

    /// The names of SigLIP's attention-pooling head, relative to the vision prefix.
    struct HeadNames: Sendable {
        let prefix: String
        // Relative to `prefix`.
        /// The learned query (`[1, 1, width]`).
        let probe: String
        /// The query, key and value projections.
        let inProjection: QKVNames
        let outProjection: String
        let norm: String
        let fc1: String
        let fc2: String

        /// transformers' `SiglipMultiheadAttentionPoolingHead` (an `nn.MultiheadAttention`).
        static let huggingFace = HeadNames(
            prefix: "head.", probe: "probe",
            inProjection: .packed(weight: "attention.in_proj_weight", bias: "attention.in_proj_bias"),
            outProjection: "attention.out_proj", norm: "layernorm", fc1: "mlp.fc1", fc2: "mlp.fc2")
        /// timm's `AttentionPoolLatent`: a query layer and a packed key/value layer.
        static let timm = HeadNames(
            prefix: "attn_pool.", probe: "latent", inProjection: .stacked(["q", "kv"]),
            outProjection: "proj", norm: "norm", fc1: "mlp.fc1", fc2: "mlp.fc2")
    }

    /// The layout whose names these are.
    let layout: CheckpointLayout

    /// The prefix every vision-tower key starts with.
    let visionPrefix: String
    /// The prefix every text-tower key starts with.
    let textPrefix: String
    /// Keys that may be present and are not needed: transformers' `position_ids` buffers (saved
    /// by old versions) and the metadata entries of OpenAI's original checkpoints.
    let ignorable: Set<String>

    // Relative to `visionPrefix`.
    let patchEmbedding: String
    /// The patch convolution's bias (SigLIP).
    let patchBias: String
    let classEmbedding: String
    let visionPositionEmbedding: String
    /// Whether the class and positional embeddings are stored with leading axes of 1 (timm's
    /// `[1, 1, width]` and `[1, tokens, width]`).
    let embeddingsHaveBatchAxes: Bool
    let preNorm: String
    let postNorm: String
    let visionLayers: LayerNames
    let head: HeadNames
    /// The image projection (full key).
    let visionProjection: ProjectionNames

    // Relative to `textPrefix`.
    let tokenEmbedding: String
    let textPositionEmbedding: String
    let finalNorm: String
    let textLayers: LayerNames
    /// The text projection (full key): CLIP's matrix, or SigLIP's head (a linear layer with bias).
    var textProjection: ProjectionNames

    /// The full key of the logit scale (a scalar, or `[1]`).
    var logitScale: String { "logit_scale" }
    /// The full key of SigLIP's logit bias (a scalar, or `[1]`).
    var logitBias: String { "logit_bias" }

    /// Whether `key` may be present without being needed (also: a CoCa checkpoint's text
    /// decoder, `text_decoder.*`, in open_clip's layout).
    func isIgnorable(_ key: String) -> Bool {
        ignorable.contains(key) || layout == .openCLIP && key.hasPrefix("text_decoder.")
    }

    /// transformers' `CLIPModel`.
    static let huggingFace = CheckpointKeys(
        layout: .huggingFace, visionPrefix: "vision_model.", textPrefix: "text_model.",
        ignorable: ["text_model.embeddings.position_ids", "vision_model.embeddings.position_ids"],
        patchEmbedding: "embeddings.patch_embedding.weight", patchBias: "embeddings.patch_embedding.bias",
        classEmbedding: "embeddings.class_embedding", visionPositionEmbedding: "embeddings.position_embedding.weight",
        embeddingsHaveBatchAxes: false, preNorm: "pre_layrnorm", postNorm: "post_layernorm",
        visionLayers: .huggingFace, head: .huggingFace, visionProjection: .linear("visual_projection", bias: false),
        tokenEmbedding: "embeddings.token_embedding.weight", textPositionEmbedding: "embeddings.position_embedding.weight",
        finalNorm: "final_layer_norm", textLayers: .huggingFace, textProjection: .linear("text_projection", bias: false))

    /// transformers' `SiglipModel`: CLIP's names, the text head `text_model.head`.
    static let huggingFaceSiglip: CheckpointKeys = {
        var keys = huggingFace
        keys.textProjection = .linear("text_model.head", bias: true)
        return keys
    }()

    /// open_clip's `CLIP` / `CustomTextCLIP` with its native towers.
    static func openCLIP(textPrefix: String) -> CheckpointKeys {
        CheckpointKeys(
            layout: .openCLIP, visionPrefix: "visual.", textPrefix: textPrefix,
            ignorable: ["input_resolution", "context_length", "vocab_size"],
            patchEmbedding: "conv1.weight", patchBias: "conv1.bias", classEmbedding: "class_embedding",
            visionPositionEmbedding: "positional_embedding", embeddingsHaveBatchAxes: false,
            preNorm: "ln_pre", postNorm: "ln_post", visionLayers: .openCLIP, head: .timm,
            visionProjection: .transposedMatrix("visual.proj"),
            tokenEmbedding: "token_embedding.weight", textPositionEmbedding: "positional_embedding",
            finalNorm: "ln_final", textLayers: .openCLIP, textProjection: .transposedMatrix(textPrefix + "text_projection"))
    }

    /// open_clip's `CustomTextCLIP` with a timm ViT image tower (`visual.trunk.*` in timm's names:
    /// SigLIP's `vit_*_siglip_*` and PE's `vit_pe_core_*`, with their `attn_pool` and timm's
    /// `head`) and the native text tower, whose projection is a linear layer with bias
    /// (`text_projection.weight`, `.bias`; SigLIP's `proj_bias`) or CLIP's matrix.
    static func openCLIPTimm(textPrefix: String, textProjectionBias: Bool,
                             visionLayers: LayerNames = .timm) -> CheckpointKeys {
        CheckpointKeys(
            layout: .openCLIP, visionPrefix: "visual.trunk.", textPrefix: textPrefix,
            ignorable: ["input_resolution", "context_length", "vocab_size"],
            patchEmbedding: "patch_embed.proj.weight", patchBias: "patch_embed.proj.bias", classEmbedding: "cls_token",
            visionPositionEmbedding: "pos_embed", embeddingsHaveBatchAxes: true,
            preNorm: "norm_pre", postNorm: "norm", visionLayers: visionLayers, head: .timm,
            visionProjection: .linear("visual.trunk.head", bias: true),
            tokenEmbedding: "token_embedding.weight", textPositionEmbedding: "positional_embedding",
            finalNorm: "ln_final", textLayers: .openCLIP,
            textProjection: textProjectionBias ? .linear(textPrefix + "text_projection", bias: true)
                : .transposedMatrix(textPrefix + "text_projection"))
    }
}

extension CheckpointKeys {
    /// The keys of `layout` for a model of `architecture`, with the OpenCLIP text prefix that
    /// `weights` use (`text.` when the checkpoint was saved from a `CustomTextCLIP`).
    init(layout: CheckpointLayout, architecture: CLIPArchitecture, for weights: any TensorSource) {
        let family = architecture.family
        switch layout {
        case .huggingFace:
            self = family == .siglip ? .huggingFaceSiglip : .huggingFace
        case .openCLIP:
            // open_clip saves a timm image tower under `visual.trunk.`.
            // Any key under the prefix decides, so that a checkpoint missing some keys is reported
            // against the right names.
            let names = weights.tensorNames
            let custom = names.contains { $0.hasPrefix("text.") }
            let timm = names.contains { $0.hasPrefix("visual.trunk.") } || family == .siglip
            let prefix = custom ? "text." : ""
            // timm's EVA blocks (no key bias) store the query/key/value projections separately
            // (EVA02-B/L) or packed with separate biases (EVA01, EVA02-E).
            var layers = CheckpointKeys.LayerNames.timm
            if !architecture.vision.encoder.layerOptions.keyBias {
                layers = weights.shape(of: "visual.trunk.blocks.0.attn.q_proj.weight") != nil ? .evaSeparate : .evaFused
            }
            self = timm ? .openCLIPTimm(textPrefix: prefix, textProjectionBias: architecture.text.options.projectionBias,
                                        visionLayers: layers)
                : .openCLIP(textPrefix: prefix)
        }
    }
}

// MARK: - Bindings from checkpoint keys to internal tensors

/// How one internal tensor is made from one or more checkpoint tensors.
struct WeightBinding: Sendable {
    enum Assembly: Sendable {
        /// The stored tensor, reshaped to the internal shape (same element count).
        case reshape
        /// The stored tensors stacked along their first axis.
        case concatenateRows
        /// The stored `[a, b]` matrix transposed to `[b, a]`.
        case transpose
        /// The stored tensors stacked along their first axis with `rows` rows of zeros before
        /// source `before` (EVA's attention bias: query, a zero key bias, value).
        case concatenateRowsWithZeros(before: Int, rows: Int)
    }

    /// The checkpoint keys read, with the shapes the architecture implies.
    var sources: [(key: String, shape: [Int])]
    /// How the sources are combined.
    var assembly: Assembly
    /// The shape of the internal tensor.
    var shape: [Int]
    /// Other stored shapes that are accepted for a single source (a logit scale saved as `[1]`).
    var alternativeShapes: [[Int]] = []

    static func direct(_ key: String, _ shape: [Int], as internalShape: [Int]? = nil) -> WeightBinding {
        WeightBinding(sources: [(key, shape)], assembly: .reshape, shape: internalShape ?? shape)
    }
}

struct LayerNormBinding: Sendable {
    var weight: WeightBinding
    var bias: WeightBinding

    init(_ key: String, width: Int) {
        weight = .direct(key + ".weight", [width])
        bias = .direct(key + ".bias", [width])
    }

    var all: [WeightBinding] { [weight, bias] }
}

struct EncoderLayerBinding: Sendable {
    var norm1: LayerNormBinding
    var qkvWeight: WeightBinding
    var qkvBias: WeightBinding
    /// The attention output's LayerNorm (EVA02's sub-LN).
    var attentionNorm: LayerNormBinding?
    var outputWeight: WeightBinding
    var outputBias: WeightBinding
    var norm2: LayerNormBinding
    /// `[mlpInputColumns, width]`: a gated MLP's gate and value layers stacked.
    var fc1Weight: WeightBinding
    var fc1Bias: WeightBinding
    /// The MLP hidden activations' LayerNorm (timm `scale_mlp`).
    var mlpNorm: LayerNormBinding?
    var fc2Weight: WeightBinding
    var fc2Bias: WeightBinding

    /// The bindings of encoder layer `index` of a tower whose keys start with `prefix`.
    init(names: CheckpointKeys.LayerNames, prefix towerPrefix: String, index: Int, encoder: EncoderArchitecture) {
        let p = towerPrefix + names.prefix(index)
        let w = encoder.width, hidden = encoder.mlpWidth
        let options = encoder.layerOptions
        norm1 = LayerNormBinding(p + names.norm1, width: w)
        norm2 = LayerNormBinding(p + names.norm2, width: w)
        (qkvWeight, qkvBias) = qkvBinding(names.qkv, prefix: p, rows: [w, w, w], width: w, keyBias: options.keyBias)
        if options.attentionOutputNorm { attentionNorm = LayerNormBinding(p + names.attentionNorm, width: w) }
        outputWeight = .direct(p + names.attentionOutput + ".weight", [w, w])
        outputBias = .direct(p + names.attentionOutput + ".bias", [w])
        if options.gatedMLP {
            let layers = [names.gatedFC1.gate, names.gatedFC1.value]
            fc1Weight = WeightBinding(sources: layers.map { (p + $0 + ".weight", [hidden, w]) },
                                      assembly: .concatenateRows, shape: [2 * hidden, w])
            fc1Bias = WeightBinding(sources: layers.map { (p + $0 + ".bias", [hidden]) },
                                    assembly: .concatenateRows, shape: [2 * hidden])
        } else {
            fc1Weight = .direct(p + names.fc1 + ".weight", [hidden, w])
            fc1Bias = .direct(p + names.fc1 + ".bias", [hidden])
        }
        if options.mlpNorm { mlpNorm = LayerNormBinding(p + names.mlpNorm, width: hidden) }
        fc2Weight = .direct(p + names.fc2 + ".weight", [w, hidden])
        fc2Bias = .direct(p + names.fc2 + ".bias", [w])
    }

    var all: [WeightBinding] {
        norm1.all + [qkvWeight, qkvBias] + (attentionNorm?.all ?? []) + [outputWeight, outputBias] + norm2.all
            + [fc1Weight, fc1Bias] + (mlpNorm?.all ?? []) + [fc2Weight, fc2Bias]
    }
}

/// The packed `[3·width, width]` query/key/value weight and `[3·width]` bias: one stored
/// tensor each, or stacked linear layers with `rows` rows each (which add up to `3·width`).
/// Without a key bias (EVA) the bias's middle block is zeros.
private func qkvBinding(_ names: CheckpointKeys.QKVNames, prefix: String, rows: [Int],
                        width: Int, keyBias: Bool = true) -> (WeightBinding, WeightBinding) {
    let total = rows.reduce(0, +)
    switch names {
    case let .packed(weight, bias):
        return (.direct(prefix + weight, [total, width]), .direct(prefix + bias, [total]))
    case let .packedSplitBias(weight, queryBias, valueBias):
        return (.direct(prefix + weight, [total, width]),
                WeightBinding(sources: [(prefix + queryBias, [rows[0]]), (prefix + valueBias, [rows[2]])],
                              assembly: .concatenateRowsWithZeros(before: 1, rows: rows[1]), shape: [total]))
    case let .stacked(layers) where !keyBias && layers.count == 3:
        return (WeightBinding(sources: zip(layers, rows).map { (prefix + $0 + ".weight", [$1, width]) },
                              assembly: .concatenateRows, shape: [total, width]),
                WeightBinding(sources: [(prefix + layers[0] + ".bias", [rows[0]]), (prefix + layers[2] + ".bias", [rows[2]])],
                              assembly: .concatenateRowsWithZeros(before: 1, rows: rows[1]), shape: [total]))
    case let .stacked(layers):
        // timm's pooling head stacks a [w] query layer and a [2w] key/value layer.
        let counts = layers.count == rows.count ? rows : [width, total - width]
        return (WeightBinding(sources: zip(layers, counts).map { (prefix + $0 + ".weight", [$1, width]) },
                              assembly: .concatenateRows, shape: [total, width]),
                WeightBinding(sources: zip(layers, counts).map { (prefix + $0 + ".bias", [$1]) },
                              assembly: .concatenateRows, shape: [total]))
    }
}

/// Projections: `[embedding, width]` internally, with a bias for a linear layer that has one.
private func projectionBinding(_ names: CheckpointKeys.ProjectionNames, width: Int,
                               embedding: Int) -> (weight: WeightBinding, bias: WeightBinding?) {
    switch names {
    case let .transposedMatrix(key):
        return (WeightBinding(sources: [(key, [width, embedding])], assembly: .transpose, shape: [embedding, width]), nil)
    case let .linear(key, bias):
        return (.direct(key + ".weight", [embedding, width]), bias ? .direct(key + ".bias", [embedding]) : nil)
    }
}

/// SigLIP's attention-pooling head (transformers' `SiglipMultiheadAttentionPoolingHead`, timm's
/// `AttentionPoolLatent`): a learned probe attends over every token, then LayerNorm and an MLP
/// with a residual.
struct PoolingHeadBinding: Sendable {
    /// `[1, 1, width]`, read as `[width]`.
    var probe: WeightBinding
    /// `[3·width, width]` + `[3·width]`: query, key and value projections packed.
    var inProjectionWeight: WeightBinding
    var inProjectionBias: WeightBinding
    var outProjectionWeight: WeightBinding
    var outProjectionBias: WeightBinding
    var norm: LayerNormBinding
    var fc1Weight: WeightBinding
    var fc1Bias: WeightBinding
    var fc2Weight: WeightBinding
    var fc2Bias: WeightBinding

    /// The head's attention heads (SigLIP: the encoder's; PE: its own count).
    var heads: Int

    /// The head's MLP width.
    var mlpWidth: Int

    init(names: CheckpointKeys.HeadNames, prefix: String, width w: Int, heads: Int, mlpWidth: Int) {
        self.heads = heads
        self.mlpWidth = mlpWidth
        let p = prefix + names.prefix
        probe = .direct(p + names.probe, [1, 1, w], as: [w])
        (inProjectionWeight, inProjectionBias) = qkvBinding(names.inProjection, prefix: p, rows: [w, w, w], width: w)
        outProjectionWeight = .direct(p + names.outProjection + ".weight", [w, w])
        outProjectionBias = .direct(p + names.outProjection + ".bias", [w])
        norm = LayerNormBinding(p + names.norm, width: w)
        fc1Weight = .direct(p + names.fc1 + ".weight", [mlpWidth, w])
        fc1Bias = .direct(p + names.fc1 + ".bias", [mlpWidth])
        fc2Weight = .direct(p + names.fc2 + ".weight", [w, mlpWidth])
        fc2Bias = .direct(p + names.fc2 + ".bias", [w])
    }

    var all: [WeightBinding] {
        [probe, inProjectionWeight, inProjectionBias, outProjectionWeight, outProjectionBias] + norm.all
            + [fc1Weight, fc1Bias, fc2Weight, fc2Bias]
    }
}

/// The image tower's tensors. CLIP has a class embedding, a pre-LayerNorm and a projection;
/// SigLIP a patch bias and a pooling head instead.
struct VisionTowerBinding: Sendable {
    var patchEmbedding: WeightBinding
    var patchBias: WeightBinding?
    var classEmbedding: WeightBinding?
    var positionEmbedding: WeightBinding
    var preNorm: LayerNormBinding?
    var layers: [EncoderLayerBinding]
    var postNorm: LayerNormBinding
    var projection: WeightBinding?
    /// The projection's bias (timm's classifier head).
    var projectionBias: WeightBinding?
    var head: PoolingHeadBinding?
    /// CoCa's attentional pooler.
    var pooler: AttentionalPoolerBinding?

    init(keys: CheckpointKeys, architecture: VisionArchitecture, embeddingDimension: Int) {
        let p = keys.visionPrefix
        let w = architecture.encoder.width
        let patch = architecture.patchSize
        patchEmbedding = .direct(p + keys.patchEmbedding, [w, architecture.channels, patch, patch],
                                 as: [w, architecture.patchLength])
        let tokens = architecture.tokenCount
        let batchAxes = keys.embeddingsHaveBatchAxes
        positionEmbedding = .direct(p + keys.visionPositionEmbedding, batchAxes ? [1, tokens, w] : [tokens, w],
                                    as: [tokens, w])
        layers = (0..<architecture.encoder.layers).map {
            EncoderLayerBinding(names: keys.visionLayers, prefix: p, index: $0, encoder: architecture.encoder)
        }
        let pooled = architecture.pooledWidth(embeddingDimension: embeddingDimension)
        postNorm = LayerNormBinding(p + keys.postNorm, width: pooled)
        let options = architecture.options
        if options.patchBias { patchBias = .direct(p + keys.patchBias, [w]) }
        if options.classToken { classEmbedding = .direct(p + keys.classEmbedding, batchAxes ? [1, 1, w] : [w], as: [w]) }
        if options.preNorm { preNorm = LayerNormBinding(p + keys.preNorm, width: w) }
        if case let .attentionHead(heads, mlp) = options.pooling {
            head = PoolingHeadBinding(names: keys.head, prefix: p, width: w, heads: heads, mlpWidth: mlp)
        }
        if case let .attentionalPooler(queries, heads) = options.pooling {
            pooler = AttentionalPoolerBinding(prefix: p, width: pooled, towerWidth: w, queries: queries, heads: heads)
        }
        switch options.projection {
        case .none: break
        case .matrix, .linear:
            (projection, projectionBias) = projectionBinding(keys.visionProjection, width: pooled,
                                                             embedding: embeddingDimension)
        }
    }

    var all: [WeightBinding] {
        [patchEmbedding] + [patchBias, classEmbedding].compactMap { $0 } + [positionEmbedding]
            + (preNorm?.all ?? []) + layers.flatMap(\.all) + postNorm.all + (head?.all ?? []) + (pooler?.all ?? [])
            + [projection, projectionBias].compactMap { $0 }
    }
}

struct TextTowerBinding: Sendable {
    var tokenEmbedding: WeightBinding
    var positionEmbedding: WeightBinding
    /// CoCa's appended class embedding (`cls_emb`, `[width]`).
    var classEmbedding: WeightBinding?
    var layers: [EncoderLayerBinding]
    var finalNorm: LayerNormBinding
    /// CLIP's projection (no bias), or SigLIP's head weight; nil without a projection.
    var projection: WeightBinding?
    /// SigLIP's head bias.
    var projectionBias: WeightBinding?

    init(keys: CheckpointKeys, architecture: TextArchitecture, embeddingDimension: Int) {
        let p = keys.textPrefix
        let w = architecture.encoder.width
        tokenEmbedding = .direct(p + keys.tokenEmbedding, [architecture.vocabularySize, w])
        positionEmbedding = .direct(p + keys.textPositionEmbedding, [architecture.positionCount, w])
        if architecture.options.pooling == .classEmbedding { classEmbedding = .direct(p + "cls_emb", [w]) }
        layers = (0..<architecture.encoder.layers).map {
            EncoderLayerBinding(names: keys.textLayers, prefix: p, index: $0, encoder: architecture.encoder)
        }
        finalNorm = LayerNormBinding(p + keys.finalNorm, width: w)
        if architecture.options.projected {
            (projection, projectionBias) = projectionBinding(keys.textProjection, width: w, embedding: embeddingDimension)
        }
    }

    var all: [WeightBinding] {
        [tokenEmbedding, positionEmbedding] + [classEmbedding].compactMap { $0 } + layers.flatMap(\.all)
            + finalNorm.all + [projection, projectionBias].compactMap { $0 }
    }
}

/// Every tensor of a CLIP model, bound to the keys of one checkpoint layout.
struct ModelBinding: Sendable {
    var keys: CheckpointKeys
    var vision: VisionTowerBinding
    var text: TextTowerBinding
    var logitScale: WeightBinding
    /// SigLIP's logit bias.
    var logitBias: WeightBinding?

    init(keys: CheckpointKeys, architecture: CLIPArchitecture) {
        self.keys = keys
        vision = VisionTowerBinding(keys: keys, architecture: architecture.vision,
                                    embeddingDimension: architecture.embeddingDimension)
        text = TextTowerBinding(keys: keys, architecture: architecture.text,
                                embeddingDimension: architecture.embeddingDimension)
        var scale = WeightBinding.direct(keys.logitScale, [])
        scale.alternativeShapes = [[1]]
        logitScale = scale
        if architecture.family == .siglip {
            var bias = WeightBinding.direct(keys.logitBias, [])
            bias.alternativeShapes = [[1]]
            logitBias = bias
        }
    }

    var all: [WeightBinding] { vision.all + text.all + [logitScale] + [logitBias].compactMap { $0 } }
}
