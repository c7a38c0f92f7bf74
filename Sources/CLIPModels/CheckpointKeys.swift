/// The two checkpoint layouts a CLIP model can be stored in.
public enum CheckpointLayout: String, Sendable, Codable, CaseIterable {
    /// transformers' `CLIPModel` state dict (`config.json`, `model.safetensors`).
    case huggingFace = "huggingface"
    /// open_clip's `CLIP` state dict (`open_clip_config.json`, `open_clip_model.safetensors`).
    case openCLIP = "openclip"
}

// MARK: - The key table

/// Every checkpoint key name this library reads, for both layouts, in one place.
///
/// Both layouts map onto one internal layout in which every matrix is stored `[out, in]`, the
/// attention's query/key/value projections are one packed `[3·width, width]` matrix (OpenCLIP's
/// `in_proj_weight`; transformers' `q_proj`, `k_proj`, `v_proj` stacked in that order), the
/// projections are `[embedding, width]` (transformers' `*_projection.weight`; OpenCLIP's
/// `visual.proj` and `text_projection` are `[width, embedding]` and are transposed) and the patch
/// convolution is `[width, channels·patch·patch]`.
struct CheckpointKeys: Sendable {
    /// The layout whose names these are.
    let layout: CheckpointLayout
    /// The prefix of the OpenCLIP text tower: "" for `CLIP`, "text." for `CustomTextCLIP`.
    let openCLIPTextPrefix: String

    init(layout: CheckpointLayout, openCLIPTextPrefix: String = "") {
        self.layout = layout
        self.openCLIPTextPrefix = openCLIPTextPrefix
    }

    /// The keys of `layout`, with the OpenCLIP text prefix that `weights` use (`text.` when the
    /// checkpoint was saved from a `CustomTextCLIP`).
    init(layout: CheckpointLayout, for weights: any TensorSource) {
        let custom = layout == .openCLIP && weights.shape(of: "text.token_embedding.weight") != nil
        self.init(layout: layout, openCLIPTextPrefix: custom ? "text." : "")
    }

    /// The prefix every vision-tower key starts with.
    var visionPrefix: String { layout == .huggingFace ? "vision_model." : "visual." }
    /// The prefix every text-tower key starts with.
    var textPrefix: String { layout == .huggingFace ? "text_model." : openCLIPTextPrefix }

    /// Keys that may be present and are not needed: transformers' `position_ids` buffers (saved
    /// by old versions) and the metadata entries of OpenAI's original checkpoints.
    func isIgnorable(_ key: String) -> Bool {
        switch layout {
        case .huggingFace:
            return key == "text_model.embeddings.position_ids" || key == "vision_model.embeddings.position_ids"
        case .openCLIP:
            return ["input_resolution", "context_length", "vocab_size"].contains(key)
        }
    }

    // Relative to `visionPrefix`.
    var patchEmbedding: String { layout == .huggingFace ? "embeddings.patch_embedding.weight" : "conv1.weight" }
    var classEmbedding: String { layout == .huggingFace ? "embeddings.class_embedding" : "class_embedding" }
    var visionPositionEmbedding: String {
        layout == .huggingFace ? "embeddings.position_embedding.weight" : "positional_embedding"
    }
    var preNorm: String { layout == .huggingFace ? "pre_layrnorm" : "ln_pre" }
    var postNorm: String { layout == .huggingFace ? "post_layernorm" : "ln_post" }

    // Relative to `textPrefix`.
    var tokenEmbedding: String { layout == .huggingFace ? "embeddings.token_embedding.weight" : "token_embedding.weight" }
    var textPositionEmbedding: String {
        layout == .huggingFace ? "embeddings.position_embedding.weight" : "positional_embedding"
    }
    var finalNorm: String { layout == .huggingFace ? "final_layer_norm" : "ln_final" }

    /// The full key of the vision projection (stored `[embedding, width]` in transformers,
    /// `[width, embedding]` in OpenCLIP).
    var visionProjection: String { layout == .huggingFace ? "visual_projection.weight" : "visual.proj" }
    /// The full key of the text projection (same storage convention as the vision one).
    var textProjection: String {
        layout == .huggingFace ? "text_projection.weight" : openCLIPTextPrefix + "text_projection"
    }
    /// The full key of the logit scale (a scalar, or `[1]`).
    var logitScale: String { "logit_scale" }

