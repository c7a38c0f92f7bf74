import CDNNL
import CLIPSupport
import Foundation
import TensorCore

/// A linear layer `y = x · Wᵀ + b` whose product runs in oneDNN: the backend boundary of the
/// model. The encoder hands it activations and says what to do with the result (store, add
/// into a residual, apply the MLP activation); which library multiplies, in which number
/// format and weight layout, is decided here.
///
/// The weight (`[outputs, inputs]`) is reordered once, when the layer is made, into the
/// blocked layout oneDNN's matmul asks for (`format_tag any`), converted on the way to the
/// layer's precision: Float32, bfloat16, or int8 with one symmetric scale per output channel.
/// The source tensor is not kept (its mapped pages are given back), so one copy of each weight
/// is resident, in the compute format. A matmul primitive is made per row count and epilogue on
/// first use and kept.
///
/// A product runs whole, on oneDNN's threads, where oneDNN has a brgemm kernel for it (AVX-512
/// CPUs; see ``splitsColumns(kernelPrecision:)``). Elsewhere, with more than one compute thread,
/// a wide layer is split by output columns into one slice per thread, each with its own
/// reordered weight and single-threaded primitives, run side by side in one parallel region:
/// each thread reads only its slice's weights and no thread waits at the end of a product for
/// another's unequal share of rows (measured on ViT-B/32's shapes at 50 rows: 10–40% faster than
/// one `gemm:jit` primitive on two threads).
///
/// Where the CPU lacks what a precision needs, the layer says so in ``implementations`` and
/// keeps the precision's numbers: bfloat16 without oneDNN bfloat16 products (AVX2 CPUs) rounds
/// weights and inputs to bfloat16 values and multiplies them in Float32 (bfloat16's results at
/// Float32's speed and memory); int8 without VNNI quantizes weights to 7 bits (±63), because
/// oneDNN's kernels there add pairs of u8·s8 products in saturating int16.
final class LinearLayer: @unchecked Sendable {
    /// Activations entering the product, `[rows, inputs]` row-major, in the layer's format.
    enum Input {
        case float32(UnsafePointer<Float>)
        case bfloat16(UnsafePointer<UInt16>)
        /// int8 values and one scale per row (`x ≈ q · scale`).
        case int8(UnsafePointer<Int8>, rowScales: UnsafePointer<Float>)
    }

    /// Where the result goes, `[rows, outputs]` row-major.
    enum Output {
        case float32(UnsafeMutablePointer<Float>)
        /// bfloat16 (only for Float32 and bfloat16 layers).
        case bfloat16(UnsafeMutablePointer<UInt16>)
    }

    /// `W`'s rows: the width of the result.
    let outputs: Int
    /// `W`'s columns: the width of the activations.
    let inputs: Int
    /// The format of the weight and of the inputs.
    let precision: ModelPrecision
    /// The format oneDNN multiplies in: `precision`, or Float32 when bfloat16 is emulated.
    private let kernelPrecision: ModelPrecision
    /// int8: the largest weight magnitude after quantization (127, or 63 without VNNI).
    private let int8WeightLimit: Float
    /// `[outputs]`, or nil.
    private let bias: UnsafeMutablePointer<Float>?
    /// The output columns in slices, each with its weights in oneDNN's layout: one slice (whose
    /// products use oneDNN's threads), or one per compute thread (single-threaded products run
    /// side by side).
    private let slices: [ColumnSlice]
    /// int8: the activations applied after the row scales, per row count (guarded by `lock`).
    private var activations: [ProductKey: OneDNNPrimitive] = [:]
    private let lock = NSLock()

    /// Layers at least this wide are split by columns when there is more than one thread.
    static let minimumSplitOutputs = 256

