import Foundation
import Testing
import TensorCore
@testable import CLIPModels
import ImageProcessing
import SafeTensors

/// The committed fixture directory (see Fixtures/README.md).
let fixtures: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

func fixtureModel(_ name: String) -> URL { fixtures.appendingPathComponent("models/\(name)") }

func reference(_ model: String, _ file: String) throws -> Tensor {
    try NumpyArrayFile.read(contentsOf: fixtures.appendingPathComponent("references/\(model)/\(file)"))
}

func pixels(_ size: Int) throws -> Tensor {
    try NumpyArrayFile.read(contentsOf: fixtures.appendingPathComponent("pixels/\(size).npy"))
}

struct TokenBatches: Decodable {
    var unpadded: [[Int]]
    var pad_zero: [[Int]]
    var pad_eot: [[Int]]
}

func tokenBatches(_ model: String) throws -> TokenBatches {
    let data = try Data(contentsOf: fixtures.appendingPathComponent("tokens.json"))
    let all = try JSONDecoder().decode([String: TokenBatches].self, from: data)
    return try #require(all[model])
}

/// The parity criterion of the issue: max |ours − ref| ≤ 1e-4 · max |ref| (or a tighter
/// `tolerance`), same shape.
func expectClose(_ ours: Tensor, _ ref: Tensor, _ what: String, tolerance: Float = 1e-4,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(ours.shape == ref.shape, "\(what): shape \(ours.shape) vs \(ref.shape)", sourceLocation: sourceLocation)
    guard ours.shape == ref.shape else { return }
    let scale = ref.scalars.map(abs).max() ?? 0
    let worst = zip(ours.scalars, ref.scalars).map { abs($0 - $1) }.max() ?? 0
    #expect(scale > 0, "\(what): degenerate reference", sourceLocation: sourceLocation)
    #expect(worst <= tolerance * scale, "\(what): max |diff| \(worst) > \(tolerance) × \(scale)",
            sourceLocation: sourceLocation)
}

/// A fixture folder's text references (`text.npy`) against its token batches
/// (`tokens.json`: `unpadded`, `pad_zero`, `pad_eot`), each batch alone.
func expectTextBatchesClose(_ model: CLIPModel, folder: URL, _ name: String, tolerance: Float = 2e-5,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
    let tokens = try JSONDecoder().decode(TokenBatches.self,
                                          from: Data(contentsOf: folder.appendingPathComponent("tokens.json")))
    let reference = try NumpyArrayFile.read(contentsOf: folder.appendingPathComponent("text.npy"))
    for (batch, label) in [(tokens.pad_zero, "padded with 0"), (tokens.pad_eot, "padded with end of text"),
                           (tokens.unpadded, "unpadded")] {
        expectClose(try model.encode(tokenIDs: batch), reference, "\(name) texts \(label)", tolerance: tolerance,
                    sourceLocation: sourceLocation)
    }
}

/// bfloat16 and int8 image embeddings of a fixture model within cosine 0.99 of its Float32 ones.
func expectReducedPrecisionsClose(_ name: String, pixelValues: Tensor, model: (ModelPrecision) throws -> CLIPModel,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
    let reference = try model(.float32).encode(pixelValues: pixelValues, normalized: true)
    for precision in [ModelPrecision.bfloat16, .int8] {
        let other = try model(precision).encode(pixelValues: pixelValues, normalized: true)
        let width = reference.shape[1]
        for row in 0..<reference.shape[0] {
            let cosine = (0..<width).reduce(Float(0)) { $0 + reference.scalars[row * width + $1] * other.scalars[row * width + $1] }
            #expect(cosine > 0.99, "\(name) \(precision) image \(row): cosine \(cosine)", sourceLocation: sourceLocation)
        }
    }
}

/// The error `body` throws (recording an issue when it does not throw a `CLIPModelError`).
func modelError<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation) -> CLIPModelError? {
    do {
        _ = try body()
        Issue.record("no error was thrown", sourceLocation: sourceLocation)
    } catch let error as CLIPModelError {
        return error
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Every tensor of a safetensors file, by name.
func tensors(in file: URL) throws -> [String: Tensor] {
    let source = try openSafeTensors(file)
    var result: [String: Tensor] = [:]
    for name in source.tensorNames { result[name] = try source.tensor(named: name) }
    return result
}
