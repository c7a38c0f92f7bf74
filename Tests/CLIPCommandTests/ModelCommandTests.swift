import CLIP
import Foundation
import Testing

/// Normal paths of the commands that embed text, on a tiny random model with CLIP's real vocabulary
/// (Scripts/make_cli_fixture_model.py). Its predictions mean nothing; the tests check the output
/// format and that the tool prints what the library computes.
@Suite("clip tool with a text-capable model")
struct ModelCommandTests {
    let model = testsDirectory.appendingPathComponent("CLIPCommandTests/Fixtures/tiny-vocab-clip").path
    let cat = repositoryDirectory.appendingPathComponent("Examples/photos/cat.jpg").path
    let sample = modelFixtures.appendingPathComponent("images/sample_64x48.png").path

    struct ClassifyOutput: Decodable {
        struct Entry: Decodable { let label: String; let probability: Double; let similarity: Double }
        let path: String
        let predictions: [Entry]
    }

    @Test func classifyJSONHasTheDocumentedFieldsAndTheLibraryValues() throws {
        let run = try runTool(["classify", "--model", model, "--labels", "cat, dog,car", "--json", cat, sample])
        #expect(run.status == 0, "\(run.standardError)")
        let output = try JSONDecoder().decode([ClassifyOutput].self, from: Data(run.standardOutput.utf8))
        #expect(output.map(\.path) == [cat, sample])
        let library = try ZeroShotClassifier(model: CLIPModel(contentsOf: URL(fileURLWithPath: model)), labels: ["cat", "dog", "car"])
        let expected = try library.classify(imagesAt: [URL(fileURLWithPath: cat), URL(fileURLWithPath: sample)])
        for (image, reference) in zip(output, expected) {
            #expect(image.predictions.count == 3)
            #expect(Set(image.predictions.map(\.label)) == ["cat", "dog", "car"])
            #expect(abs(image.predictions.map(\.probability).reduce(0, +) - 1) < 1e-5)
            for (got, want) in zip(image.predictions, reference) {
                #expect(got.label == want.label)
                #expect(abs(got.probability - Double(want.probability)) < 1e-6)
                #expect(abs(got.similarity - Double(want.similarity)) < 1e-6)
            }
        }
    }

    @Test func classifyReadableOutputTemplatesAndTop() throws {
        let run = try runTool(["classify", "--model", model, "--labels", "cat,dog,car", "--template", "a photo of a {}.",
                               "--template", "a picture of the {}", "--top", "2", cat])
        #expect(run.status == 0, "\(run.standardError)")
        let lines = run.standardOutput.split(separator: "\n")
        #expect(lines.count == 3 && lines[0] == Substring(cat))
        #expect(lines.dropFirst().allSatisfy { $0.contains("%") && $0.contains("cosine") })
    }

    @Test func anUnreadableImageIsReportedAndTheOthersStillRun() throws {
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).jpg")
        try Data("not an image".utf8).write(to: bad)
        defer { try? FileManager.default.removeItem(at: bad) }
        let run = try runTool(["classify", "--model", model, "--labels", "cat,dog", "--json", bad.path, cat])
        #expect(run.status != 0)
        #expect(run.errorLines.count == 1 && run.standardError.hasPrefix("error: ") && run.standardError.contains(bad.path))
        let output = try JSONDecoder().decode([ClassifyOutput].self, from: Data(run.standardOutput.utf8))
        #expect(output.map(\.path) == [cat])
    }

    @Test func savedLabelEmbeddingsGiveTheSameResults() throws {
        let labels = FileManager.default.temporaryDirectory.appendingPathComponent("labels-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: labels) }
        let first = try runTool(["classify", "--model", model, "--labels", "cat,dog", "--save-labels", labels.path, "--json", cat])
        let second = try runTool(["classify", "--model", model, "--load-labels", labels.path, "--json", cat])
        #expect(first.status == 0 && second.status == 0, "\(first.standardError)\(second.standardError)")
        #expect(first.standardOutput == second.standardOutput)
        // Label embeddings made with one model are refused by another.
        let other = fixtureModel("hf-quickgelu")
        let refused = try runTool(["classify", "--model", other, "--load-labels", labels.path, cat])
        expectSingleErrorLine(refused, containing: "not with the loaded model")
    }

    @Test func embedTextMatchesTheLibrary() throws {
        let run = try runTool(["embed-text", "--model", model, "a photo of a cat", "two dogs"])
        #expect(run.status == 0, "\(run.standardError)")
        let rows = try jsonRows(run.standardOutput)
        let expected = try CLIPModel(contentsOf: URL(fileURLWithPath: model)).encode(texts: ["a photo of a cat", "two dogs"])
        #expect(rows.count == 2 && rows.allSatisfy { $0.count == 8 })
        for (got, want) in zip(rows.joined(), expected.scalars) { #expect(abs(got - Double(want)) <= 1e-6 * max(1, abs(Double(want)))) }
    }

    struct SearchOutput: Decodable {
        struct Hit: Decodable { let identifier: String; let similarity: Double }
        let query: String
        let results: [Hit]
    }

    @Test func searchRanksAFolderAndReusesItsIndex() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("search-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(atPath: cat, toPath: folder.appendingPathComponent("cat.jpg").path)
        try FileManager.default.copyItem(atPath: sample, toPath: folder.appendingPathComponent("sample.png").path)
        try Data("ignored".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        let index = folder.appendingPathComponent("index.safetensors").path
        let run = try runTool(["search", "--model", model, "--images", folder.path, "--index", index, "--json", "a cat"])
        #expect(run.status == 0, "\(run.standardError)")
        let output = try JSONDecoder().decode(SearchOutput.self, from: Data(run.standardOutput.utf8))
        #expect(output.query == "a cat")
        #expect(Set(output.results.map { ($0.identifier as NSString).lastPathComponent }) == ["cat.jpg", "sample.png"])
        #expect(zip(output.results, output.results.dropFirst()).allSatisfy { $0.similarity >= $1.similarity })
        #expect(FileManager.default.fileExists(atPath: index))
        // Second run reads the index and prints the same ranking.
        let again = try runTool(["search", "--model", model, "--images", folder.path, "--index", index, "--json", "a cat"])
        #expect(again.standardOutput == run.standardOutput)
        let readable = try runTool(["search", "--model", model, "--images", folder.path, "--top", "1", "a cat"])
        #expect(readable.status == 0 && readable.standardOutput.split(separator: "\n").count == 1)
    }
}
