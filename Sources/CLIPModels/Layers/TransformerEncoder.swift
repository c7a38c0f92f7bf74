import CLIPSupport
import Foundation
import TensorCore

/// Scratch memory for one forward pass, allocated once per batch and reused by every layer.
final class EncoderWorkspace {
    /// `[rows, width]`: LayerNorm outputs, then attention context.
    let normalized: UnsafeMutablePointer<Float>
    /// `[rows, 3·width]`: packed queries, keys and values.
    let qkv: UnsafeMutablePointer<Float>
    /// `[rows, width]`: concatenated attention heads.
    let context: UnsafeMutablePointer<Float>
    /// `[rows, max(mlpWidth, …)]`: MLP hidden activations (also used for patch embeddings).
    let wide: UnsafeMutablePointer<Float>
    /// `[workers, tokens, tokens]`: attention scores of one head per worker thread.
    let scores: UnsafeMutablePointer<Float>
    /// bfloat16 / int8 layers: `[rows, wideColumns]` values in the layer's input format (a
    /// layer's converted input).
    let staging: UnsafeMutableRawPointer
    /// bfloat16: `[rows, wideColumns]` MLP hidden activations written in bfloat16 by the first
    /// MLP product and read by the second.
    let wideStaging: UnsafeMutableRawPointer
    /// int8: `[rows]` scales of the quantized rows in `staging`.
    let rowScales: UnsafeMutablePointer<Float>
    /// `[rows, width]`: the residual stream.
    let hidden: UnsafeMutablePointer<Float>
    /// `[rows, width]`: the pooled token of each sequence (`[sequences, width]` is used).
    let pooled: UnsafeMutablePointer<Float>
    /// What the workspace was made for: it serves any pass needing no more.
    let rows: Int, width: Int, wideColumns: Int, tokens: Int, precision: ModelPrecision
    /// The most threads attention can be spread over (one score buffer each).
    let workers: Int
    let wideCount: Int
    /// The stream and scratch memory of the matrix products.
    let matmul = MatmulContext()

    init(rows: Int, width: Int, wideColumns: Int, tokens: Int, precision: ModelPrecision) {
        self.rows = rows
        self.width = width
        self.wideColumns = wideColumns
        self.tokens = tokens
        self.precision = precision
        hidden = .allocate(capacity: max(rows * width, 1))
        pooled = .allocate(capacity: max(rows * width, 1))
        normalized = .allocate(capacity: max(rows * width, 1))
        qkv = .allocate(capacity: max(rows * 3 * width, 1))
        context = .allocate(capacity: max(rows * width, 1))
        wideCount = max(rows * wideColumns, 1)
        wide = .allocate(capacity: wideCount)
        workers = max(1, ComputeThreads.count)
        scores = .allocate(capacity: max(workers * tokens * tokens, 1))
        let stagingBytes = max(rows * wideColumns * LinearLayer.stagedBytes(for: precision), 64)
        staging = .allocate(byteCount: stagingBytes, alignment: 64)
        wideStaging = .allocate(byteCount: precision == .bfloat16 && OneDNN.hasBFloat16Products ? stagingBytes : 64,
                                alignment: 64)
        rowScales = .allocate(capacity: max(rows, 1))
    }

    /// Whether the workspace is large enough for a pass with these sizes (and has a score buffer
    /// for each of ``ComputeThreads/count`` threads).
    func serves(rows: Int, width: Int, wideColumns: Int, tokens: Int, precision: ModelPrecision) -> Bool {
        self.rows >= rows && self.width == width && self.wideColumns >= wideColumns && self.tokens >= tokens
            && self.precision == precision && workers >= ComputeThreads.count
    }

    deinit {
        hidden.deallocate()
        pooled.deallocate()
        normalized.deallocate()
        qkv.deallocate()
        context.deallocate()
        wide.deallocate()
        scores.deallocate()
        staging.deallocate()
        wideStaging.deallocate()
        rowScales.deallocate()
    }
}

