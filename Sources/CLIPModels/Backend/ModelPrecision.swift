/// The number format a model's matrix products compute in.
///
/// Layer norms, softmax, activations, residual sums and every accumulation stay in Float32 in
/// all three; what changes is the format of the weights and of the activations entering each
/// linear layer (patch embedding, attention projections, MLP). The output projections into the
/// embedding space are always Float32.
public enum ModelPrecision: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Float32 weights and inputs: the reference path, within 1e-4 of the reference
    /// implementations.
    case float32
    /// bfloat16 weights (2 bytes a parameter) and inputs, Float32 accumulation. Fast on CPUs with
    /// AVX512_BF16 or AMX; oneDNN emulates it on other AVX-512 CPUs; on AVX2 CPUs the weights and
    /// inputs are rounded to bfloat16 values and multiplied in Float32 (the same numbers, Float32's
    /// speed and memory).
    case bfloat16
    /// int8 weights, symmetric per output channel, and int8 inputs quantized dynamically per row
    /// (one scale for each token's activations), int32 accumulation. Fast on CPUs with VNNI;
    /// without VNNI the weights are quantized to 7 bits (±63), which oneDNN's int16 pair sums
    /// there cannot saturate. Attention-pooling heads (SigLIP, PE-Core, CoCa) and the output
    /// projections stay in Float32.
    /// The embeddings move further from Float32's than bfloat16's do: check them on your own
    /// model and data (`clip bench --precision int8 IMAGE...` prints the cosines) before relying
    /// on it.
    case int8

    /// The short name the `clip` tool uses: `f32`, `bf16` or `int8`.
    public var shortName: String {
        switch self {
        case .float32: "f32"
        case .bfloat16: "bf16"
        case .int8: "int8"
        }
    }

    /// The precision named `f32`/`float32`, `bf16`/`bfloat16` or `int8`, or nil.
    public init?(shortName: String) {
        switch shortName.lowercased() {
        case "f32", "float32", "fp32": self = .float32
        case "bf16", "bfloat16": self = .bfloat16
        case "int8", "i8": self = .int8
        default: return nil
        }
    }

    public var description: String { shortName }

    /// The precision of an attention-pooling head's layers (SigLIP's and PE-Core's head,
    /// CoCa's pooler) in a model of this precision: int8 becomes Float32, because one query
    /// attending over every token is where dynamic int8 breaks (an int8 pooling head is known to
    /// collapse PE-Core's zero-shot accuracy); the others are kept. The heads are a few
    /// products of one row (and one key/value product over the tokens) per image.
    var poolingHead: ModelPrecision { self == .int8 ? .float32 : self }
}