    /// Reorders `weight` (`[outputs, inputs]`) for products in `precision`.
    /// - Parameters:
    ///   - bias: `[outputs]`, or nil.
    ///   - name: how the layer is named in errors (its checkpoint key).
    ///   - columnSplit: whether to split the product into per-thread column slices; nil (the
    ///     default) decides by ``splitsColumns(kernelPrecision:)``. Tests set it to run both paths.
    init(weight: Tensor, bias: Tensor?, precision: ModelPrecision, name: String,
         columnSplit: Bool? = nil) throws(CLIPModelError) {
        guard weight.rank == 2, weight.shape[0] > 0, weight.shape[1] > 0 else {
            throw .backend(operation: "prepare weight \(name) of shape \(weight.shape)", status: "not a matrix")
        }
        let n = weight.shape[0], k = weight.shape[1]
        outputs = n
        inputs = k
        self.precision = precision
        let kernelPrecision: ModelPrecision = precision == .bfloat16 && !OneDNN.hasBFloat16Products ? .float32 : precision
        self.kernelPrecision = kernelPrecision
        let limit: Float = OneDNN.hasInt8DotProducts ? 127 : 63
        int8WeightLimit = limit
        if let bias {
            guard bias.count == n else {
                throw .backend(operation: "prepare bias of \(name) with shape \(bias.shape)", status: "expected [\(n)]")
            }
            let copy = UnsafeMutablePointer<Float>.allocate(capacity: n)
            bias.withUnsafeBufferPointer { b in
                if let base = b.baseAddress { copy.update(from: base, count: n) }
            }
            self.bias = copy
        } else {
            self.bias = nil
        }
        // Per-channel int8 scales: the largest magnitude of each weight row maps to the limit.
        var scales: [Float] = []
        if precision == .int8 {
            scales = weight.withUnsafeBufferPointer { w in
                (0..<n).map { row in
                    let largest = w.baseAddress.map { Kernels.maximumMagnitude($0 + row * k, count: k) } ?? 0
                    return largest > 0 && largest.isFinite ? largest / limit : 1
                }
            }
        }
        do {
            slices = try Self.makeSlices(weight: weight, hasBias: bias != nil, kernelPrecision: kernelPrecision,
                                         roundingToBFloat16: precision == .bfloat16 && kernelPrecision == .float32,
                                         channelScales: scales,
                                         split: columnSplit ?? Self.splitsColumns(kernelPrecision: kernelPrecision),
                                         name: name)
        } catch {
            self.bias?.deallocate()
            throw error
        }
        weight.releaseResidentPages()
    }

    deinit { bias?.deallocate() }

    /// Whether products in `kernelPrecision` are split into per-thread column slices on this
    /// CPU, decided once per precision. oneDNN 2.6 runs a column slice (a strided output, planned
    /// for one thread) on its `gemm:jit` kernels only; a whole product, with its own threads, may
    /// get a brgemm kernel (`brg:avx512_core`, `brg:avx512_core_bf16`, `brg:avx512_core_vnni`).
    /// Where it does, products run whole: measured on ViT-B/32 (Zen 4, 2 threads) against the
    /// slices, Float32 0–4% faster, bfloat16 13–30% and int8 13–23% (its weight reorder into the
    /// VNNI layout is oneDNN's slower `simple:any` one: opening took 0.50 s instead of 0.31 s).
    /// Where it does not (AVX2 CPUs,
    /// the bfloat16 fallback), the slices stay: 10–40% faster than one `gemm:jit` product on two
    /// threads.
    static func splitsColumns(kernelPrecision: ModelPrecision) -> Bool {
        switch kernelPrecision {
        case .float32: !wholeProductsUseBrgemm.float32
        case .bfloat16: !wholeProductsUseBrgemm.bfloat16
        case .int8: !wholeProductsUseBrgemm.int8
        }
    }

    /// Which precisions oneDNN multiplies with a brgemm kernel as whole products, asked once
    /// with a ViT-B-sized product (`[64, 768]·[768, 768]ᵀ` with a bias, weights in its layout).
    private static let wholeProductsUseBrgemm: (float32: Bool, bfloat16: Bool, int8: Bool) = (
        probeBrgemm(.float32), OneDNN.hasBFloat16Products && probeBrgemm(.bfloat16), probeBrgemm(.int8)
    )

    private static func probeBrgemm(_ precision: ModelPrecision) -> Bool {
        let width = 768
        guard let descriptor = try? ColumnSlice.matmulDescriptor(
            rows: 64, inputs: width, columns: width, rowStride: width, precision: precision, weights: nil,
            hasBias: precision != .int8, bfloat16Output: false, accumulate: false, activation: nil,
            channelScales: precision == .int8 ? [Float](repeating: 1, count: width) : [], singleThreaded: false)
        else { return false }
        defer { dnnl_primitive_desc_destroy(descriptor) }
        return OneDNN.implementationName(descriptor).hasPrefix("brg")
    }