    // SigLIP (transformers' `SiglipModel`, Hugging Face layout only).
    /// The patch convolution's bias, relative to `visionPrefix`.
    var patchBias: String { "embeddings.patch_embedding.bias" }
    /// The attention-pooling head of the image tower, relative to `visionPrefix`.
    var poolingHead: String { "head." }
    /// The head's learned query (`[1, 1, width]`), relative to `poolingHead`.
    var headProbe: String { "probe" }
    /// The head's packed query/key/value projection (`nn.MultiheadAttention`), relative to `poolingHead`.
    var headInProjection: (weight: String, bias: String) { ("attention.in_proj_weight", "attention.in_proj_bias") }
    /// The head's attention output projection, relative to `poolingHead`.
    var headOutProjection: String { "attention.out_proj" }
    /// The head's LayerNorm, relative to `poolingHead`.
    var headNorm: String { "layernorm" }
    /// The text tower's head (a linear layer with bias), relative to `textPrefix`.
    var textHead: String { "head" }
    /// The full key of SigLIP's logit bias (`[1]`).
    var logitBias: String { "logit_bias" }

    /// The prefix of encoder layer `index`, relative to a tower prefix.
    func layerPrefix(_ index: Int) -> String {
        layout == .huggingFace ? "encoder.layers.\(index)." : "transformer.resblocks.\(index)."
    }

    // Relative to `layerPrefix`.
    var norm1: String { layout == .huggingFace ? "layer_norm1" : "ln_1" }
    var norm2: String { layout == .huggingFace ? "layer_norm2" : "ln_2" }
    /// The packed query/key/value weight and bias (OpenCLIP only).
    var packedQKV: (weight: String, bias: String) { ("attn.in_proj_weight", "attn.in_proj_bias") }
    /// The separate query, key and value projections, in packing order (transformers only).
    var separateQKV: [String] { ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"] }
    var attentionOutput: String { layout == .huggingFace ? "self_attn.out_proj" : "attn.out_proj" }
    var fc1: String { layout == .huggingFace ? "mlp.fc1" : "mlp.c_fc" }
    var fc2: String { layout == .huggingFace ? "mlp.fc2" : "mlp.c_proj" }
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
    var outputWeight: WeightBinding
    var outputBias: WeightBinding
    var norm2: LayerNormBinding
    var fc1Weight: WeightBinding
    var fc1Bias: WeightBinding
    var fc2Weight: WeightBinding
    var fc2Bias: WeightBinding

    /// The bindings of encoder layer `index` of a tower whose keys start with `prefix`.
    init(keys: CheckpointKeys, prefix towerPrefix: String, index: Int, encoder: EncoderArchitecture) {
        let p = towerPrefix + keys.layerPrefix(index)
        let w = encoder.width
        norm1 = LayerNormBinding(p + keys.norm1, width: w)
        norm2 = LayerNormBinding(p + keys.norm2, width: w)
        switch keys.layout {
        case .huggingFace:
            qkvWeight = WeightBinding(sources: keys.separateQKV.map { (p + $0 + ".weight", [w, w]) },
                                      assembly: .concatenateRows, shape: [3 * w, w])
            qkvBias = WeightBinding(sources: keys.separateQKV.map { (p + $0 + ".bias", [w]) },
                                    assembly: .concatenateRows, shape: [3 * w])
        case .openCLIP:
            qkvWeight = .direct(p + keys.packedQKV.weight, [3 * w, w])
            qkvBias = .direct(p + keys.packedQKV.bias, [3 * w])
        }
        outputWeight = .direct(p + keys.attentionOutput + ".weight", [w, w])
        outputBias = .direct(p + keys.attentionOutput + ".bias", [w])
        fc1Weight = .direct(p + keys.fc1 + ".weight", [encoder.mlpWidth, w])
        fc1Bias = .direct(p + keys.fc1 + ".bias", [encoder.mlpWidth])
        fc2Weight = .direct(p + keys.fc2 + ".weight", [w, encoder.mlpWidth])
        fc2Bias = .direct(p + keys.fc2 + ".bias", [w])
    }

    var all: [WeightBinding] {
        norm1.all + [qkvWeight, qkvBias, outputWeight, outputBias] + norm2.all + [fc1Weight, fc1Bias, fc2Weight, fc2Bias]
    }
}

/// Projections: `[embedding, width]` internally.
private func projectionBinding(keys: CheckpointKeys, key: String, width: Int, embedding: Int) -> WeightBinding {
    switch keys.layout {
    case .huggingFace: return .direct(key, [embedding, width])
    case .openCLIP: return WeightBinding(sources: [(key, [width, embedding])], assembly: .transpose, shape: [embedding, width])
    }
}

/// SigLIP's attention-pooling head (`SiglipMultiheadAttentionPoolingHead`): a learned probe
/// attends over every token, then LayerNorm and an MLP with a residual.
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

