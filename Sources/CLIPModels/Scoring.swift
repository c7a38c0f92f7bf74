import Foundation
import TensorCore

/// How a model turns the cosine similarities of images and captions into probabilities: a
/// property of the model (its family and its stored `logit_scale` / `logit_bias`), as open_clip's
/// `get_logits`, so that a classifier never asks which family it holds.
public enum Scoring: Sendable, Equatable, Hashable {
    /// CLIP: `softmax(scale · cos)` over the labels of each image (the probabilities sum to 1).
    case softmax(scale: Float)
    /// SigLIP: `sigmoid(scale · cos + bias)` for each label on its own (an image may match
    /// several labels, or none).
    case sigmoid(scale: Float, bias: Float)

    /// The factor applied to cosine similarities: `exp` of the stored `logit_scale`.
    public var logitScale: Float {
        switch self {
        case let .softmax(scale), let .sigmoid(scale, _): return scale
        }
    }

    /// The learned bias added before the sigmoid; `nil` for a softmax.
    public var logitBias: Float? {
        switch self {
        case .softmax: return nil
        case let .sigmoid(_, bias): return bias
        }
    }

    /// Whether each image's probabilities sum to 1 over the labels (true for the softmax).
    public var probabilitiesSumToOne: Bool {
        if case .softmax = self { return true }
        return false
    }

    /// A short name of the rule: "softmax" or "sigmoid".
    public var name: String { probabilitiesSumToOne ? "softmax" : "sigmoid" }

    /// The probabilities of cosine similarities.
    /// - Parameter similarities: `[images, labels]` cosines of unit-length embeddings.
    /// - Returns: `[images, labels]`: each row a softmax over the labels, or each element its own
    ///   sigmoid.
    /// - Throws: `TensorError` when the values cannot form a tensor of that shape.
    public func probabilities(similarities: Tensor) throws -> Tensor {
        switch self {
        case let .softmax(scale):
            return try similarities.scaled(by: scale).softmax()
        case let .sigmoid(scale, bias):
            // As transformers' SiglipModel logits_per_image, then torch.sigmoid.
            let logits = similarities.scalars.map { scale * $0 + bias }
            return try Tensor(shape: similarities.shape, scalars: logits.map { 1 / (1 + Foundation.exp(-$0)) })
        }
    }
}