    /// The column ranges of the slices of a split layer: one for narrow layers or one thread,
    /// else one per thread, as equal as multiples of 16 columns allow.
    static func columnRanges(outputs: Int, threads: Int) -> [Range<Int>] {
        guard threads > 1, outputs >= minimumSplitOutputs else { return [0..<outputs] }
        let step = (outputs + threads - 1) / threads
        let width = (step + 15) / 16 * 16
        return stride(from: 0, to: outputs, by: width).map { $0..<min(outputs, $0 + width) }
    }

    /// The slices of `weight`, each reordered into the layout oneDNN's matmul asks for (the
    /// same for every row count: it depends on the shape and the instruction set), probed with
    /// 64 rows. A split whose strided output oneDNN cannot write falls back to one slice.
    private static func makeSlices(weight: Tensor, hasBias: Bool, kernelPrecision: ModelPrecision,
                                   roundingToBFloat16: Bool, channelScales: [Float], split: Bool,
                                   name: String) throws(CLIPModelError) -> [ColumnSlice] {
        let n = weight.shape[0], k = weight.shape[1]
        let ranges = split ? columnRanges(outputs: n, threads: ComputeThreads.count) : [0..<n]
        func make(_ ranges: [Range<Int>]) throws(CLIPModelError) -> [ColumnSlice] {
            let split = ranges.count > 1
            var made: [ColumnSlice] = []
            for columns in ranges {
                let slice = try ColumnSlice(columns: columns, outputs: n, inputs: k, kernelPrecision: kernelPrecision,
                                            hasBias: hasBias, singleThreaded: split,
                                            channelScales: channelScales.isEmpty ? [] : Array(channelScales[columns]))
                try slice.reorder(weight, roundingToBFloat16: roundingToBFloat16, name: name)
                made.append(slice)
            }
            return made
        }
        if ranges.count > 1, let split = try? make(ranges) { return split }
        return try make([0..<n])
    }

    /// The implementations oneDNN chose for this layer's products so far (e.g.
    /// `brg:avx512_core_bf16`), with the fallback named where one is in use
    /// (`gemm:jit/bf16-as-f32`, `gemm:jit/int8-7bit`).
    var implementations: Set<String> {
        lock.lock()
        defer { lock.unlock() }
        let suffix = if precision == .bfloat16 && kernelPrecision == .float32 {
            "/bf16-as-f32"
        } else if precision == .int8 && int8WeightLimit < 127 {
            "/int8-7bit"
        } else {
            ""
        }
        return Set(slices.flatMap { $0.primitives.values.map { $0.implementation + suffix } })
    }

    /// How many column slices the layer's products run as (1: one oneDNN primitive on all
    /// threads).
    var sliceCount: Int { slices.count }

    /// Whether the layer reads bfloat16 activations (and so can take another layer's bfloat16
    /// output directly): bfloat16 layers on CPUs with bfloat16 products.
    var readsBFloat16: Bool { kernelPrecision == .bfloat16 }

    /// Bytes a converted input value takes in a workspace's staging memory, for layers of
    /// `precision` on this CPU (0 for Float32: inputs are read where they are).
    static func stagedBytes(for precision: ModelPrecision) -> Int {
        switch precision {
        case .float32: 0
        case .bfloat16: OneDNN.hasBFloat16Products ? 2 : 4
        case .int8: 1
        }
    }

    /// Turns Float32 activations (`[rows, inputs]`) into this layer's input format: as they are
    /// for Float32, else converted into `staging` (at least `rows · inputs` values of the format;
    /// `rowScales` `[rows]` for int8). Rows are spread over the compute threads.
    func input(from x: UnsafePointer<Float>, rows: Int, staging: UnsafeMutableRawPointer,
               rowScales: UnsafeMutablePointer<Float>) -> Input {
        let width = inputs
        let source = SendablePointer(x)
        switch precision {
        case .float32:
            return .float32(x)
        case .bfloat16 where kernelPrecision == .float32:
            let target = SendableMutablePointer(staging.assumingMemoryBound(to: Float.self))
            forEachRowChunk(rows: rows, width: width) { range in
                let offset = range.lowerBound * width
                Kernels.roundToBFloat16(source.base + offset, count: range.count * width, into: target.base + offset)
            }
            return .float32(UnsafePointer(target.base))
        case .bfloat16:
            let target = SendableMutablePointer(staging.assumingMemoryBound(to: UInt16.self))
            forEachRowChunk(rows: rows, width: width) { range in
                let offset = range.lowerBound * width
                Kernels.convertToBFloat16(source.base + offset, count: range.count * width, into: target.base + offset)
            }
            return .bfloat16(UnsafePointer(target.base))
        case .int8:
            let target = SendableMutablePointer(staging.assumingMemoryBound(to: Int8.self))
            let scales = SendableMutablePointer(rowScales)
            forEachRowChunk(rows: rows, width: width) { range in
                let offset = range.lowerBound * width
                Kernels.quantizeRows(source.base + offset, rows: range.count, width: width, into: target.base + offset,
                                     scales: scales.base + range.lowerBound)
            }
            return .int8(UnsafePointer(target.base), rowScales: UnsafePointer(rowScales))
        }
    }

