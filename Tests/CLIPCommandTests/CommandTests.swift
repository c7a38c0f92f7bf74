import Foundation
import Testing

/// Each failure is exactly one `error:` line on stderr and a non-zero exit.
func expectSingleErrorLine(_ run: ToolRun, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(run.status != 0, sourceLocation: sourceLocation)
    #expect(run.errorLines.count == 1, "stderr: \(run.standardError)", sourceLocation: sourceLocation)
    #expect(run.standardError.hasPrefix("error: "), sourceLocation: sourceLocation)
    #expect(run.standardError.contains(fragment), "stderr: \(run.standardError)", sourceLocation: sourceLocation)
}

@Suite("clip tool")
struct CommandTests {
    let image = modelFixtures.appendingPathComponent("images/sample_64x48.png").path

    @Test func unknownSubcommandAndHelp() throws {
        expectSingleErrorLine(try runTool(["frobnicate"]), containing: "frobnicate")
        let help = try runTool(["--help"])
        #expect(help.status == 0)
        for name in ["tokenize", "embed-text", "embed-image", "preprocess", "classify", "info", "bench", "search"] {
            #expect(help.standardOutput.contains(name), "help lists \(name)")
        }
    }

    @Test func tokenizeFollowsTheDesignInterface() throws {
        let run = try runTool(["tokenize", "a photo of a cat", ""])
        #expect(run.status == 0)
        let rows = try jsonRows(run.standardOutput)
        #expect(rows == [[49406, 320, 1125, 539, 320, 2368, 49407], [49406, 49407]])
        let short = try jsonRows(try runTool(["tokenize", "--context-length", "4", "a photo of a cat"]).standardOutput)
        #expect(short == [[49406, 320, 1125, 49407]])
        expectSingleErrorLine(try runTool(["tokenize", "--context-length", "1", "x"]), containing: "context")
    }

    @Test func embedImageFromFilesAndPixelValues() throws {
        let model = fixtureModel("hf-quickgelu")
        let files = try runTool(["embed-image", "--model", model, image, image])
        #expect(files.status == 0, "\(files.standardError)")
        let rows = try jsonRows(files.standardOutput)
        // The same image twice: the same embedding, to rounding. Not always bit for bit: oneDNN's
        // AVX2 sgemm computes rows of different row blocks with different kernels (at 32 rows,
        // for one), which can differ in the last bit.
        #expect(rows.count == 2 && rows[0].count == 24)
        let largest = rows[0].map(abs).max() ?? 0
        #expect(zip(rows[0], rows[1]).allSatisfy { abs($0 - $1) <= 1e-6 * max(largest, 1) }, "\(rows)")
        let normalized = try jsonRows(try runTool(["embed-image", "--model", model, "--normalize", image]).standardOutput)
        #expect(abs(normalized[0].map { $0 * $0 }.reduce(0, +) - 1) < 1e-5)
        let npy = modelFixtures.appendingPathComponent("pixels/32.npy").path
        let pixels = try runTool(["embed-image", "--model", model, "--pixel-values", npy])
        #expect(pixels.status == 0)
        #expect(try jsonRows(pixels.standardOutput).count == 3)
        expectSingleErrorLine(try runTool(["embed-image", "--model", model, "/nonexistent.png"]), containing: "nonexistent")
    }

    @Test func preprocessWritesAnArray() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("pre-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: output) }
        let run = try runTool(["preprocess", "--model", fixtureModel("hf-quickgelu"), image, "--output", output.path])
        #expect(run.status == 0, "\(run.standardError)")
        let data = try Data(contentsOf: output)
        #expect(data.starts(with: [0x93] + Array("NUMPY".utf8)))
    }

    @Test func infoDescribesModelsAndWeightFiles() throws {
        let model = try runTool(["info", "--model", fixtureModel("hf-quickgelu")])
        #expect(model.status == 0, "\(model.standardError)")
        #expect(model.standardOutput.contains("F32"))
        let weights = try runTool(["info", "--weights", fixtureModel("hf-quickgelu") + "/model.safetensors"])
        #expect(weights.status == 0)
        #expect(weights.standardOutput.contains("visual_projection.weight"))
    }

    @Test func classifyErrorPaths() throws {
        let model = fixtureModel("hf-quickgelu")
        expectSingleErrorLine(try runTool(["classify", "--model", "/nonexistent-model", "--labels", "a,b", image]),
                              containing: "nonexistent-model")
        expectSingleErrorLine(try runTool(["classify", "--model", model, "--labels", " , ", image]), containing: "label list is empty")
        expectSingleErrorLine(try runTool(["classify", "--model", model, image]), containing: "--labels")
        expectSingleErrorLine(try runTool(["classify", "--model", model, "--labels", "a"]), containing: "image")
        expectSingleErrorLine(try runTool(["classify", "--model", model, "--labels", "a", "--top", "0", image]), containing: "--top")
        // This fixture has no real vocabulary: embedding label text is a clear error.
        expectSingleErrorLine(try runTool(["classify", "--model", model, "--labels", "a,b", image]), containing: "tokenizer")
    }

