import CLIPSupport
import Foundation
import TensorCore

/// The weights of a model, from one safetensors file or from shards listed in a
/// sharded checkpoint's index file (`weight_map`: tensor → shard), read through one interface.
///
/// A sharded checkpoint opens exactly the shard files its index names (each once), and checks
/// when opening that every tensor the index maps exists in its shard. Tensors a shard holds
/// that the index does not map are not visible.
public final class SafeTensorsCheckpoint: WeightSource {
    /// The largest index file accepted, in bytes.
    public static let maximumIndexLength = 100_000_000

    /// The opened files: one for a single-file checkpoint, the shards (sorted by file name)
    /// for a sharded one.
    public let files: [SafeTensorsFile]
    /// The index file of a sharded checkpoint; `nil` for a single file.
    public let indexPath: String?
    /// Every tensor name, sorted in ascending (code point) order.
    public let tensorNames: [String]
    /// For a single file, its `__metadata__`; for a sharded checkpoint, the index's
    /// `metadata` entries whose values are strings or numbers (numbers as written, e.g.
    /// `total_size`).
    public let metadata: [String: String]
    private let locations: [String: Int]

    /// Wraps one opened file.
    public init(file: SafeTensorsFile) {
        self.files = [file]
        self.indexPath = nil
        self.tensorNames = file.tensorNames
        self.metadata = file.metadata
        var locations: [String: Int] = [:]
        for name in file.tensorNames { locations[name] = 0 }
        self.locations = locations
    }