    /// `out = act(x · Wᵀ + b)`, or `out += x · Wᵀ + b` when `accumulate` (`activation` must then
    /// be nil), for `rows` rows. `input` must be in the layer's format (see ``input(from:rows:staging:rowScales:)``).
    func run(_ input: Input, rows: Int, into output: Output, accumulate: Bool = false, activation: Activation? = nil,
             context: MatmulContext) throws(CLIPModelError) {
        guard rows > 0 else { return }
        let bfloat16Output: Bool
        let outputData: UnsafeMutableRawPointer
        switch output {
        case .float32(let p): bfloat16Output = false; outputData = UnsafeMutableRawPointer(p)
        case .bfloat16(let p): bfloat16Output = true; outputData = UnsafeMutableRawPointer(p)
        }
        let operation = "multiply [\(rows), \(inputs)] by [\(outputs), \(inputs)]ᵀ in \(precision)"
        guard !(accumulate && activation != nil), !(precision == .int8 && bfloat16Output) else {
            throw .backend(operation: operation, status: "unsupported epilogue")
        }
        let sourceData: UnsafeMutableRawPointer
        var rowScales: UnsafePointer<Float>?
        switch (input, kernelPrecision) {
        case (.float32(let p), .float32): sourceData = UnsafeMutableRawPointer(mutating: p)
        case (.bfloat16(let p), .bfloat16): sourceData = UnsafeMutableRawPointer(mutating: p)
        case (.int8(let p, let scales), .int8):
            sourceData = UnsafeMutableRawPointer(mutating: p)
            rowScales = scales
        default: throw .backend(operation: operation, status: "input format differs from the layer's")
        }

        // int8: oneDNN writes the products scaled by the channel scales; the row scales, bias,
        // residual and activation follow here (oneDNN 2.6's fast int8 kernels take no per-row
        // scale).
        let key = ProductKey(rows: rows, bfloat16Output: bfloat16Output,
                             accumulate: precision == .int8 ? false : accumulate,
                             activation: precision == .int8 ? nil : activation)
        var products = outputData
        if precision == .int8, accumulate {
            products = UnsafeMutableRawPointer(context.productBuffer(count: rows * outputs))
        }
        let runs = try lockedPrimitives(for: key)
        let bias = precision == .int8 ? nil : self.bias
        if runs.count == 1 {
            try slices[0].execute(runs[0], source: sourceData, rows: rows, destination: products,
                                  bfloat16Output: bfloat16Output, bias: bias, context: context, operation: operation)
        } else {
            try executeSideBySide(runs, source: sourceData, rows: rows, destination: products,
                                  bfloat16Output: bfloat16Output, bias: bias, context: context, operation: operation)
        }

        if precision == .int8, let rowScales {
            try finishInt8(products: products.assumingMemoryBound(to: Float.self), rowScales: rowScales, rows: rows,
                           into: outputData.assumingMemoryBound(to: Float.self), accumulate: accumulate,
                           activation: activation, context: context)
        }
    }

