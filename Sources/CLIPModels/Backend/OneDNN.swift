import CDNNL
import Foundation
import TensorCore

/// oneDNN's CPU engine and the small helpers every use of it needs. oneDNN runs its work on the
/// OpenMP team that ``ComputeThreads`` also runs the model's other loops on.
enum OneDNN {
    /// The CPU engine, created once (nil when oneDNN cannot create one).
    nonisolated(unsafe) static let engine: dnnl_engine_t? = {
        var engine: dnnl_engine_t?
        guard dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success else { return nil }
        return engine
    }()

    /// The engine, or the error that says there is none.
    static func requireEngine() throws(CLIPModelError) -> dnnl_engine_t {
        guard let engine else { throw .backend(operation: "create a CPU engine", status: "no engine") }
        return engine
    }

    /// The most capable instruction set oneDNN dispatches to on this CPU, e.g.
    /// `avx512_core_bf16` (AVX-512 with VNNI and BF16 instructions) or `avx2`.
    static var instructionSet: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_sse41: "sse41"
        case dnnl_cpu_isa_avx: "avx"
        case dnnl_cpu_isa_avx2: "avx2"
        case dnnl_cpu_isa_avx2_vnni: "avx2_vnni"
        case dnnl_cpu_isa_avx512_core: "avx512_core"
        case dnnl_cpu_isa_avx512_core_vnni: "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core_bf16: "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_amx: "avx512_core_amx"
        default: "other"
        }
    }

    /// Whether oneDNN has bfloat16 matrix products on this CPU. oneDNN 2.6 has them from AVX-512
    /// up (fast with AVX512_BF16 or AMX, emulated on plain AVX-512); on AVX2 it has none, and
    /// ``LinearLayer`` emulates bfloat16 itself.
    static let hasBFloat16Products: Bool = {
        guard let engine else { return false }
        var src = dnnl_memory_desc_t(), wei = dnnl_memory_desc_t(), dst = dnnl_memory_desc_t()
        var desc = dnnl_matmul_desc_t()
        var descriptor: dnnl_primitive_desc_t?
        guard dnnl_memory_desc_init_by_tag(&src, 2, [16, 16], dnnl_bf16, dnnl_ab) == dnnl_success,
              dnnl_memory_desc_init_by_tag(&wei, 2, [16, 16], dnnl_bf16, dnnl_format_tag_any) == dnnl_success,
              dnnl_memory_desc_init_by_tag(&dst, 2, [16, 16], dnnl_f32, dnnl_ab) == dnnl_success,
              dnnl_matmul_desc_init(&desc, &src, &wei, nil, &dst) == dnnl_success,
              dnnl_primitive_desc_create(&descriptor, &desc, nil, engine, nil) == dnnl_success else { return false }
        dnnl_primitive_desc_destroy(descriptor)
        return true
    }()

    /// Whether the CPU has int8 dot-product instructions (AVX512_VNNI or AVX-VNNI) that
    /// accumulate u8·s8 products in int32. Without them oneDNN's int8 kernels add pairs of
    /// u8·s8 products in int16 with saturation (`vpmaddubsw`), which full 8-bit weights
    /// overflow; ``LinearLayer`` then quantizes weights to 7 bits (±63).
    static var hasInt8DotProducts: Bool {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx512_core_vnni, dnnl_cpu_isa_avx512_core_bf16, dnnl_cpu_isa_avx512_core_amx,
             dnnl_cpu_isa_avx2_vnni: true
        default: false
        }
    }

    /// Throws a ``CLIPModelError/backend(operation:status:)`` unless `status` is success.
    static func check(_ status: dnnl_status_t, _ operation: @autoclosure () -> String) throws(CLIPModelError) {
        guard status != dnnl_success else { return }
        let name = switch status {
        case dnnl_out_of_memory: "out of memory"
        case dnnl_invalid_arguments: "invalid arguments"
        case dnnl_unimplemented: "no implementation for this case"
        case dnnl_runtime_error: "runtime error"
        default: "status \(status.rawValue)"
        }
        throw .backend(operation: operation(), status: name)
    }

    /// A plain (row-major or permuted) memory descriptor.
    static func descriptor(_ dims: [Int], _ type: dnnl_data_type_t,
                           _ tag: dnnl_format_tag_t) throws(CLIPModelError) -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        let extents = dims.map(Int64.init)
        try check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), extents, type, tag),
                  "describe a \(dims) tensor")
        return descriptor
    }

    /// A row-major `[rows, columns]` descriptor whose rows are `rowStride` elements apart (a
    /// column slice of a wider matrix).
    static func descriptor(_ dims: [Int], _ type: dnnl_data_type_t, rowStride: Int) throws(CLIPModelError) -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        let extents = dims.map(Int64.init)
        let strides: [Int64] = [Int64(rowStride), 1]
        try check(dnnl_memory_desc_init_by_strides(&descriptor, 2, extents, type, strides), "describe a \(dims) tensor")
        return descriptor
    }

    /// The text oneDNN gives for the implementation a primitive descriptor chose, e.g.
    /// `brg:avx512_core_bf16`.
    static func implementationName(_ descriptor: const_dnnl_primitive_desc_t) -> String {
        var text: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &text) == dnnl_success,
              let text else { return "unknown" }
        return String(cString: text)
    }
}

