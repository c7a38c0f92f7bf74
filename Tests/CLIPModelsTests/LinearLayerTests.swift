import CDNNL
import Foundation
import Testing
import TensorCore
@testable import CLIPModels

/// Seeded uniform values.
private func values(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
    }
}

private func bfloat16(_ x: Float) -> Double { Double(Float(bitPattern: UInt32(HalfPrecision.bfloat16Bits(x)) << 16)) }

private func gelu(_ x: Double) -> Double { 0.5 * x * (1 + erf(x / 2.0.squareRoot())) }
private func quickGELU(_ x: Double) -> Double { x / (1 + exp(-1.702 * x)) }

/// Runs `layer` on `x` (`[rows, inputs]`) through the workspace-free path the encoder uses.
private func run(_ layer: LinearLayer, _ x: [Float], rows: Int, start: [Float]? = nil, accumulate: Bool = false,
                 activation: Activation? = nil) throws -> [Float] {
    var out = start ?? [Float](repeating: .nan, count: rows * layer.outputs)
    let staging = UnsafeMutableRawPointer.allocate(
        byteCount: max(rows * layer.inputs * LinearLayer.stagedBytes(for: layer.precision), 64), alignment: 64)
    let scales = UnsafeMutablePointer<Float>.allocate(capacity: rows)
    defer {
        staging.deallocate()
        scales.deallocate()
    }
    let context = MatmulContext()
    try x.withUnsafeBufferPointer { (xs) throws(CLIPModelError) in
        try out.withUnsafeMutableBufferPointer { (o) throws(CLIPModelError) in
            let input = layer.input(from: xs.baseAddress!, rows: rows, staging: staging, rowScales: scales)
            try layer.run(input, rows: rows, into: .float32(o.baseAddress!), accumulate: accumulate,
                          activation: activation, context: context)
        }
    }
    return out
}

@Suite struct LinearLayerTests {
    /// The last two are wide enough to be split by columns over two or more threads (unequal
    /// slices for 300 columns: 160 + 140).
    static let shapes: [(rows: Int, inputs: Int, outputs: Int)] = [(1, 24, 40), (7, 64, 48), (50, 96, 160), (130, 40, 17),
                                                                  (20, 64, 300), (3, 32, 512)]

