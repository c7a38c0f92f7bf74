import Foundation
import Testing
import TensorCore
@testable import ImageProcessing

/// SigLIP settings (`SiglipImageProcessor`'s `preprocessor_config.json`) and parity with
/// transformers 5.24's `SiglipImageProcessorPil` (Fixtures/siglip, written by
/// Scripts/make_siglip_image_fixtures.py).
@Suite struct SiglipConfigurationTests {
    static func decode(_ json: String, unnamed: PreprocessingConfiguration.TransformersProcessor = .clip) throws
        -> PreprocessingConfiguration
    {
        try PreprocessingConfiguration(transformersJSON: Data(json.utf8), file: "test.json", unnamedProcessor: unnamed)
    }

    /// The error's key and reason, or `nil` (with an issue recorded) when the settings were accepted.
    static func invalid(_ json: String, unnamed: PreprocessingConfiguration.TransformersProcessor = .clip)
        -> (key: String, reason: String)?
    {
        do {
            let configuration = try decode(json, unnamed: unnamed)
            Issue.record("accepted \(json) as \(configuration)")
        } catch let ImageProcessingError.invalidConfiguration(file, key, reason) {
            #expect(file == "test.json")
            return (key, reason)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }

    // google/siglip-base-patch16-224's preprocessor_config.json.
    static let siglipBase224 = """
        {"do_normalize": true, "do_rescale": true, "do_resize": true, "image_mean": [0.5, 0.5, 0.5],
         "image_processor_type": "SiglipImageProcessor", "image_std": [0.5, 0.5, 0.5],
         "processor_class": "SiglipProcessor", "resample": 3, "rescale_factor": 0.00392156862745098,
         "size": {"height": 224, "width": 224}}
        """

    @Test func siglipDefaults() throws {
        let c = PreprocessingConfiguration.siglip
        #expect(c.resize == .exact(height: 224, width: 224))
        #expect(c.filter == .bicubic)
        #expect(c.cropSize == nil)
        #expect(c.rescaling == .multiply(1.0 / 255.0))
        #expect(c.normalization == .siglip)
        #expect(c.normalization?.mean == [0.5, 0.5, 0.5] && c.normalization?.std == [0.5, 0.5, 0.5])
        #expect(c.outputSize(width: 640, height: 37) == (224, 224))
        #expect(try PreprocessingConfiguration.siglip(imageSize: 224) == c)
        #expect(try PreprocessingConfiguration.siglip(height: 224, width: 224, filter: .bicubic) == c)
        #expect(PreprocessingConfiguration.TransformersProcessor.siglip.defaults == c)
        #expect(PreprocessingConfiguration.TransformersProcessor.clip.defaults == .openAI)
        // The memberwise init builds the same thing.
        #expect(try PreprocessingConfiguration(resize: .exact(height: 224, width: 224), cropSize: nil,
                                               normalization: .siglip) == c)