/// A oneDNN memory object over caller-owned data, destroyed with the value.
final class OneDNNMemory {
    let handle: dnnl_memory_t

    init(_ descriptor: dnnl_memory_desc_t, data: UnsafeMutableRawPointer?) throws(CLIPModelError) {
        var descriptor = descriptor
        var handle: dnnl_memory_t?
        try OneDNN.check(dnnl_memory_create(&handle, &descriptor, try OneDNN.requireEngine(), data), "wrap memory")
        guard let handle else { throw .backend(operation: "wrap memory", status: "no memory object") }
        self.handle = handle
    }

    deinit { dnnl_memory_destroy(handle) }
}

/// A primitive and what running it needs.
final class OneDNNPrimitive: @unchecked Sendable {
    let handle: dnnl_primitive_t
    /// Bytes of scratch memory the primitive needs per run (its scratchpad is ours: oneDNN's own
    /// per-thread scratchpad would be shared between concurrent runs).
    let scratchpadDescriptor: dnnl_memory_desc_t
    let scratchpadBytes: Int
    /// The implementation oneDNN chose, e.g. `brg:avx512_core_vnni`.
    let implementation: String

    /// Creates the primitive of `descriptor` (which it then owns and destroys).
    init(descriptor: dnnl_primitive_desc_t, operation: String) throws(CLIPModelError) {
        defer { dnnl_primitive_desc_destroy(descriptor) }
        var handle: dnnl_primitive_t?
        try OneDNN.check(dnnl_primitive_create(&handle, descriptor), "create the primitive to \(operation)")
        guard let handle else { throw .backend(operation: operation, status: "no primitive") }
        self.handle = handle
        if let scratch = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0) {
            scratchpadDescriptor = scratch.pointee
            scratchpadBytes = dnnl_memory_desc_get_size(scratch)
        } else {
            scratchpadDescriptor = dnnl_memory_desc_t()
            scratchpadBytes = 0
        }
        implementation = OneDNN.implementationName(descriptor)
    }

    deinit { dnnl_primitive_destroy(handle) }

    /// Runs the primitive on `arguments` (plus its scratchpad from `context`) with
    /// ``ComputeThreads/count`` threads, and waits for it.
    func execute(_ arguments: [(Int32, OneDNNMemory)], context: MatmulContext,
                 operation: @autoclosure () -> String) throws(CLIPModelError) {
        var list = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.handle) }
        var scratch: OneDNNMemory?
        if scratchpadBytes > 0 {
            let memory = try OneDNNMemory(scratchpadDescriptor, data: context.scratchpad(bytes: scratchpadBytes))
            list.append(dnnl_exec_arg_t(arg: clip_dnnl_arg_scratchpad, memory: memory.handle))
            scratch = memory
        }
        ComputeThreads.applyToOpenMP()
        let stream = try context.stream()
        try OneDNN.check(dnnl_primitive_execute(handle, stream, Int32(list.count), &list), operation())
        try OneDNN.check(dnnl_stream_wait(stream), operation())
        withExtendedLifetime(arguments) {}
        withExtendedLifetime(scratch) {}
    }
}

/// What one forward pass lends the matrix products: a oneDNN stream and scratch memory, used by
/// one thread at a time. Allocated lazily and reused by every product of the pass.
final class MatmulContext {
    private var streamHandle: dnnl_stream_t?
    private var scratch: UnsafeMutableRawPointer?
    private var scratchBytes = 0
    private let products = GrowingBuffer<Float>()

    init() {}

    deinit {
        if let streamHandle { dnnl_stream_destroy(streamHandle) }
        scratch?.deallocate()
    }

    func stream() throws(CLIPModelError) -> dnnl_stream_t {
        if let streamHandle { return streamHandle }
        var stream: dnnl_stream_t?
        try OneDNN.check(dnnl_stream_create(&stream, try OneDNN.requireEngine(), UInt32(dnnl_stream_default_flags.rawValue)),
                         "create a stream")
        guard let stream else { throw .backend(operation: "create a stream", status: "no stream") }
        streamHandle = stream
        return stream
    }

    private var parts: [MatmulContext] = []

    /// The context of the `index`-th column slice of a product run side by side (its own stream
    /// and scratch memory, used by that slice's thread). Made on first use, by the calling thread.
    func part(_ index: Int) throws(CLIPModelError) -> MatmulContext {
        while parts.count <= index { parts.append(MatmulContext()) }
        let context = parts[index]
        _ = try context.stream()
        return context
    }

    /// At least `bytes` bytes of 64-byte aligned scratch memory (valid until the next call).
    func scratchpad(bytes: Int) -> UnsafeMutableRawPointer {
        if let scratch, scratchBytes >= bytes { return scratch }
        scratch?.deallocate()
        let grown = max(bytes, scratchBytes * 2)
        let memory = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 64)
        scratch = memory
        scratchBytes = grown
        return memory
    }

    /// At least `count` Float32 values for the raw products of an int8 layer that adds into its
    /// output (valid until the next call).
    func productBuffer(count: Int) -> UnsafeMutablePointer<Float> {
        products.storage(count: count)
    }
}