    /// Runs one single-threaded product per slice, the slices spread over the compute threads.
    private func executeSideBySide(_ runs: [OneDNNPrimitive], source: UnsafeMutableRawPointer, rows: Int,
                                   destination: UnsafeMutableRawPointer, bfloat16Output: Bool,
                                   bias: UnsafeMutablePointer<Float>?, context: MatmulContext,
                                   operation: String) throws(CLIPModelError) {
        let contexts = try (0..<runs.count).map { (i) throws(CLIPModelError) in try context.part(i) }
        let failures = UnsafeMutableBufferPointer<CLIPModelError?>.allocate(capacity: runs.count)
        failures.initialize(repeating: nil)
        defer { failures.deallocate() }
        let job = SideBySideJob(layer: self, runs: runs, contexts: contexts, source: source, rows: rows,
                                destination: destination, bfloat16Output: bfloat16Output, bias: bias,
                                failures: failures, operation: operation)
        let workers = min(runs.count, ComputeThreads.count)
        ComputeThreads.parallel(workers) { worker in
            var index = worker
            while index < job.runs.count {
                job.run(index)
                index += workers
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
    }

    /// What the workers of a side-by-side product share (raw pointers and oneDNN handles, each
    /// slice touched by one worker only).
    private struct SideBySideJob: @unchecked Sendable {
        let layer: LinearLayer
        let runs: [OneDNNPrimitive]
        let contexts: [MatmulContext]
        let source: UnsafeMutableRawPointer
        let rows: Int
        let destination: UnsafeMutableRawPointer
        let bfloat16Output: Bool
        let bias: UnsafeMutablePointer<Float>?
        let failures: UnsafeMutableBufferPointer<CLIPModelError?>
        let operation: String

        func run(_ index: Int) {
            do {
                try layer.slices[index].execute(runs[index], source: source, rows: rows, destination: destination,
                                                bfloat16Output: bfloat16Output, bias: bias, context: contexts[index],
                                                operation: operation)
            } catch {
                failures[index] = error
            }
        }
    }

    /// `out (+)= rowScale · products + bias` on the compute threads, then the activation in place
    /// with oneDNN's eltwise kernel (the same function as the other precisions' post-op; run
    /// separately because the row scales must come first, and oneDNN 2.6's int8 brgemm takes
    /// no per-row scale; its vectorized kernel is 4–5 times faster than TensorCore's portable
    /// one on AVX-512).
    private func finishInt8(products: UnsafePointer<Float>, rowScales: UnsafePointer<Float>, rows: Int,
                            into out: UnsafeMutablePointer<Float>, accumulate: Bool, activation: Activation?,
                            context: MatmulContext) throws(CLIPModelError) {
        let width = outputs
        let products = SendablePointer(products), scales = SendablePointer(rowScales)
        let output = SendableMutablePointer(out), bias = bias.map { SendablePointer($0) }
        forEachRowChunk(rows: rows, width: width) { range in
            let products = products.base, scales = scales.base, out = output.base, bias = bias?.base
            let offset = range.lowerBound * width
            Kernels.scaleRows(products + offset, rowScales: scales + range.lowerBound, bias: bias, rows: range.count,
                              width: width, into: out + offset, accumulate: accumulate)
        }
        guard let activation else { return }
        let operation = "apply \(activation.rawValue) to [\(rows), \(width)]"
        let primitive = try lockedActivation(activation, rows: rows)
        let values = try OneDNNMemory(try OneDNN.descriptor([rows, width], dnnl_f32, dnnl_ab),
                                      data: UnsafeMutableRawPointer(out))
        try primitive.execute([(clip_dnnl_arg_src, values), (clip_dnnl_arg_dst, values)], context: context,
                              operation: operation)
    }

    /// The in-place eltwise primitive of `activation` over `[rows, outputs]` Float32, made on
    /// first use.
    private func lockedActivation(_ activation: Activation, rows: Int) throws(CLIPModelError) -> OneDNNPrimitive {
        lock.lock()
        defer { lock.unlock() }
        let key = ProductKey(rows: rows, bfloat16Output: false, accumulate: false, activation: activation)
        if let made = activations[key] { return made }
        let operation = "set up \(activation.rawValue) over [\(rows), \(outputs)]"
        let (algorithm, alpha) = activation.oneDNNEltwise
        var values = try OneDNN.descriptor([rows, outputs], dnnl_f32, dnnl_ab)
        var desc = dnnl_eltwise_desc_t()
        try OneDNN.check(dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_inference, algorithm, &values, alpha, 0),
                         operation)
        var attributes: dnnl_primitive_attr_t?
        try OneDNN.check(dnnl_primitive_attr_create(&attributes), operation)
        defer { dnnl_primitive_attr_destroy(attributes) }
        try OneDNN.check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), operation)
        var descriptor: dnnl_primitive_desc_t?
        try OneDNN.check(dnnl_primitive_desc_create(&descriptor, &desc, attributes, try OneDNN.requireEngine(), nil),
                         operation)
        guard let descriptor else { throw .backend(operation: operation, status: "no primitive descriptor") }
        let made = try OneDNNPrimitive(descriptor: descriptor, operation: operation)
        activations[key] = made
        return made
    }

    /// Each slice's primitive for `key`, made on first use.
    private func lockedPrimitives(for key: ProductKey) throws(CLIPModelError) -> [OneDNNPrimitive] {
        lock.lock()
        defer { lock.unlock() }
        return try slices.map { (slice) throws(CLIPModelError) in try slice.primitive(for: key) }
    }
}