/// The workspaces of a tower kept between forward passes (at most two, for two concurrent
/// callers): allocating a pass's scratch memory anew each time costs page faults and zeroing of
/// fresh pages — more than the layer norms of a one-image pass.
final class WorkspacePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [EncoderWorkspace] = []
    private static let kept = 2

    init() {}

    /// Runs `body` with a workspace for a pass of these sizes, reusing an idle one that is large
    /// enough.
    func withWorkspace<R>(rows: Int, width: Int, wideColumns: Int, tokens: Int, precision: ModelPrecision,
                          _ body: (EncoderWorkspace) throws(CLIPModelError) -> R) throws(CLIPModelError) -> R {
        lock.lock()
        let index = idle.firstIndex {
            $0.serves(rows: rows, width: width, wideColumns: wideColumns, tokens: tokens, precision: precision)
        }
        let reused = index.map { idle.remove(at: $0) }
        lock.unlock()
        let workspace = reused ?? EncoderWorkspace(rows: rows, width: width, wideColumns: wideColumns, tokens: tokens,
                                                   precision: precision)
        defer {
            lock.lock()
            idle.append(workspace)
            if idle.count > Self.kept {
                // Keep the largest.
                idle.sort { $0.rows * $0.tokens > $1.rows * $1.tokens }
                idle.removeLast(idle.count - Self.kept)
            }
            lock.unlock()
        }
        return try body(workspace)
    }
}

/// A stack of transformer encoder layers (CLIP's `CLIPEncoder` / OpenCLIP's `Transformer` / timm's
/// blocks): each an ``EncoderLayer`` with the options of its ``EncoderArchitecture``.
///
/// The linear layers are ``LinearLayer``s (the backend boundary): the layers only say what to
/// multiply and what to do with the result (store it, add it into the residual stream, apply the
/// activation), in whatever precision they were prepared for.
struct TransformerEncoder: Sendable {
    let architecture: EncoderArchitecture
    let layers: [EncoderLayer]

    /// Loads the layers `bindings` describe; `rotary` positions (PE-Core's and EVA's image
    /// towers) rotate every layer's queries and keys.
    init(architecture: EncoderArchitecture, layers bindings: [EncoderLayer.Binding], rotary: RotaryTable? = nil,
         loader: WeightLoader) throws(CLIPModelError) {
        self.architecture = architecture
        var layers: [EncoderLayer] = []
        layers.reserveCapacity(bindings.count)
        for binding in bindings {
            layers.append(try EncoderLayer(binding, encoder: architecture, rotary: rotary, loader: loader))
        }
        self.layers = layers
    }

    /// Runs every layer over `hidden` (`[sequences, tokens, width]`, contiguous, overwritten) and
    /// writes the final hidden state of one token per sequence — `positions[s]` of sequence `s`,
    /// the token the tower pools — to `pooled` (`[sequences, width]`).
    ///
    /// Every layer but the last runs over all tokens. In the last layer only the keys and values
    /// need every token: its queries, attention output, MLP and residuals are computed for the
    /// pooled tokens alone, which are the only rows anything reads afterwards (per-row results
    /// are the same as a full pass).
    /// - Parameters:
    ///   - causal: whether position `i` may attend only to positions `≤ i`.
    ///   - keyMask: for each sequence, which keys its rows may attend to besides what `causal`
    ///     says (`tokens` flags; CoCa's text, for which open_clip masks the key after each 0 id).
    func run(_ hidden: UnsafeMutablePointer<Float>, sequences: Int, tokens: Int, causal: Bool,
             pooling positions: [Int], keyMask: [[Bool]]? = nil, into pooled: UnsafeMutablePointer<Float>,
             workspace: EncoderWorkspace) throws(CLIPModelError) {
        let width = architecture.width
        for layer in layers.dropLast() {
            try layer.apply(to: hidden, sequences: sequences, tokens: tokens, causal: causal, keyMask: keyMask,
                            workspace: workspace)
        }
        guard let last = layers.last else {
            for (s, position) in positions.enumerated() {
                (pooled + s * width).update(from: hidden + (s * tokens + position) * width, count: width)
            }
            return
        }
        try last.applyPooled(to: hidden, sequences: sequences, tokens: tokens, causal: causal, positions: positions,
                             keyMask: keyMask, into: pooled, workspace: workspace)
    }

    /// Runs every layer over every token of `hidden` (`[sequences, tokens, width]`, contiguous,
    /// overwritten), without causal masking: for towers that read every final token (SigLIP's
    /// image tower, whose pooling head attends over all of them).
    func runAll(_ hidden: UnsafeMutablePointer<Float>, sequences: Int, tokens: Int,
                workspace: EncoderWorkspace) throws(CLIPModelError) {
        for layer in layers {
            try layer.apply(to: hidden, sequences: sequences, tokens: tokens, causal: false, workspace: workspace)
        }
    }

    /// The linear layers of every encoder layer.
    var linearLayers: [LinearLayer] { layers.flatMap(\.linearLayers) }
}
