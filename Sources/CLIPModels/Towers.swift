import TensorCore

/// An image tower: maps normalized pixels to image embeddings. ``CLIPModel`` composes any image
/// tower with any ``TextTower``; the model's family says which towers it builds
/// (``FamilyDescriptor``). Immutable and safe to share between threads.
public protocol ImageTower: Sendable {
    /// The side of the square input image in pixels.
    var imageSize: Int { get }
    /// The number of input channels (3).
    var channels: Int { get }
    /// The width of the output embeddings.
    var embeddingDimension: Int { get }

    /// The projected image embeddings of a batch of normalized pixel tensors.
    /// - Parameter pixelValues: `[batch, channels, imageSize, imageSize]`, already resized,
    ///   cropped and normalized.
    /// - Returns: `[batch, embeddingDimension]`, not normalized.
    /// - Throws: `CLIPModelError.invalidPixelValues` for a wrong shape, `emptyBatch` for no images.
    func encode(pixelValues: Tensor) throws(CLIPModelError) -> Tensor

    /// The kernels the tower's matrix products ran so far (oneDNN's implementation names, such
    /// as `brg:avx512_core_bf16`); empty before any product.
    var kernelNames: Set<String> { get }

    /// The tensors that identify the tower's weights in ``CLIPModel/fingerprint``.
    var fingerprintTensors: TowerFingerprint { get }
}

/// A text tower: maps token ids to text embeddings. Immutable and safe to share between threads.
public protocol TextTower: Sendable {
    /// The longest token sequence the tower takes.
    var contextLength: Int { get }
    /// The number of token ids (every id must be below it).
    var vocabularySize: Int { get }
    /// The width of the output embeddings.
    var embeddingDimension: Int { get }

    /// The projected text embeddings of a batch of token sequences.
    /// - Parameter tokenIDs: one array of ids per text, each at most ``contextLength`` long.
    /// - Returns: `[batch, embeddingDimension]`, not normalized.
    /// - Throws: `CLIPModelError.sequenceTooLong`, `tokenOutOfRange`, `missingEndOfText`, `emptyBatch`.
    func encode(tokenIDs: [[Int]]) throws(CLIPModelError) -> Tensor

    /// The kernels the tower's matrix products ran so far; empty before any product.
    var kernelNames: Set<String> { get }

    /// The tensors that identify the tower's weights in ``CLIPModel/fingerprint``.
    var fingerprintTensors: TowerFingerprint { get }
}

/// The few tensors of a tower that ``CLIPModel/fingerprint`` hashes in place of every weight:
/// the projections of both towers first (image, then text), then each tower's other tensors
/// (image, then text).
public struct TowerFingerprint: Sendable {
    /// The projection onto the embedding space (`[embedding, width]`), when the tower has one.
    public var projection: Tensor?
    /// Other tensors that differ between checkpoints (a class embedding, a pooling probe, a
    /// prefix of the token embeddings).
    public var others: [Tensor]

    /// Creates a fingerprint description.
    public init(projection: Tensor?, others: [Tensor]) {
        self.projection = projection
        self.others = others
    }
}