/// What a layer's product is set up for besides its weights: the row count and the epilogue.
struct ProductKey: Hashable {
    var rows: Int
    var bfloat16Output: Bool
    var accumulate: Bool
    var activation: Activation?
}

/// A contiguous range of a layer's output columns: its weights in oneDNN's layout and the
/// primitives made for them. Its products read all input columns and write its output columns
/// of a `[rows, outputs]` result (row stride `outputs`).
final class ColumnSlice {
    let columns: Range<Int>
    /// The width of the whole layer's output (the row stride of results).
    let outputs: Int
    let inputs: Int
    let kernelPrecision: ModelPrecision
    let hasBias: Bool
    /// Whether the primitives are planned for one thread (run side by side with other slices).
    let singleThreaded: Bool
    /// int8: this slice's channel scales.
    let channelScales: [Float]
    let storage: WeightBuffer
    let weightsDescriptor: dnnl_memory_desc_t
    /// Guarded by the owning layer's lock.
    var primitives: [ProductKey: OneDNNPrimitive] = [:]

    init(columns: Range<Int>, outputs: Int, inputs: Int, kernelPrecision: ModelPrecision, hasBias: Bool,
         singleThreaded: Bool, channelScales: [Float]) throws(CLIPModelError) {
        self.columns = columns
        self.outputs = outputs
        self.inputs = inputs
        self.kernelPrecision = kernelPrecision
        self.hasBias = hasBias
        self.singleThreaded = singleThreaded
        self.channelScales = channelScales
        // The layout oneDNN's matmul wants for this weight.
        let probe = try Self.matmulDescriptor(
            rows: 64, inputs: inputs, columns: columns.count, rowStride: outputs, precision: kernelPrecision,
            weights: nil, hasBias: hasBias && kernelPrecision != .int8, bfloat16Output: false, accumulate: false,
            activation: nil, channelScales: channelScales, singleThreaded: singleThreaded)
        defer { dnnl_primitive_desc_destroy(probe) }
        guard let chosen = dnnl_primitive_desc_query_md(probe, dnnl_query_weights_md, 0) else {
            throw .backend(operation: "query a weight layout", status: "no descriptor")
        }
        weightsDescriptor = chosen.pointee
        storage = WeightBuffer(byteCount: dnnl_memory_desc_get_size(chosen))
    }

    /// The primitive for `key`, made on first use (the caller holds the layer's lock).
    func primitive(for key: ProductKey) throws(CLIPModelError) -> OneDNNPrimitive {
        if let existing = primitives[key] { return existing }
        let descriptor = try Self.matmulDescriptor(
            rows: key.rows, inputs: inputs, columns: columns.count, rowStride: outputs, precision: kernelPrecision,
            weights: weightsDescriptor, hasBias: hasBias && kernelPrecision != .int8, bfloat16Output: key.bfloat16Output,
            accumulate: key.accumulate, activation: key.activation, channelScales: channelScales,
            singleThreaded: singleThreaded)
        let made = try OneDNNPrimitive(descriptor: descriptor,
                                       operation: "multiply [\(key.rows), \(inputs)] by [\(columns.count), \(inputs)]ᵀ")
        primitives[key] = made
        return made
    }

    /// Runs `primitive` on `rows` rows of `source` (`[rows, inputs]`), writing this slice's
    /// columns of `destination` (`[rows, outputs]`, Float32 or bfloat16); `bias` is the whole
    /// layer's (`[outputs]`) or nil.
    func execute(_ primitive: OneDNNPrimitive, source: UnsafeMutableRawPointer, rows: Int,
                 destination: UnsafeMutableRawPointer, bfloat16Output: Bool, bias: UnsafeMutablePointer<Float>?,
                 context: MatmulContext, operation: @autoclosure () -> String) throws(CLIPModelError) {
        let elementBytes = bfloat16Output ? 2 : 4
        let src = try OneDNNMemory(try OneDNN.descriptor([rows, inputs], LinearLayer.dataType(of: kernelPrecision), dnnl_ab),
                                   data: source)
        let wei = try OneDNNMemory(weightsDescriptor, data: storage.base)
        let dst = try OneDNNMemory(try OneDNN.descriptor([rows, columns.count], bfloat16Output ? dnnl_bf16 : dnnl_f32,
                                                         rowStride: outputs),
                                   data: destination + columns.lowerBound * elementBytes)
        var arguments = [(clip_dnnl_arg_src, src), (clip_dnnl_arg_weights, wei), (clip_dnnl_arg_dst, dst)]
        if let bias {
            arguments.append((clip_dnnl_arg_bias,
                              try OneDNNMemory(try OneDNN.descriptor([1, columns.count], dnnl_f32, dnnl_ab),
                                               data: UnsafeMutableRawPointer(bias + columns.lowerBound))))
        }
        try primitive.execute(arguments, context: context, operation: operation())
    }

