// The safetensors reader on arbitrary bytes: opening validates the header; every tensor of a file
// that opens must then be readable, and Float32 tensors must survive the writer and reader
// bit for bit.
import FuzzSupport
import SafeTensors
import TensorCore

func fuzzSafeTensors(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    guard let file = try? SafeTensorsFile(bytes: input.bytes, name: "fuzz.safetensors") else { return 0 }
    var writer = SafeTensorsWriter(metadata: file.metadata)
    var written: [String: Tensor] = [:]
    for name in file.tensorNames {
        guard let info = try? file.info(named: name) else {
            fuzzCheck(false, "listed tensor \(name) has no info")
            return 0
        }
        let raw = try? withExtendedLifetime(file) { try file.rawBytes(named: name).count }
        fuzzCheck(raw == info.byteCount, "raw byte count of \(name)")
        if let tensor = try? file.tensor(named: name) {
            fuzzCheck(tensor.shape == info.shape, "shape of \(name)")
            if info.dtype == .float32, (try? writer.add(tensor, named: name)) != nil { written[name] = tensor }
        }
        _ = try? file.int64Values(named: name)
    }
    guard !written.isEmpty else { return 0 }
    guard let reread = try? SafeTensorsFile(bytes: writer.serialized(), name: "rewritten.safetensors") else {
        fuzzCheck(false, "the writer's output does not open")
        return 0
    }
    fuzzCheck(reread.metadata == file.metadata, "metadata changed through the writer")
    for (name, tensor) in written {
        guard let back = try? reread.tensor(named: name) else {
            fuzzCheck(false, "\(name) unreadable after writing")
            return 0
        }
        let same = back.shape == tensor.shape && back.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern)
        fuzzCheck(same, "\(name) changed through the writer")
    }
    return 0
}

runFuzzer { data, size in fuzzSafeTensors(data, size) }