    @Test func benchPrintsJSONOnItsLastLine() throws {
        let run = try runTool(["bench", "--model", fixtureModel("hf-quickgelu"), "--batch", "2", "--repeat", "1"])
        #expect(run.status == 0, "\(run.standardError)")
        let last = try #require(run.standardOutput.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        for key in ["load_s", "image_first_ms", "text8_first_ms", "image_b1_ms", "image_ms_per_image", "text8_ms",
                    "image_b1_cpu_ms", "image_cpu_ms_per_image", "text8_cpu_ms", "peak_rss_mb", "peak_rss_batch_mb"] {
            let value = try #require(object[key] as? Double, "\(key) missing")
            #expect(value > 0)
        }
        let core = try #require(object["blas_core"] as? String)
        #expect(!core.isEmpty && core != "unknown")
        #expect(object["precision"] as? String == "f32")
        #expect(object["thread_runtime"] as? String == "openmp")
        let isa = try #require(object["isa"] as? String)
        #expect(isa.contains(":"), "the kernels oneDNN ran, e.g. brg:avx512_core: \(isa)")
        #expect(object["cosine_f32_image_min"] == nil)
    }

    @Test("bench --precision P IMAGE... prints the cosines of P's embeddings to Float32's", arguments: ["bf16", "int8"])
    func benchComparesReducedPrecisionWithFloat32(precision: String) throws {
        let image = repositoryDirectory.appendingPathComponent("Examples/images/blue-heart.png").path
        let run = try runTool(["bench", "--precision", precision, "--batch", "2", "--repeat", "1", "--threads", "2", image])
        #expect(run.status == 0, "\(run.standardError)")
        let last = try #require(run.standardOutput.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(object["precision"] as? String == precision)
        #expect(object["threads"] as? Int == 2)
        for key in ["cosine_f32_image_min", "cosine_f32_image_mean", "cosine_f32_text_min", "cosine_f32_text_mean"] {
            let cosine = try #require(object[key] as? Double, "\(key) missing")
            #expect(cosine > 0.99 && cosine <= 1.000001, "\(key) = \(cosine)")
        }
    }

    /// oneDNN limited to AVX2 (`ONEDNN_MAX_CPU_ISA`, read when the process starts) behaves as on
    /// a CPU without AVX-512: no bfloat16 products, no VNNI. Both precisions still run, keep
    /// their numbers close to Float32's, and `isa` names the fallback.
    @Test("without bfloat16 products or VNNI, bf16 and int8 run a fallback that isa names",
          arguments: [("bf16", "/bf16-as-f32"), ("int8", "/int8-7bit")])
    func reducedPrecisionFallbackOnAVX2(precision: String, fallback: String) throws {
        let image = repositoryDirectory.appendingPathComponent("Examples/images/blue-heart.png").path
        let run = try runTool(["bench", "--precision", precision, "--batch", "2", "--repeat", "1", image],
                              environment: ["ONEDNN_MAX_CPU_ISA": "AVX2"])
        #expect(run.status == 0, "\(run.standardError)")
        let last = try #require(run.standardOutput.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let isa = try #require(object["isa"] as? String)
        #expect(isa.contains(fallback), "\(isa)")
        #expect(!isa.contains("avx512"), "\(isa)")
        for key in ["cosine_f32_image_min", "cosine_f32_text_min"] {
            let cosine = try #require(object[key] as? Double, "\(key) missing")
            #expect(cosine > 0.99 && cosine <= 1.000001, "\(key) = \(cosine)")
        }
    }

    @Test func unknownPrecisionIsOneErrorLine() throws {
        expectSingleErrorLine(try runTool(["embed-text", "--model", fixtureModel("hf-quickgelu"), "--precision", "fp8", "a"]),
                              containing: "precision")
    }

    @Test func searchErrorPaths() throws {
        let model = fixtureModel("hf-quickgelu")
        expectSingleErrorLine(try runTool(["search", "--model", model, "--images", "/nonexistent-dir", "cat"]), containing: "not a folder")
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        expectSingleErrorLine(try runTool(["search", "--model", model, "--images", empty.path, "cat"]), containing: "no JPEG or PNG")
    }
}
