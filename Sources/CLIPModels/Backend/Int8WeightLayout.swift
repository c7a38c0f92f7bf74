import CDNNL
import CLIPSupport
import TensorCore

/// The int8 weight layout oneDNN 2.6's VNNI brgemm matmul asks for, written here instead of by a
/// oneDNN reorder: oneDNN has only its reference reorder (`simple:any`, about 1.7 ns a value on
/// two threads) into this layout, which made an int8 ViT-B/32 open in 0.50 s instead of 0.31 s.
///
/// The layout (`BA16a64b4a` with s8s8 compensation) of a `[inputs, outputs]` weight (oneDNN's
/// `K × N`), both padded to multiples of 64 with zeros: blocks of 64 outputs, each holding
/// blocks of 64 inputs, each of those `[16][64 outputs][4 inputs]` bytes (4096); after all
/// blocks, one Int32 per padded output, `-128 · Σₖ q[n][k]` (oneDNN's kernels multiply unsigned
/// `src + 128` by the signed weights; this term takes the 128 back out), 0 for padding.
///
/// Only a descriptor that is exactly this layout is written here; any other (another CPU's
/// kernel, another oneDNN) goes through oneDNN's reorder. A test compares the bytes with
/// oneDNN's reorder.
struct Int8WeightLayout {
    /// `K`: the weight's inputs, and padded to a multiple of 64.
    let inputs: Int, paddedInputs: Int
    /// `N`: the weight's outputs, and padded to a multiple of 64.
    let outputs: Int, paddedOutputs: Int

    static let block = 64
    static let blockBytes = 4096

    /// The layout `descriptor` describes, if it is the one this type writes.
    init?(_ descriptor: dnnl_memory_desc_t) {
        guard descriptor.ndims == 2, descriptor.data_type == dnnl_s8, descriptor.format_kind == dnnl_blocked,
              descriptor.offset0 == 0 else { return nil }
        let k = Int(descriptor.dims.0), n = Int(descriptor.dims.1)
        let kp = Int(descriptor.padded_dims.0), np = Int(descriptor.padded_dims.1)
        let blocking = descriptor.format_desc.blocking
        let b = Self.block
        guard k > 0, n > 0, kp == (k + b - 1) / b * b, np == (n + b - 1) / b * b,
              blocking.inner_nblks == 3,
              blocking.inner_blks.0 == 16, blocking.inner_idxs.0 == 0,
              blocking.inner_blks.1 == 64, blocking.inner_idxs.1 == 1,
              blocking.inner_blks.2 == 4, blocking.inner_idxs.2 == 0,
              blocking.strides.0 == Int64(Self.blockBytes), blocking.strides.1 == Int64(kp * b),
              descriptor.extra.flags == UInt64(dnnl_memory_extra_flag_compensation_conv_s8s8.rawValue),
              descriptor.extra.compensation_mask == 1 << 1
        else { return nil }
        var copy = descriptor
        guard dnnl_memory_desc_get_size(&copy) >= kp * np + np * MemoryLayout<Int32>.size else { return nil }
        inputs = k
        paddedInputs = kp
        outputs = n
        paddedOutputs = np
    }

    /// Quantizes `weight` (`[outputs, inputs]` row-major Float32; row `n` to `q = round(w ·
    /// inverseScales[n])`, ties to even, clamped to ±127) into `destination` in this layout,
    /// with the compensation. Output blocks are spread over the compute threads.
    func write(_ weight: UnsafePointer<Float>, inverseScales: [Float], into destination: UnsafeMutableRawPointer) {
        let b = Self.block, k = inputs, n = outputs, kp = paddedInputs
        let inputBlocks = kp / b
        let source = SendablePointer(weight), target = SendableMutableRawPointer(destination)
        let compensation = SendableMutablePointer((destination + kp * paddedOutputs).assumingMemoryBound(to: Int32.self))
        let scales = inverseScales
        ComputeThreads.forEachChunk(of: paddedOutputs / b, minimumChunk: 1) { outputBlocks in
            var row = [Int8](repeating: 0, count: b)
            for outputBlock in outputBlocks {
                let blockBase = target.base + outputBlock * kp * b
                blockBase.initializeMemory(as: UInt8.self, repeating: 0, count: kp * b)
                for lane in 0..<b {
                    let output = outputBlock * b + lane
                    guard output < n else {
                        compensation.base[output] = 0
                        continue
                    }
                    var sum: Int32 = 0
                    row.withUnsafeMutableBufferPointer { quantized in
                        guard let q = quantized.baseAddress else { return }
                        for inputBlock in 0..<inputBlocks {
                            let first = inputBlock * b
                            let count = min(b, k - first)
                            if count < b { q.update(repeating: 0, count: b) }
                            Kernels.quantize(source.base + output * k + first, count: count,
                                             inverseScale: scales[output], into: q)
                            for i in 0..<count { sum &+= Int32(q[i]) }
                            // [16 groups][64 outputs][4 inputs]: group g's four bytes at g·256 + lane·4.
                            let out = blockBase + inputBlock * Self.blockBytes + lane * 4
                            let groups = UnsafeRawPointer(q)
                            for group in 0..<16 {
                                out.storeBytes(of: groups.loadUnaligned(fromByteOffset: group * 4, as: UInt32.self),
                                               toByteOffset: group * 256, as: UInt32.self)
                            }
                        }
                    }
                    compensation.base[output] = -128 &* sum
                }
            }
        }
    }
}
