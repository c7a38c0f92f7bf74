import Foundation
import Testing
import TensorCore
@testable import ImageProcessing

/// Decode + preprocess of every fixture image against transformers' `CLIPImageProcessorPil`
/// (or OpenCLIP's transform for `openclip_*` settings) applied to the upright, converted image.
@Suite struct PreprocessParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name, image, config, kind, alpha, referenceU8: String
        let referenceF32: String?
        let height, width: Int
        var testDescription: String { name }
    }

    static func cases() throws -> [Case] {
        let entries = try #require(try Fixtures.manifest["cases"] as? [[String: Any]])
        return try entries.map { e in
            Case(
                name: try #require(e["name"] as? String), image: try #require(e["image"] as? String),
                config: try #require(e["config"] as? String), kind: try #require(e["config_kind"] as? String),
                alpha: try #require(e["alpha"] as? String), referenceU8: try #require(e["reference_u8"] as? String),
                referenceF32: e["reference_f32"] as? String,
                height: try #require(e["height"] as? Int), width: try #require(e["width"] as? Int))
        }
    }

    static func configuration(for c: Case) throws -> PreprocessingConfiguration {
        let manifest = try Fixtures.manifest
        let group = c.kind == "openclip" ? "openclip_configs" : "configs"
        let configs = try #require(manifest[group] as? [String: Any])
        let json = try JSONSerialization.data(withJSONObject: try #require(configs[c.config]))
        return c.kind == "openclip"
            ? try PreprocessingConfiguration(openCLIPJSON: json, file: c.config)
            : try PreprocessingConfiguration(transformersJSON: json, file: c.config)
    }

    /// The reference tensor [3, H, W] rebuilt from the reference's 8-bit crop with the reference's
    /// own arithmetic (the generator checked this reproduces the Python tensor bit for bit).
    static func referenceTensor(for c: Case, u8: [UInt8]) throws -> [Float] {
        if let f32 = c.referenceF32 { return try Fixtures.referenceFloats(f32) }
        let manifest = try Fixtures.manifest
        var mean: [Double] = [0.48145466, 0.4578275, 0.40821073]
        var std: [Double] = [0.26862954, 0.26130258, 0.27577711]
        var factor = 1.0 / 255.0
        if c.kind == "openclip" {
            let cfg = try #require((manifest["openclip_configs"] as? [String: Any])?[c.config] as? [String: Any])
            let pp = try #require(cfg["preprocess_cfg"] as? [String: Any])
            mean = try #require(pp["mean"] as? [Double])
            std = try #require(pp["std"] as? [Double])
        } else {
            let cfg = try #require((manifest["configs"] as? [String: Any])?[c.config] as? [String: Any])
            if let m = cfg["image_mean"] as? [Double] { mean = m }
            if let s = cfg["image_std"] as? [Double] { std = s }
            if let f = cfg["rescale_factor"] as? Double { factor = f }
        }
        let plane = c.height * c.width
        var out = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            for ch in 0..<3 {
                let v = u8[3 * i + ch]
                let x = c.kind == "openclip" ? Float(v) / Float(255) : Float(Double(v) * factor)
                out[ch * plane + i] = (x - Float(mean[ch])) / Float(std[ch])
            }
        }
        return out
    }

    @Test func manifestCoversTheIssueCases() throws {
        let images = Set(try Self.cases().map(\.image))
        for required in ["landscape_640x480.jpg", "portrait_360x480.jpg", "tiny_1x1.png", "thin_13x400.png",
                         "wide_1000x37.png", "exact_224x224.jpg", "gray_320x240.jpg", "gray_200x150.png",
                         "rgba_150x110.png", "palette_160x120.png", "rgb16_96x72.png", "interlaced_150x100.png",
                         "progressive_300x201.jpg", "cmyk_200x160.jpg", "exif3_160x120.jpg", "exif6_160x120.jpg",
                         "exif8_160x120.jpg"] {
            #expect(images.contains(required), "missing fixture \(required)")
        }
    }

    @Test(arguments: try PreprocessParityTests.cases())
    func matchesReference(_ c: Case) throws {
        let configuration = try Self.configuration(for: c)
        var options = DecodingOptions()
        options.alpha = c.alpha == "compositeOverWhite" ? .compositeOverWhite : .discard
        let preprocessor = ImagePreprocessor(configuration: configuration, loader: ImageLoader(options: options))
        let url = try Fixtures.image(c.image)

        let image = try preprocessor.loader.image(contentsOf: url)
        let prepared = try preprocessor.preparedImage(image)
        let expectedU8 = try Fixtures.reference(c.referenceU8)
        #expect(prepared.width == c.width && prepared.height == c.height)
        try #require(prepared.pixels.count == expectedU8.count)
        let levels = DifferenceStatistics(bytes: prepared.pixels, expectedU8)

        let tensor = try preprocessor.pixelValues(contentsOf: url)
        #expect(tensor.shape == [1, 3, c.height, c.width])
        let expected = try Self.referenceTensor(for: c, u8: expectedU8)
        let stats = DifferenceStatistics(tensor.scalars, expected)
        print("preprocess \(c.name): normalized \(stats); 8-bit \(levels)")
        // Acceptance: max |diff| <= 0.02 and mean |diff| <= 0.002 in normalized units.
        #expect(stats.maximum <= 0.02, "\(stats)")
        #expect(stats.mean <= 0.002, "\(stats)")
    }
}