    @Test("Float32: x·Wᵀ + b equals a Double reference; residual sum and every activation fused",
          arguments: 0..<6)
    func float32MatchesDouble(shape index: Int) throws {
        let (rows, k, n) = Self.shapes[index]
        let w = values(n * k, seed: 1, scale: 0.5), b = values(n, seed: 2), x = values(rows * k, seed: 3)
        let start = values(rows * n, seed: 4)
        let layer = try LinearLayer(weight: try Tensor(shape: [n, k], scalars: w), bias: try Tensor(shape: [n], scalars: b),
                                    precision: .float32, name: "test")
        #expect(layer.implementations.isEmpty)
        let split = LinearLayer.splitsColumns(kernelPrecision: .float32)
        #expect(layer.sliceCount == (split ? LinearLayer.columnRanges(outputs: n, threads: ComputeThreads.count).count : 1))
        for (accumulate, activation) in [(false, nil), (true, nil), (false, Activation.gelu), (false, .quickGELU),
                                        (false, .geluTanh), (false, .silu)]
            as [(Bool, Activation?)] {
            let ours = try run(layer, x, rows: rows, start: start, accumulate: accumulate, activation: activation)
            for r in 0..<rows {
                for j in 0..<n {
                    var y = Double(b[j])
                    for c in 0..<k { y += Double(x[r * k + c]) * Double(w[j * k + c]) }
                    switch activation {
                    case .gelu: y = gelu(y)
                    case .quickGELU: y = quickGELU(y)
                    case .geluTanh: y = 0.5 * y * (1 + tanh((2 / Double.pi).squareRoot() * (y + 0.044715 * y * y * y)))
                    case .silu: y = y / (1 + exp(-y))
                    case nil: break
                    }
                    if accumulate { y += Double(start[r * n + j]) }
                    #expect(abs(Double(ours[r * n + j]) - y) <= 1e-5 * max(1, abs(y)),
                            "[\(rows),\(k)]·[\(n),\(k)]ᵀ \(accumulate) \(String(describing: activation)) at \(r),\(j)")
                }
            }
        }
        #expect(!layer.implementations.isEmpty)
    }

    @Test("bfloat16: the product of bfloat16-rounded inputs and weights, accumulated in Float32", arguments: 0..<6)
    func bfloat16MatchesRoundedReference(shape index: Int) throws {
        let (rows, k, n) = Self.shapes[index]
        let w = values(n * k, seed: 11, scale: 0.5), b = values(n, seed: 12), x = values(rows * k, seed: 13)
        let layer = try LinearLayer(weight: try Tensor(shape: [n, k], scalars: w), bias: try Tensor(shape: [n], scalars: b),
                                    precision: .bfloat16, name: "test")
        let ours = try run(layer, x, rows: rows)
        for r in 0..<rows {
            for j in 0..<n {
                var y = Double(b[j]), magnitude = abs(Double(b[j]))
                for c in 0..<k {
                    let term = bfloat16(x[r * k + c]) * bfloat16(w[j * k + c])
                    y += term
                    magnitude += abs(term)
                }
                // Float32 accumulation of exact bfloat16 products: rounding of the sum only.
                #expect(abs(Double(ours[r * n + j]) - y) <= 1e-5 * max(1, magnitude), "\(r),\(j)")
            }
        }
    }

    @Test("int8: per-channel weight and per-row activation quantization, exact integer products", arguments: 0..<6)
    func int8MatchesQuantizedReference(shape index: Int) throws {
        let (rows, k, n) = Self.shapes[index]
        let w = values(n * k, seed: 21, scale: 0.5), b = values(n, seed: 22), x = values(rows * k, seed: 23, scale: 3)
        let start = values(rows * n, seed: 24)
        let layer = try LinearLayer(weight: try Tensor(shape: [n, k], scalars: w), bias: try Tensor(shape: [n], scalars: b),
                                    precision: .int8, name: "test")
        // Weights use ±127, or ±63 on a CPU without VNNI (where oneDNN's int16 pair sums would
        // saturate); activations always ±127.
        func quantized(_ v: ArraySlice<Float>, limit: Float = 127) -> (q: [Double], scale: Double) {
            let peak = v.map(abs).max() ?? 0
            let scale: Float = peak > 0 ? peak / limit : 1
            return (v.map { Double(max(-127, min(127, ($0 * (1 / scale)).rounded(.toNearestOrEven)))) }, Double(scale))
        }
        let weightLimit: Float = OneDNN.hasInt8DotProducts ? 127 : 63
        let weightRows = (0..<n).map { quantized(w[($0 * k)..<(($0 + 1) * k)], limit: weightLimit) }
        for accumulate in [false, true] {
            let ours = try run(layer, x, rows: rows, start: start, accumulate: accumulate)
            var worstRelativeToFloat = 0.0
            for r in 0..<rows {
                let xq = quantized(x[(r * k)..<((r + 1) * k)])
                for j in 0..<n {
                    var dot = 0.0, exact = 0.0, magnitude = 0.0
                    for c in 0..<k {
                        dot += xq.q[c] * weightRows[j].q[c]
                        exact += Double(x[r * k + c]) * Double(w[j * k + c])
                        magnitude += abs(Double(x[r * k + c]) * Double(w[j * k + c]))
                    }
                    var y = dot * xq.scale * weightRows[j].scale + Double(b[j])
                    if accumulate { y += Double(start[r * n + j]) }
                    #expect(abs(Double(ours[r * n + j]) - y) <= 1e-5 * max(1, abs(y)), "\(r),\(j) \(accumulate)")
                    let float = exact + Double(b[j]) + (accumulate ? Double(start[r * n + j]) : 0)
                    worstRelativeToFloat = max(worstRelativeToFloat, abs(y - float) / max(1, magnitude))
                }
            }
            // And the quantized product stays near the Float32 one (relative to Σ|x·w|).
            #expect(worstRelativeToFloat < 0.01, "\(worstRelativeToFloat)")
        }
    }

    /// Both ways a product can run — whole on oneDNN's threads (brgemm where oneDNN has it) and
    /// split into per-thread column slices (`gemm:jit`) — give the same numbers in every
    /// precision and epilogue, whichever one this CPU's policy picks.
    @Test("whole and column-split products agree in every precision", arguments: ModelPrecision.allCases)
    func wholeAndSplitProductsAgree(precision: ModelPrecision) throws {
        for (rows, k, n) in [(20, 64, 300), (3, 32, 512), (50, 96, 768)] {
            let w = values(n * k, seed: 41, scale: 0.5), b = values(n, seed: 42), x = values(rows * k, seed: 43)
            let start = values(rows * n, seed: 44)
            func layer(_ split: Bool) throws -> LinearLayer {
                try LinearLayer(weight: try Tensor(shape: [n, k], scalars: w), bias: try Tensor(shape: [n], scalars: b),
                                precision: precision, name: "test", columnSplit: split)
            }
            let whole = try layer(false), split = try layer(true)
            #expect(whole.sliceCount == 1)
            #expect(split.sliceCount == LinearLayer.columnRanges(outputs: n, threads: ComputeThreads.count).count)
            for (accumulate, activation) in [(false, nil), (true, nil), (false, Activation.gelu), (false, .quickGELU)]
                as [(Bool, Activation?)] {
                let a = try run(whole, x, rows: rows, start: start, accumulate: accumulate, activation: activation)
                let c = try run(split, x, rows: rows, start: start, accumulate: accumulate, activation: activation)
                let largest = a.map { abs($0) }.max() ?? 1
                let worst = zip(a, c).map { abs($0 - $1) }.max() ?? 0
                #expect(worst <= 1e-5 * max(largest, 1), "\(precision) [\(rows), \(k)]·[\(n), \(k)]ᵀ: \(worst) of \(largest)")
            }
        }
    }

    /// The int8 VNNI weight layout written directly (Int8WeightLayout) is byte for byte what
    /// oneDNN's own reorder writes: blocks, zero padding and compensation, for whole layers and
    /// column slices of shapes that are and are not multiples of 64.
    @Test("the directly written int8 weight layout matches oneDNN's reorder byte for byte",
          arguments: [(64, 64, 0..<64), (100, 200, 0..<200), (130, 70, 0..<70), (768, 300, 160..<300), (3072, 768, 0..<768)])
    func int8LayoutMatchesOneDNN(inputs k: Int, outputs n: Int, columns: Range<Int>) throws {
        let weight = try Tensor(shape: [n, k], scalars: values(n * k, seed: UInt64(n * k), scale: 0.3))
        let scales = weight.withUnsafeBufferPointer { w in
            (0..<n).map { row in max(Kernels.maximumMagnitude(w.baseAddress! + row * k, count: k), 1e-6) / 127 }
        }
        func slice() throws -> ColumnSlice {
            try ColumnSlice(columns: columns, outputs: n, inputs: k, kernelPrecision: .int8, hasBias: false,
                            singleThreaded: columns.count < n, channelScales: Array(scales[columns]))
        }
        let direct = try slice(), reference = try slice()
        let layout = Int8WeightLayout(direct.weightsDescriptor)
        let vnniBrgemm = [dnnl_cpu_isa_avx512_core_vnni, dnnl_cpu_isa_avx512_core_bf16].contains(dnnl_get_effective_cpu_isa())
        if vnniBrgemm && columns.count == n {
            #expect(layout != nil, "the VNNI layout was not recognized for [\(k), \(n)]")
        }
        try direct.reorder(weight, roundingToBFloat16: false, name: "test")
        try reference.reorder(weight, roundingToBFloat16: false, name: "test", directLayouts: false)
        let meaningful = layout.map { $0.paddedInputs * $0.paddedOutputs + 4 * $0.paddedOutputs } ?? direct.storage.byteCount
        let a = UnsafeRawBufferPointer(start: direct.storage.base, count: meaningful)
        let b = UnsafeRawBufferPointer(start: reference.storage.base, count: meaningful)
        let differing = zip(a, b).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(differing.count == 0, "\(differing.count) bytes differ, first at \(differing.prefix(4)) of \(meaningful)")
    }

    @Test("wide layers are split into one column slice per thread, narrow ones are not")
    func columnSlices() {
        #expect(LinearLayer.columnRanges(outputs: 300, threads: 2) == [0..<160, 160..<300])
        #expect(LinearLayer.columnRanges(outputs: 768, threads: 2) == [0..<384, 384..<768])
        #expect(LinearLayer.columnRanges(outputs: 3072, threads: 3) == [0..<1024, 1024..<2048, 2048..<3072])
        #expect(LinearLayer.columnRanges(outputs: 768, threads: 1) == [0..<768])
        #expect(LinearLayer.columnRanges(outputs: 160, threads: 2) == [0..<160])
        #expect(LinearLayer.columnRanges(outputs: 260, threads: 8) == (0..<6).map { $0 * 48..<min(260, $0 * 48 + 48) })
    }

    @Test("a layer names the fallback it runs where the CPU lacks bfloat16 products or VNNI")
    func fallbackIsNamed() throws {
        let x = values(4 * 32, seed: 31)
        for precision in [ModelPrecision.bfloat16, .int8] {
            let layer = try LinearLayer(weight: try Tensor(shape: [16, 32], scalars: values(16 * 32, seed: 32)), bias: nil,
                                        precision: precision, name: "test")
            _ = try run(layer, x, rows: 4, start: [Float](repeating: 0, count: 4 * 16), accumulate: false)
            let names = layer.implementations.sorted().joined(separator: "+")
            let emulated = precision == .bfloat16 ? !OneDNN.hasBFloat16Products : !OneDNN.hasInt8DotProducts
            #expect(names.contains(precision == .bfloat16 ? "/bf16-as-f32" : "/int8-7bit") == emulated, "\(names)")
            #expect(layer.readsBFloat16 == (precision == .bfloat16 && OneDNN.hasBFloat16Products))
        }
    }

    @Test("an input in another format than the layer's is an error naming the product, not a crash")
    func mismatchedInputIsAnError() throws {
        let layer = try LinearLayer(weight: try Tensor(shape: [8, 16], repeating: 0.5), bias: nil, precision: .int8,
                                    name: "test")
        let x = [Float](repeating: 1, count: 2 * 16)
        var out = [Float](repeating: 0, count: 2 * 8)
        let context = MatmulContext()
        let error = #expect(throws: CLIPModelError.self) {
            try x.withUnsafeBufferPointer { xs in
                try out.withUnsafeMutableBufferPointer { o in
                    try layer.run(.float32(xs.baseAddress!), rows: 2, into: .float32(o.baseAddress!), context: context)
                }
            }
        }
        #expect("\(String(describing: error))".contains("[2, 16]"))
        #expect(throws: CLIPModelError.self) {
            try LinearLayer(weight: try Tensor(shape: [8, 16], repeating: 0.5), bias: try Tensor(shape: [7], repeating: 0),
                            precision: .float32, name: "fc1.weight")
        }
    }
}

