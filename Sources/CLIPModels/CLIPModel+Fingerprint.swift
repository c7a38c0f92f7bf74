import Foundation
import TensorCore

extension CLIPModel {
    /// A short identifier of this model's architecture and weights, such as
    /// `"clip-512d-3f2a…"`, used to tie saved label embeddings and search indexes to the model
    /// that produced them. Two loads of the same checkpoint (in any layout or precision that
    /// gives the same Float32 weights) have the same fingerprint; different weights almost
    /// surely do not.
    ///
    /// It hashes (FNV-1a, 64-bit) the architecture, the logit scale (and bias), and the few
    /// tensors each tower names (``TowerFingerprint``: CLIP's projections, class embedding and
    /// first token embedding; SigLIP's text head, pooling probe and query, first token
    /// embedding) — a few MB at most, not every weight.
    public var fingerprint: String {
        var hash = FNV1a64()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        if let description = try? encoder.encode(architecture) { hash.combine(bytes: description) }
        hash.combine(logitScale.bitPattern)
        if let logitBias { hash.combine(logitBias.bitPattern) }
        // The projections first (image, then text), then each tower's other tensors.
        let image = vision.fingerprintTensors, words = text.fingerprintTensors
        let tensors = [image.projection, words.projection].compactMap { $0 } + image.others + words.others
        for tensor in tensors {
            tensor.withUnsafeBufferPointer { hash.combine(floats: $0) }
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
