import Foundation
import TensorCore

extension CLIPModel {
    /// A short identifier of this model's architecture and weights, such as
    /// `"clip-512d-3f2a…"`, used to tie saved label embeddings and search indexes to the model
    /// that produced them. Two loads of the same checkpoint (in any layout or precision that
    /// gives the same Float32 weights) have the same fingerprint; different weights almost
    /// surely do not.
    ///
    /// It hashes (FNV-1a, 64-bit) the architecture, the logit scale, both projection matrices,
    /// the class embedding and the first token embedding — a few MB at most, not every weight.
    /// For SigLIP: the logit bias, the text head, the pooling head's probe and its query
    /// in place of the projections and class embedding.
    public var fingerprint: String {
        var hash = FNV1a64()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        if let description = try? encoder.encode(architecture) { hash.combine(bytes: description) }
        hash.combine(logitScale.bitPattern)
        if let logitBias { hash.combine(logitBias.bitPattern) }
        var tensors = [text.projectionMatrix]
        switch vision.pooling {
        case let .classToken(clip): tensors = [clip.projectionMatrix] + tensors + [clip.classEmbedding]
        case let .attentionHead(head): tensors += [head.probe, head.query]
        }
        for tensor in tensors {
            tensor.withUnsafeBufferPointer { hash.combine(floats: $0) }
        }
        text.tokenEmbedding.withUnsafeBufferPointer { rows in
            hash.combine(floats: UnsafeBufferPointer(rebasing: rows.prefix(text.architecture.encoder.width)))
        }
        return "\(family.rawValue)-\(architecture.embeddingDimension)d-" + String(hash.value, radix: 16)
    }
}

/// The 64-bit FNV-1a hash, fed a word at a time for floats.
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01B3

    mutating func combine(bytes: some Sequence<UInt8>) {
        for byte in bytes { value = (value ^ UInt64(byte)) &* Self.prime }
    }

    mutating func combine(_ word: UInt32) {
        value = (value ^ UInt64(word)) &* Self.prime
    }

    mutating func combine(floats: UnsafeBufferPointer<Float>) {
        combine(UInt32(truncatingIfNeeded: floats.count))
        for f in floats { combine(f.bitPattern) }
    }
}
