// TEMPORARY until the SafeTensors module lands on main: a minimal reader behind
// `openSafeTensors(_:)`, replaced by an adapter over SafeTensorsCheckpoint.
import Foundation
import TensorCore

func openSafeTensors(_ url: URL) throws(CLIPModelError) -> any TensorSource {
    do {
        var files = [url]
        if url.pathExtension == "json" {
            let index = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
            let map = index?["weight_map"] as? [String: String] ?? [:]
            files = Set(map.values).sorted().map { url.deletingLastPathComponent().appendingPathComponent($0) }
        }
        var tensors: [String: Tensor] = [:]
        var types: [String: String] = [:]
        for file in files {
            let data = try Data(contentsOf: file, options: .mappedIfSafe)
            let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            guard let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any] else {
                throw CLIPModelError.weightFile(path: file.path, reason: "bad header")
            }
            for (name, value) in header where name != "__metadata__" {
                guard let info = value as? [String: Any], let shape = info["shape"] as? [Int],
                      let offsets = info["data_offsets"] as? [Int], let dtype = info["dtype"] as? String
                else { throw CLIPModelError.weightFile(path: file.path, reason: "bad entry \(name)") }
                types[name] = dtype
                if !["F32", "F16", "BF16"].contains(dtype) { tensors[name] = try Tensor(shape: shape); continue }
                let count = shape.reduce(1, *)
                tensors[name] = try Tensor(shape: shape) { out in
                    data.withUnsafeBytes { raw in
                        let src = raw.baseAddress! + 8 + n + offsets[0]
                        switch dtype {
                        case "F32": for i in 0..<count { out[i] = src.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
                        case "F16": HalfPrecision.float16ToFloat32(src, count: count, into: out.baseAddress!)
                        default: HalfPrecision.bfloat16ToFloat32(src, count: count, into: out.baseAddress!)
                        }
                    }
                }
            }
        }
        return TemporaryTensors(base: InMemoryTensors(tensors, description: url.lastPathComponent), types: types)
    } catch let error as CLIPModelError {
        throw error
    } catch {
        throw .weightFile(path: url.path, reason: "\(error)")
    }
}

struct TemporaryTensors: TensorSource {
    var base: InMemoryTensors
    var types: [String: String]
    var sourceDescription: String { base.sourceDescription }
    var tensorNames: [String] { base.tensorNames }
    func shape(of name: String) -> [Int]? { base.shape(of: name) }
    func dataType(of name: String) -> String? { types[name] }
    func tensor(named name: String) throws -> Tensor { try base.tensor(named: name) }
}