    /// Opens a checkpoint at `url`, which may be:
    /// - a `.json` file: a sharded checkpoint's index;
    /// - any other file: a single safetensors file;
    /// - a directory: its `indexFile` if given and present, otherwise the first of
    ///   `preferredFiles` it holds, otherwise its only `*.safetensors` file.
    /// - Parameters:
    ///   - url: the file or directory.
    ///   - indexFile: the index file name to look for in a directory (the model layer knows its
    ///     checkpoint layouts' names; this module does not).
    ///   - preferredFiles: single-file names to look for in a directory, in order.
    /// - Throws: `SafeTensorsError` naming the file and problem; `noWeightsFound` when a
    ///   directory has no (or several ambiguous) candidates.
    public convenience init(contentsOf url: URL, indexFile: String? = nil,
                            preferredFiles: [String] = []) throws(SafeTensorsError) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw .cannotOpen(file: url.path, reason: "no such file or directory")
        }
        if !isDirectory.boolValue {
            if url.pathExtension.lowercased() == "json" {
                try self.init(indexAt: url)
            } else {
                self.init(file: try SafeTensorsFile(contentsOf: url))
            }
            return
        }
        if let indexFile, manager.fileExists(atPath: url.appendingPathComponent(indexFile).path) {
            try self.init(indexAt: url.appendingPathComponent(indexFile))
            return
        }
        for name in preferredFiles {
            let candidate = url.appendingPathComponent(name)
            if manager.fileExists(atPath: candidate.path) {
                self.init(file: try SafeTensorsFile(contentsOf: candidate))
                return
            }
        }
        let contents = (try? manager.contentsOfDirectory(atPath: url.path)) ?? []
        let candidates = contents.filter { $0.hasSuffix(".safetensors") }.sorted()
        guard candidates.count == 1 else {
            let noIndex = indexFile.map { " and no \($0)" } ?? ""
            let message = candidates.isEmpty
                ? (indexFile.map { "no \($0) and no .safetensors file" } ?? "no .safetensors file")
                : "several .safetensors files\(noIndex): \(candidates.joined(separator: ", "))"
            throw .noWeightsFound(directory: url.path, message: message)
        }
        self.init(file: try SafeTensorsFile(contentsOf: url.appendingPathComponent(candidates[0])))
    }

    /// Opens a sharded checkpoint from its index (`{"metadata": {...}, "weight_map": {tensor:
    /// shard file}}`); shard files are looked up next to the index.
    /// - Throws: `invalidIndex` for a malformed index or a shard name that is not a plain file
    ///   name, `missingShard`, `tensorMissingFromShard`, or any error of opening a shard.
    public init(indexAt url: URL) throws(SafeTensorsError) {
        let indexPath = url.path
        let (weightMap, metadata) = try Self.readIndex(at: indexPath)
        let directory = url.deletingLastPathComponent()

        // Open each named shard once, in sorted order.
        var shardTensors: [String: [String]] = [:]
        for (tensor, shard) in weightMap { shardTensors[shard, default: []].append(tensor) }
        var files: [SafeTensorsFile] = []
        var locations: [String: Int] = [:]
        locations.reserveCapacity(weightMap.count)
        for shard in shardTensors.keys.sorted() {
            let tensors = (shardTensors[shard] ?? []).sorted()
            let shardURL = directory.appendingPathComponent(shard)
            guard FileManager.default.fileExists(atPath: shardURL.path) else {
                throw .missingShard(index: indexPath, shard: shard, tensor: tensors.first ?? "")
            }
            let file = try SafeTensorsFile(contentsOf: shardURL)
            for tensor in tensors {
                guard file.contains(tensor) else {
                    throw .tensorMissingFromShard(index: indexPath, shard: shard, tensor: tensor)
                }
                locations[tensor] = files.count
            }
            files.append(file)
        }
        self.files = files
        self.indexPath = indexPath
        self.tensorNames = locations.keys.sorted()
        self.metadata = metadata
        self.locations = locations
    }

    /// Reads and validates an index file: returns its weight map and its string/number metadata.
    private static func readIndex(at path: String) throws(SafeTensorsError) -> ([String: String], [String: String]) {
        let data: Data
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            // A device or FIFO (also behind a link, as in the Hub cache) reports no size and could
            // be read without end.
            var status = stat()
            guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { throw SafeTensorsError.notARegularFile(file: path) }
            if let size = attributes[.size] as? NSNumber, size.int64Value > Int64(maximumIndexLength) {
                throw SafeTensorsError.invalidIndex(
                    file: path, message: "index is \(size.int64Value) bytes, more than the limit of \(maximumIndexLength)")
            }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as SafeTensorsError {
            throw error
        } catch {
            throw .cannotOpen(file: path, reason: "\(error.localizedDescription)")
        }
        guard data.count <= maximumIndexLength else {
            throw .invalidIndex(file: path, message: "index is more than \(maximumIndexLength) bytes")
        }
        var weightMap: [String: String]?
        var metadata: [String: String] = [:]
        let parse = { (bytes: UnsafeRawBufferPointer) throws(SafeTensorsError) in
            var reader = StrictJSONReader(bytes: bytes, file: path)
            guard reader.peek() == UInt8(ascii: "{") else {
                throw .invalidIndex(file: path, message: "expected a JSON object, found \(reader.describeNextValue())")
            }
            try reader.readObject { (reader, key, _) throws(SafeTensorsError) in
                switch key {
                case "weight_map":
                    guard reader.peek() == UInt8(ascii: "{") else {
                        throw .invalidIndex(
                            file: path, message: "weight_map must be an object, found \(reader.describeNextValue())")
                    }
                    var map: [String: String] = [:]
                    try reader.readObject { (reader, tensor, _) throws(SafeTensorsError) in
                        guard reader.peek() == UInt8(ascii: "\"") else {
                            throw .invalidIndex(
                                file: path,
                                message: "weight_map entry \(q(tensor)) must be a file name string, found \(reader.describeNextValue())")
                        }
                        let shard = try reader.readString()
                        guard isPlainFileName(shard) else {
                            throw .invalidIndex(
                                file: path,
                                message: "weight_map entry \(q(tensor)) names \(q(shard)), not a plain file name")
                        }
                        map[tensor] = shard
                    }
                    weightMap = map
                case "metadata":
                    if try reader.readNullIfPresent() { return }
                    guard reader.peek() == UInt8(ascii: "{") else {
                        throw .invalidIndex(
                            file: path, message: "metadata must be an object, found \(reader.describeNextValue())")
                    }
                    try reader.readObject { (reader, name, _) throws(SafeTensorsError) in
                        switch reader.peek() ?? 0 {
                        case UInt8(ascii: "\""):
                            metadata[name] = try reader.readString()
                        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                            let number = try reader.readNumber()
                            metadata[name] = reader.literal(of: number)
                        default:
                            try reader.skipValue()
                        }
                    }
                default:
                    try reader.skipValue()
                }
            }
            guard reader.isAtEndAfterWhitespace() else {
                throw reader.syntaxError("unexpected characters after the index object")
            }
        }
        let result: Result<Void, SafeTensorsError> = data.withUnsafeBytes { bytes in
            do throws(SafeTensorsError) { try parse(bytes); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
        guard let weightMap else { throw .invalidIndex(file: path, message: "missing \"weight_map\"") }
        guard !weightMap.isEmpty else { throw .invalidIndex(file: path, message: "weight_map names no tensor") }
        return (weightMap, metadata)
    }

    private static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\\")
            && !name.unicodeScalars.contains { $0.value == 0 }
    }

    /// The file that holds the tensor named `name`.
    /// - Throws: `tensorNotFound`.
    public func file(containing name: String) throws(SafeTensorsError) -> SafeTensorsFile {
        guard let index = locations[name] else { throw .tensorNotFound(file: indexPath ?? files[0].path, tensor: name) }
        return files[index]
    }

    /// Whether a tensor named `name` exists.
    public func contains(_ name: String) -> Bool { locations[name] != nil }

    /// The dtype, shape and location (within its file) of the tensor named `name`.
    public func info(named name: String) throws(SafeTensorsError) -> TensorInfo {
        try file(containing: name).info(named: name)
    }

    /// The tensor named `name` as Float32 (see ``SafeTensorsFile/tensor(named:)``).
    public func tensor(named name: String) throws(SafeTensorsError) -> Tensor {
        try file(containing: name).tensor(named: name)
    }

    /// Writes the tensor named `name` as Float32 into `destination` (see
    /// ``SafeTensorsFile/copyFloat32(named:into:)``).
    public func copyFloat32(named name: String, into destination: UnsafeMutableBufferPointer<Float>) throws(SafeTensorsError) {
        try file(containing: name).copyFloat32(named: name, into: destination)
    }

    /// The elements of the integer or BOOL tensor named `name`, exactly.
    public func int64Values(named name: String) throws(SafeTensorsError) -> [Int64] {
        try file(containing: name).int64Values(named: name)
    }

    /// The total number of elements of all visible tensors.
    public var parameterCount: Int {
        tensorNames.reduce(0) { total, name in total + ((try? info(named: name).elementCount) ?? 0) }
    }
}