    /// A matmul primitive descriptor: src `[rows, inputs]`, weights `[inputs, columns]` in
    /// `weights`' layout (or `any`), f32 bias `[1, columns]`, dst `[rows, columns]` with row
    /// stride `rowStride`, with the epilogue as post-ops (activation; sum for accumulation) and,
    /// for int8, the channel scales as output scales. The scratchpad is the caller's. Planned for
    /// one thread when `singleThreaded`.
    static func matmulDescriptor(
        rows: Int, inputs: Int, columns: Int, rowStride: Int, precision: ModelPrecision, weights: dnnl_memory_desc_t?,
        hasBias: Bool, bfloat16Output: Bool, accumulate: Bool, activation: Activation?, channelScales: [Float],
        singleThreaded: Bool
    ) throws(CLIPModelError) -> dnnl_primitive_desc_t {
        let operation = "set up a [\(rows), \(inputs)]·[\(columns), \(inputs)]ᵀ product in \(precision)"
        let type = LinearLayer.dataType(of: precision)
        var src = try OneDNN.descriptor([rows, inputs], type, dnnl_ab)
        var wei: dnnl_memory_desc_t
        if let weights { wei = weights } else { wei = try OneDNN.descriptor([inputs, columns], type, dnnl_format_tag_any) }
        var dst = try OneDNN.descriptor([rows, columns], bfloat16Output ? dnnl_bf16 : dnnl_f32, rowStride: rowStride)
        var bias = try OneDNN.descriptor([1, columns], dnnl_f32, dnnl_ab)
        var desc = dnnl_matmul_desc_t()
        if hasBias {
            try OneDNN.check(dnnl_matmul_desc_init(&desc, &src, &wei, &bias, &dst), operation)
        } else {
            try OneDNN.check(dnnl_matmul_desc_init(&desc, &src, &wei, nil, &dst), operation)
        }
        var attributes: dnnl_primitive_attr_t?
        try OneDNN.check(dnnl_primitive_attr_create(&attributes), operation)
        defer { dnnl_primitive_attr_destroy(attributes) }
        try OneDNN.check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), operation)
        if precision == .int8 {
            try OneDNN.check(dnnl_primitive_attr_set_output_scales(attributes, Int64(columns), 1 << 1, channelScales),
                             operation)
        }
        var postOps: dnnl_post_ops_t?
        try OneDNN.check(dnnl_post_ops_create(&postOps), operation)
        defer { dnnl_post_ops_destroy(postOps) }
        if let (algorithm, alpha) = activation.map(\.oneDNNEltwise) {
            try OneDNN.check(dnnl_post_ops_append_eltwise(postOps, 1, algorithm, alpha, 0), operation)
        }
        if accumulate { try OneDNN.check(dnnl_post_ops_append_sum(postOps, 1), operation) }
        try OneDNN.check(dnnl_primitive_attr_set_post_ops(attributes, postOps), operation)
        let engine = try OneDNN.requireEngine()
        var descriptor: dnnl_primitive_desc_t?
        let status = singleThreaded
            ? ComputeThreads.withOneOpenMPThread { dnnl_primitive_desc_create(&descriptor, &desc, attributes, engine, nil) }
            : dnnl_primitive_desc_create(&descriptor, &desc, attributes, engine, nil)
        try OneDNN.check(status, operation)
        guard let descriptor else { throw .backend(operation: operation, status: "no primitive descriptor") }
        return descriptor
    }

    /// Reorders this slice's rows of `weight` (`[outputs, inputs]` Float32, i.e. `[inputs,
    /// columns]` in oneDNN's `ba` tag) into the slice's layout, converting to bfloat16 on the
    /// way, or for int8 first quantizing each row here (`q = round(w / scale[n])`, ties to even)
    /// and letting the reorder add the compensation oneDNN's int8 kernels need. With
    /// `roundingToBFloat16` (a Float32 layout), the values are first rounded to bfloat16 values.
    /// `directLayouts: false` sends int8 weights through oneDNN's reorder too (tests compare).
    func reorder(_ weight: Tensor, roundingToBFloat16: Bool, name: String,
                 directLayouts: Bool = true) throws(CLIPModelError) {
        let n = columns.count, k = inputs, first = columns.lowerBound
        if directLayouts, kernelPrecision == .int8, let layout = Int8WeightLayout(weightsDescriptor),
           layout.inputs == k, layout.outputs == n {
            // The VNNI layout, quantized and written directly (oneDNN's own reorder into it is
            // its slow reference one; see Int8WeightLayout).
            let inverseScales = channelScales.map { 1 / $0 }
            weight.withUnsafeBufferPointer { w in
                guard let whole = w.baseAddress else { return }
                layout.write(whole + first * k, inverseScales: inverseScales, into: storage.base)
            }
            return
        }
        let operation = "reorder weight \(name) [\(columns), \(k)] for \(kernelPrecision) products"
        let plain = try OneDNN.descriptor([k, n], kernelPrecision == .int8 ? dnnl_s8 : dnnl_f32, dnnl_ba)
        var source = plain, target = weightsDescriptor
        var attributes: dnnl_primitive_attr_t?
        try OneDNN.check(dnnl_primitive_attr_create(&attributes), operation)
        defer { dnnl_primitive_attr_destroy(attributes) }
        try OneDNN.check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), operation)
        let engine = try OneDNN.requireEngine()
        var descriptor: dnnl_primitive_desc_t?
        try OneDNN.check(dnnl_reorder_primitive_desc_create(&descriptor, &source, engine, &target, engine, attributes),
                         operation)
        guard let descriptor else { throw .backend(operation: operation, status: "no primitive descriptor") }
        let primitive = try OneDNNPrimitive(descriptor: descriptor, operation: operation)
        let context = MatmulContext()
        let destination = storage.base
        let scales = channelScales
        try weight.withUnsafeBufferPointer { (w) throws(CLIPModelError) in
            guard let whole = w.baseAddress else { return }
            let base = whole + first * k
            var data = UnsafeMutableRawPointer(mutating: base)
            let quantized: UnsafeMutablePointer<Int8>? = kernelPrecision == .int8 ? .allocate(capacity: n * k) : nil
            defer { quantized?.deallocate() }
            let rounded: UnsafeMutablePointer<Float>? = roundingToBFloat16 ? .allocate(capacity: n * k) : nil
            defer { rounded?.deallocate() }
            if let rounded {
                Kernels.roundToBFloat16(base, count: n * k, into: rounded)
                data = UnsafeMutableRawPointer(rounded)
            }
            if let quantized {
                for row in 0..<n {
                    Kernels.quantize(base + row * k, count: k, inverseScale: 1 / scales[row], into: quantized + row * k)
                }
                data = UnsafeMutableRawPointer(quantized)
            }
            do {
                let from = try OneDNNMemory(plain, data: data)
                let to = try OneDNNMemory(target, data: destination)
                try primitive.execute([(clip_dnnl_arg_from, from), (clip_dnnl_arg_to, to)], context: context,
                                      operation: operation)
            }
        }
    }
}

extension LinearLayer {
    static func dataType(of precision: ModelPrecision) -> dnnl_data_type_t {
        switch precision {
        case .float32: dnnl_f32
        case .bfloat16: dnnl_bf16
        case .int8: dnnl_s8
        }
    }
}

extension Activation {
    /// oneDNN's eltwise algorithm and alpha for this activation (post-op or primitive):
    /// `gelu_erf`, `swish` with alpha 1.702 (quick GELU) or 1 (SiLU), `gelu_tanh`.
    var oneDNNEltwise: (dnnl_alg_kind_t, Float) {
        switch self {
        case .gelu: (dnnl_eltwise_gelu_erf, 0)
        case .quickGELU: (dnnl_eltwise_swish, 1.702)
        case .geluTanh: (dnnl_eltwise_gelu_tanh, 0)
        case .silu: (dnnl_eltwise_swish, 1)
        }
    }
}