@Suite struct ReducedPrecisionModelTests {
    /// Cosine of each row of `a` to the same row of `b`.
    static func cosines(_ a: Tensor, _ b: Tensor) -> [Double] {
        let rows = a.shape[0], width = a.shape[1]
        let x = a.scalars, y = b.scalars
        return (0..<rows).map { r in
            var dot = 0.0, xx = 0.0, yy = 0.0
            for c in 0..<width {
                let p = Double(x[r * width + c]), q = Double(y[r * width + c])
                dot += p * q
                xx += p * p
                yy += q * q
            }
            return dot / (xx * yy).squareRoot()
        }
    }

    @Test("bf16 and int8 embeddings of every fixture model stay close to the reference's",
          arguments: parityCases.map(\.model), [ModelPrecision.bfloat16, .int8])
    func reducedPrecisionStaysClose(model name: String, precision: ModelPrecision) throws {
        let entry = try #require(parityCases.first { $0.model == name })
        let model = try CLIPModel(contentsOf: fixtureModel(name), precision: precision)
        #expect(model.precision == precision)
        let minimum = precision == .bfloat16 ? 0.999 : 0.99
        let images = Self.cosines(try model.encode(pixelValues: try pixels(entry.imageSize)), try reference(name, "image.npy"))
        let texts = Self.cosines(try model.encode(tokenIDs: try tokenBatches(entry.tokens).pad_zero),
                                 try reference(name, "text-pad-zero.npy"))
        #expect(images.min()! >= minimum, "\(name) \(precision) images: \(images)")
        #expect(texts.min()! >= minimum, "\(name) \(precision) texts: \(texts)")
    }

    @Test("an int8 model runs its attention-pooling head in Float32, the encoder in int8; bf16 keeps bf16",
          arguments: [ModelPrecision.int8, .bfloat16])
    func poolingHeadPrecision(precision: ModelPrecision) throws {
        let model = try CLIPModel(contentsOf: fixtureModel("siglip-tanh"), precision: precision)
        let tower = try #require(model.vision as? VisionTransformer)
        let head = try #require(tower.head)
        #expect(head.linearLayers.map(\.precision) == Array(repeating: precision == .int8 ? .float32 : precision, count: 4))
        #expect(tower.encoder.linearLayers.allSatisfy { $0.precision == precision })
    }
}
