// The sharded-checkpoint index (`model.safetensors.index.json`) on arbitrary bytes, next to two
// small valid shards: an index that opens must map every tensor to a shard that holds it.
import FuzzSupport
import SafeTensors
import TensorCore

enum Harness {
    static let shards: Void = {
    for (file, names) in [("a.safetensors", ["x", "y"]), ("b.safetensors", ["z"])] {
        var writer = SafeTensorsWriter()
        for name in names {
            if let tensor = try? Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]) { try? writer.add(tensor, named: name) }
        }
        _ = FuzzScratch.file(file, writer.serialized())
    }
    }()
}

func fuzzShardIndex(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    _ = Harness.shards
    let url = FuzzScratch.file("model.safetensors.index.json", FuzzInput(start, count).bytes)
    guard let checkpoint = try? SafeTensorsCheckpoint(indexAt: url) else { return 0 }
    for name in checkpoint.tensorNames {
        fuzzCheck(checkpoint.contains(name), "listed tensor \(name) not contained")
        let tensor = try? checkpoint.tensor(named: name)
        let file = try? checkpoint.file(containing: name)
        fuzzCheck(tensor != nil && file?.contains(name) == true, "listed tensor \(name) unreadable")
    }
    _ = checkpoint.parameterCount
    return 0
}

runFuzzer { data, size in fuzzShardIndex(data, size) }
