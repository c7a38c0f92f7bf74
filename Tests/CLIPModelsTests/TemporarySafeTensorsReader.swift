// TEMPORARY test scaffolding until the SafeTensors module lands on main: reads a safetensors
// file (F32/F16/BF16) into an in-memory tensor source. Replaced by SafeTensorsCheckpoint.
import Foundation
import TensorCore
@testable import CLIPModels

func temporaryReadSafeTensors(_ urls: [URL]) throws -> InMemoryTensors {
    var tensors: [String: Tensor] = [:]
    for url in urls {
        let data = try Data(contentsOf: url)
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as! [String: Any]
        for (name, value) in header where name != "__metadata__" {
            let info = value as! [String: Any]
            let shape = info["shape"] as! [Int]
            let offsets = info["data_offsets"] as! [Int]
            let dtype = info["dtype"] as! String
            if dtype == "I64" { tensors[name] = try Tensor(shape: shape); continue }
            let count = shape.reduce(1, *)
            let bytes = data.subdata(in: (8 + n + offsets[0])..<(8 + n + offsets[1]))
            tensors[name] = try Tensor(shape: shape) { out in
                bytes.withUnsafeBytes { raw in
                    switch dtype {
                    case "F32": for i in 0..<count { out[i] = raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
                    case "F16": HalfPrecision.float16ToFloat32(raw.baseAddress!, count: count, into: out.baseAddress!)
                    default: HalfPrecision.bfloat16ToFloat32(raw.baseAddress!, count: count, into: out.baseAddress!)
                    }
                }
            }
        }
    }
    return InMemoryTensors(tensors, description: urls.first?.lastPathComponent ?? "")
}

func temporaryLoad(_ directory: URL) throws -> CLIPModel {
    let fm = FileManager.default
    let openCLIP = directory.appendingPathComponent("open_clip_config.json")
    if fm.fileExists(atPath: openCLIP.path) {
        let architecture = try OpenCLIPConfiguration(contentsOf: openCLIP).modelConfiguration.architecture()
        let weights = try temporaryReadSafeTensors([directory.appendingPathComponent("open_clip_model.safetensors")])
        return try CLIPModel(architecture: architecture, layout: .openCLIP, weights: weights)
    }
    let architecture = try HuggingFaceCLIPConfiguration(contentsOf: directory.appendingPathComponent("config.json")).architecture()
    let files = try fm.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".safetensors") }.sorted()
    let weights = try temporaryReadSafeTensors(files.map { directory.appendingPathComponent($0) })
    return try CLIPModel(architecture: architecture, layout: .huggingFace, weights: weights)
}