    init(keys: CheckpointKeys, prefix: String, encoder: EncoderArchitecture) {
        let p = prefix + keys.poolingHead
        let w = encoder.width
        probe = .direct(p + keys.headProbe, [1, 1, w], as: [w])
        inProjectionWeight = .direct(p + keys.headInProjection.weight, [3 * w, w])
        inProjectionBias = .direct(p + keys.headInProjection.bias, [3 * w])
        outProjectionWeight = .direct(p + keys.headOutProjection + ".weight", [w, w])
        outProjectionBias = .direct(p + keys.headOutProjection + ".bias", [w])
        norm = LayerNormBinding(p + keys.headNorm, width: w)
        fc1Weight = .direct(p + keys.fc1 + ".weight", [encoder.mlpWidth, w])
        fc1Bias = .direct(p + keys.fc1 + ".bias", [encoder.mlpWidth])
        fc2Weight = .direct(p + keys.fc2 + ".weight", [w, encoder.mlpWidth])
        fc2Bias = .direct(p + keys.fc2 + ".bias", [w])
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
    var head: PoolingHeadBinding?

    init(keys: CheckpointKeys, architecture: VisionArchitecture, embeddingDimension: Int) {
        let p = keys.visionPrefix
        let w = architecture.encoder.width
        let patch = architecture.patchSize
        patchEmbedding = .direct(p + keys.patchEmbedding, [w, architecture.channels, patch, patch],
                                 as: [w, architecture.patchLength])
        positionEmbedding = .direct(p + keys.visionPositionEmbedding, [architecture.tokenCount, w])
        layers = (0..<architecture.encoder.layers).map {
            EncoderLayerBinding(keys: keys, prefix: p, index: $0, encoder: architecture.encoder)
        }
        postNorm = LayerNormBinding(p + keys.postNorm, width: w)
        if architecture.family == .siglip {
            patchBias = .direct(p + keys.patchBias, [w])
            head = PoolingHeadBinding(keys: keys, prefix: p, encoder: architecture.encoder)
        } else {
            classEmbedding = .direct(p + keys.classEmbedding, [w])
            preNorm = LayerNormBinding(p + keys.preNorm, width: w)
            projection = projectionBinding(keys: keys, key: keys.visionProjection, width: w,
                                           embedding: embeddingDimension)
        }
    }

    var all: [WeightBinding] {
        [patchEmbedding] + [patchBias, classEmbedding].compactMap { $0 } + [positionEmbedding]
            + (preNorm?.all ?? []) + layers.flatMap(\.all) + postNorm.all + [projection].compactMap { $0 }
            + (head?.all ?? [])
    }
}

struct TextTowerBinding: Sendable {
    var tokenEmbedding: WeightBinding
    var positionEmbedding: WeightBinding
    var layers: [EncoderLayerBinding]
    var finalNorm: LayerNormBinding
    /// CLIP's projection (no bias), or SigLIP's head weight.
    var projection: WeightBinding
    /// SigLIP's head bias.
    var projectionBias: WeightBinding?

    init(keys: CheckpointKeys, architecture: TextArchitecture, embeddingDimension: Int) {
        let p = keys.textPrefix
        let w = architecture.encoder.width
        tokenEmbedding = .direct(p + keys.tokenEmbedding, [architecture.vocabularySize, w])
        positionEmbedding = .direct(p + keys.textPositionEmbedding, [architecture.contextLength, w])
        layers = (0..<architecture.encoder.layers).map {
            EncoderLayerBinding(keys: keys, prefix: p, index: $0, encoder: architecture.encoder)
        }
        finalNorm = LayerNormBinding(p + keys.finalNorm, width: w)
        if architecture.family == .siglip {
            projection = .direct(p + keys.textHead + ".weight", [embeddingDimension, w])
            projectionBias = .direct(p + keys.textHead + ".bias", [embeddingDimension])
        } else {
            projection = projectionBinding(keys: keys, key: keys.textProjection, width: w, embedding: embeddingDimension)
        }
    }

    var all: [WeightBinding] {
        [tokenEmbedding, positionEmbedding] + layers.flatMap(\.all) + finalNorm.all + [projection]
            + [projectionBias].compactMap { $0 }
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