        let c384 = try PreprocessingConfiguration.siglip(imageSize: 384, filter: .bilinear)
        #expect(c384.resize == .exact(height: 384, width: 384) && c384.filter == .bilinear && c384.cropSize == nil)
        let rectangle = try PreprocessingConfiguration.siglip(height: 48, width: 80)
        #expect(rectangle.outputSize(width: 13, height: 400) == (48, 80))
        #expect(throws: ImageProcessingError.self) { try PreprocessingConfiguration.siglip(imageSize: 0) }
        #expect(throws: ImageProcessingError.self) { try PreprocessingConfiguration.siglip(height: 224, width: -1) }
    }

    @Test func shippedSiglipFileEqualsDefaults() throws {
        #expect(try Self.decode(Self.siglipBase224) == .siglip)
        for type in ["SiglipImageProcessor", "SiglipImageProcessorFast", "SiglipImageProcessorPil"] {
            #expect(try Self.decode(#"{"image_processor_type": "\#(type)"}"#) == .siglip, "\(type)")
        }
        // A file naming no processor is read as the caller says (CLIP unless told otherwise).
        #expect(try Self.decode("{}", unnamed: .siglip) == .siglip)
        #expect(try Self.decode("{}") == .openAI)
        // A named processor wins over the caller's assumption.
        #expect(try Self.decode(#"{"image_processor_type": "CLIPImageProcessor"}"#, unnamed: .siglip) == .openAI)
        #expect(try Self.decode(#"{"image_processor_type": "SiglipImageProcessor", "feature_extractor_type": "SiglipImageProcessor"}"#)
                == .siglip)
    }

    @Test func siglipSettings() throws {
        let base = #""image_processor_type": "SiglipImageProcessor""#
        // Fixed-resolution SigLIP 2 (e.g. google/siglip2-base-patch16-256): bilinear, another size.
        let siglip2 = try Self.decode("{\(base), \"resample\": 2, \"size\": {\"height\": 256, \"width\": 256}}")
        #expect(siglip2 == (try PreprocessingConfiguration.siglip(imageSize: 256, filter: .bilinear)))
        let rectangle = try Self.decode("{\(base), \"size\": {\"height\": 48, \"width\": 80}}")
        #expect(rectangle.resize == .exact(height: 48, width: 80) && rectangle.cropSize == nil)
        #expect(try Self.decode("{\(base), \"size\": [48, 80]}").resize == .exact(height: 48, width: 80))
        // An integer size is a shortest edge (SiglipImageProcessor has default_to_square false),
        // still without a crop: transformers turns 50x30 into 106x64.
        let integer = try Self.decode("{\(base), \"size\": 64}")
        #expect(integer.resize == .shortestEdge(64) && integer.cropSize == nil)
        #expect(integer.outputSize(width: 50, height: 30) == (64, 106))
        #expect(try Self.decode("{\(base), \"size\": 64, \"default_to_square\": true}").resize == .exact(height: 64, width: 64))
        #expect(try Self.decode("{\(base), \"do_resize\": false}").resize == nil)
        #expect(try Self.decode("{\(base), \"do_rescale\": false}").rescaling == PreprocessingConfiguration.Rescaling.none)
        #expect(try Self.decode("{\(base), \"do_normalize\": false}").normalization == nil)
        #expect(try Self.decode("{\(base), \"image_mean\": 0.25}").normalization?.mean == [0.25, 0.25, 0.25])
        #expect(try Self.decode("{\(base), \"image_mean\": 0.25}").normalization?.std == [0.5, 0.5, 0.5])
        #expect(try Self.decode("{\(base), \"do_convert_rgb\": null, \"processor_class\": \"SiglipProcessor\"}") == .siglip)
        // Unknown keys are ignored, as for CLIP.
        #expect(try Self.decode("{\(base), \"some_future_key\": [1, 2], \"_valid_processor_keys\": {}}") == .siglip)
        // A crop only when asked for, and then with a size (SiglipImageProcessor has no default crop).
        let cropped = try Self.decode("{\(base), \"do_center_crop\": true, \"crop_size\": {\"height\": 200, \"width\": 100}}")
        #expect(cropped.cropSize?.height == 200 && cropped.cropSize?.width == 100)
        #expect(try Self.decode("{\(base), \"crop_size\": 200}").cropSize == nil)
        #expect(Self.invalid("{\(base), \"do_center_crop\": true}")?.key == "crop_size")
    }

    @Test func wrongTypesAndValuesNameTheKey() {
        let base = #""image_processor_type": "SiglipImageProcessor""#
        let cases: [(String, String)] = [
            (#""size": "224""#, "size"),
            (#""size": {"height": 224}"#, "size"),
            (#""size": {"height": 224, "width": 22.5}"#, "size.width"),
            (#""size": {"height": 0, "width": 224}"#, "size.height"),
            (#""resample": "bicubic""#, "resample"),
            (#""resample": 0"#, "resample"),
            (#""resample": 7"#, "resample"),
            (#""do_resize": "yes""#, "do_resize"),
            (#""do_rescale": 1"#, "do_rescale"),
            (#""rescale_factor": "1/255""#, "rescale_factor"),
            (#""rescale_factor": 0"#, "rescale_factor"),
            (#""do_normalize": "true""#, "do_normalize"),
            (#""image_mean": [0.5, 0.5]"#, "image_mean"),
            (#""image_std": [0.5, 0, 0.5]"#, "image_std"),
            (#""image_std": "0.5""#, "image_std"),
            (#""do_convert_rgb": "yes""#, "do_convert_rgb"),
            (#""do_center_crop": true, "crop_size": {"height": 2}"#, "crop_size"),
        ]
        for (member, key) in cases {
            let failure = Self.invalid("{\(base), \(member)}")
            #expect(failure?.key == key, "\(member): \(failure.map { "\($0)" } ?? "accepted")")
            #expect(failure?.reason.isEmpty == false)
        }
        #expect(Self.invalid(#"{"image_processor_type": 3}"#)?.key == "image_processor_type")
        #expect(Self.invalid(#"{"image_processor_type": "SigLIPImageProcessor"}"#)?.key == "image_processor_type")
        let contradiction = Self.invalid(#"{"image_processor_type": "SiglipImageProcessor", "feature_extractor_type": "CLIPFeatureExtractor"}"#)
        #expect(contradiction?.key == "feature_extractor_type")
    }

    @Test func naFlexSiglip2IsRefused() {
        // google/siglip2-base-patch16-naflex's preprocessor_config.json (abridged).
        let naFlex = """
            {"do_convert_rgb": null, "do_normalize": true, "do_rescale": true, "do_resize": true,
             "image_mean": [0.5, 0.5, 0.5], "image_processor_type": "Siglip2ImageProcessor",
             "image_std": [0.5, 0.5, 0.5], "max_num_patches": 256, "patch_size": 16,
             "processor_class": "Siglip2Processor", "resample": 2, "rescale_factor": 0.00392156862745098}
            """
        let refusals: [(String, String)] = [
            (naFlex, "image_processor_type"),
            (#"{"image_processor_type": "Siglip2ImageProcessorFast"}"#, "image_processor_type"),
            (#"{"image_processor_type": "Siglip2ImageProcessorPil"}"#, "image_processor_type"),
            (#"{"feature_extractor_type": "Siglip2ImageProcessor"}"#, "feature_extractor_type"),
            (#"{"image_processor_type": "SiglipImageProcessor", "max_num_patches": 256}"#, "max_num_patches"),
            (#"{"patch_size": 16}"#, "patch_size"),
        ]
        for (json, key) in refusals {
            for unnamed in PreprocessingConfiguration.TransformersProcessor.allCases {
                let failure = Self.invalid(json, unnamed: unnamed)
                #expect(failure?.key == key, "\(json)")
                #expect(failure?.reason.contains("NaFlex variable-resolution SigLIP 2") == true, "\(failure?.reason ?? "")")
                #expect(failure?.reason.contains("SiglipImageProcessor") == true)
            }
        }
        let message = ImageProcessingError.invalidConfiguration(file: "x.json", key: "max_num_patches", reason: "r").description
        #expect(message.contains("x.json") && message.contains("max_num_patches"))
    }
}

/// Decode + preprocess of the fixture images against `SiglipImageProcessorPil`, bit for bit.
@Suite struct SiglipParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name, image, config, alpha, referenceU8: String
        let referenceF32: String?
        let height, width: Int
        var testDescription: String { name }
    }

    static var root: URL {
        get throws { try Fixtures.root.appendingPathComponent("siglip") }
    }

    static var manifest: [String: Any] {
        get throws {
            let data = try Data(contentsOf: try root.appendingPathComponent("manifest.json"))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
    }

    static func cases() throws -> [Case] {
        let entries = try #require(try manifest["cases"] as? [[String: Any]])
        return try entries.map { e in
            Case(
                name: try #require(e["name"] as? String), image: try #require(e["image"] as? String),
                config: try #require(e["config"] as? String), alpha: try #require(e["alpha"] as? String),
                referenceU8: try #require(e["reference_u8"] as? String), referenceF32: e["reference_f32"] as? String,
                height: try #require(e["height"] as? Int), width: try #require(e["width"] as? Int))
        }
    }

    static func settings(_ name: String) throws -> [String: Any] {
        let configs = try #require(try manifest["configs"] as? [String: Any])
        return try #require(configs[name] as? [String: Any])
    }

    static func reference(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: try root.appendingPathComponent("reference").appendingPathComponent(name)))
    }

    static func referenceFloats(_ name: String) throws -> [Float] {
        let bytes = try reference(name)
        try #require(bytes.count % 4 == 0)
        return (0..<(bytes.count / 4)).map { i in
            Float(bitPattern: UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8
                | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24)
        }
    }

    /// The reference tensor [3, H, W]: stored, or rebuilt from the 8-bit image with transformers'
    /// arithmetic (float64 multiply, float32 normalize; the generator checked it reproduces the
    /// Python tensor bit for bit).
    static func referenceTensor(for c: Case, u8: [UInt8]) throws -> [Float] {
        if let f32 = c.referenceF32 { return try referenceFloats(f32) }
        let config = try settings(c.config)
        let mean = config["image_mean"] as? [Double] ?? [0.5, 0.5, 0.5]
        let std = config["image_std"] as? [Double] ?? [0.5, 0.5, 0.5]
        let factor = config["rescale_factor"] as? Double ?? 1.0 / 255.0
        let plane = c.height * c.width
        var out = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            for ch in 0..<3 {
                out[ch * plane + i] = (Float(Double(u8[3 * i + ch]) * factor) - Float(mean[ch])) / Float(std[ch])
            }
        }
        return out
    }

    @Test func manifestCoversEveryPreprocessingImage() throws {
        let clipImages = Set(try #require(try Fixtures.manifest["cases"] as? [[String: Any]]).compactMap { $0["image"] as? String })
        let cases = try Self.cases()
        #expect(Set(cases.map(\.image)) == clipImages)
        #expect(cases.contains { $0.alpha == "compositeOverWhite" })
        #expect(Set(cases.map(\.config)) == ["siglip64", "siglip224", "siglip_defaults", "siglip48x80", "siglip_bilinear64"])
        // The stored settings decode to what the names say.
        #expect(try PreprocessingConfiguration(transformersJSON: JSONSerialization.data(withJSONObject: Self.settings("siglip224")))
                == .siglip)
        #expect(try PreprocessingConfiguration(transformersJSON: JSONSerialization.data(withJSONObject: Self.settings("siglip_defaults")))
                == .siglip)
        #expect(try PreprocessingConfiguration(transformersJSON: JSONSerialization.data(withJSONObject: Self.settings("siglip_bilinear64")))
                == (try PreprocessingConfiguration.siglip(imageSize: 64, filter: .bilinear)))
        #expect(try PreprocessingConfiguration(transformersJSON: JSONSerialization.data(withJSONObject: Self.settings("siglip48x80")))
                == (try PreprocessingConfiguration.siglip(height: 48, width: 80)))
    }

    @Test(arguments: try SiglipParityTests.cases())
    func matchesSiglipImageProcessorPil(_ c: Case) throws {
        let json = try JSONSerialization.data(withJSONObject: try Self.settings(c.config))
        let configuration = try PreprocessingConfiguration(transformersJSON: json, file: c.config)
        var options = DecodingOptions()
        options.alpha = c.alpha == "compositeOverWhite" ? .compositeOverWhite : .discard
        let preprocessor = ImagePreprocessor(configuration: configuration, loader: ImageLoader(options: options))
        let url = try Fixtures.image(c.image)

        let prepared = try preprocessor.preparedImage(try preprocessor.loader.image(contentsOf: url))
        let expectedU8 = try Self.reference(c.referenceU8)
        #expect(prepared.width == c.width && prepared.height == c.height)
        try #require(prepared.pixels.count == expectedU8.count)
        let levels = DifferenceStatistics(bytes: prepared.pixels, expectedU8)
        #expect(levels.maximum == 0, "8-bit \(levels)")

        let tensor = try preprocessor.pixelValues(contentsOf: url)
        #expect(tensor.shape == [1, 3, c.height, c.width])
        let expected = try Self.referenceTensor(for: c, u8: expectedU8)
        try #require(tensor.scalars.count == expected.count)
        let stats = DifferenceStatistics(tensor.scalars, expected)
        #expect(stats.maximum == 0, "normalized \(stats)")
        // Bit patterns too (0 and -0, NaN would pass or fail the comparison above silently).
        #expect(zip(tensor.scalars, expected).allSatisfy { $0.bitPattern == $1.bitPattern })
    }

    /// The programmatic default preprocesses exactly like the decoded shipped file.
    @Test func programmaticDefaultMatchesShippedFile() throws {
        let c = try #require(try Self.cases().first { $0.config == "siglip224" && $0.referenceF32 != nil })
        let preprocessor = ImagePreprocessor(configuration: .siglip)
        let tensor = try preprocessor.pixelValues(contentsOf: try Fixtures.image(c.image))
        let expected = try Self.referenceFloats(try #require(c.referenceF32))
        #expect(tensor.shape == [1, 3, 224, 224])
        #expect(tensor.scalars.elementsEqual(expected))
    }
}
