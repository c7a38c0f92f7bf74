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
