import Foundation
import Testing
@testable import ImageProcessing

@Suite struct ConfigurationTests {
    static func transformers(_ json: String) throws -> PreprocessingConfiguration {
        try PreprocessingConfiguration(transformersJSON: Data(json.utf8), file: "test.json")
    }

    static func openCLIP(_ json: String) throws -> PreprocessingConfiguration {
        try PreprocessingConfiguration(openCLIPJSON: Data(json.utf8), file: "test.json")
    }

    static func expectInvalid(key: String, _ body: () throws -> PreprocessingConfiguration) {
        do {
            let configuration = try body()
            Issue.record("accepted an invalid configuration: \(configuration)")
        } catch let ImageProcessingError.invalidConfiguration(_, actualKey, reason) {
            #expect(actualKey == key, "\(reason)")
            #expect(!reason.isEmpty)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func openAIDefaults() {
        let c = PreprocessingConfiguration.openAI
        #expect(c.resize == .shortestEdge(224))
        #expect(c.filter == .bicubic)
        #expect(c.cropSize?.height == 224 && c.cropSize?.width == 224)
        #expect(c.rescaling == .multiply(1.0 / 255.0))
        #expect(c.normalization?.mean == [0.48145466, 0.4578275, 0.40821073])
        #expect(c.normalization?.std == [0.26862954, 0.26130258, 0.27577711])
        #expect(c.cropConvention == .transformers)
    }

    @Test func legacyOpenAIConfigEqualsDefaults() throws {
        // openai/clip-vit-base-patch32's 2021-style preprocessor_config.json.
        let legacy = try Self.transformers("""
            {"crop_size": 224, "do_center_crop": true, "do_normalize": true, "do_resize": true,
             "feature_extractor_type": "CLIPFeatureExtractor",
             "image_mean": [0.48145466, 0.4578275, 0.40821073],
             "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 224}
            """)
        #expect(legacy == .openAI)
        let modern = try Self.transformers("""
            {"crop_size": {"height": 224, "width": 224}, "do_center_crop": true, "do_convert_rgb": true,
             "do_normalize": true, "do_rescale": true, "do_resize": true,
             "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_processor_type": "CLIPImageProcessor",
             "image_std": [0.26862954, 0.26130258, 0.27577711], "processor_class": "CLIPProcessor",
             "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224}}
            """)
        #expect(modern == .openAI)
        #expect(try Self.transformers("{}") == .openAI)
    }

    @Test func sizeStyles() throws {
        #expect(try Self.transformers(#"{"size": {"shortest_edge": 336}}"#).resize == .shortestEdge(336))
        #expect(try Self.transformers(#"{"size": {"height": 256, "width": 192}}"#).resize == .exact(height: 256, width: 192))
        #expect(try Self.transformers(#"{"size": [256, 192]}"#).resize == .exact(height: 256, width: 192))
        #expect(try Self.transformers(#"{"size": 256, "default_to_square": true}"#).resize == .exact(height: 256, width: 256))
        #expect(try Self.transformers(#"{"size": {"shortest_edge": 224}, "use_square_size": true}"#).resize
                == .exact(height: 224, width: 224))
        #expect(try Self.transformers(#"{"size": {"shortest_edge": 64, "longest_edge": 80}}"#).resize
                == .shortestEdgeLimited(shortest: 64, longest: 80))
        let crop = try Self.transformers(#"{"crop_size": [200, 100]}"#).cropSize
        #expect(crop?.height == 200 && crop?.width == 100)
        #expect(try Self.transformers(#"{"do_resize": false}"#).resize == nil)
        #expect(try Self.transformers(#"{"do_center_crop": false}"#).cropSize == nil)
        #expect(try Self.transformers(#"{"do_rescale": false}"#).rescaling == PreprocessingConfiguration.Rescaling.none)
        #expect(try Self.transformers(#"{"do_normalize": false}"#).normalization == nil)
        #expect(try Self.transformers(#"{"image_mean": 0.5, "image_std": 0.25}"#).normalization?.std == [0.25, 0.25, 0.25])
        #expect(try Self.transformers(#"{"resample": 2}"#).filter == .bilinear)
        #expect(try Self.transformers(#"{"size": null}"#).resize == .shortestEdge(224))
    }

    @Test func invalidValuesAreErrorsNotDefaults() {
        Self.expectInvalid(key: "size") { try Self.transformers(#"{"size": {"shortest_egde": 224}}"#) }
        Self.expectInvalid(key: "size") { try Self.transformers(#"{"size": {"max_height": 224, "max_width": 224}}"#) }
        Self.expectInvalid(key: "size") { try Self.transformers(#"{"size": "224"}"#) }
        Self.expectInvalid(key: "size.shortest_edge") { try Self.transformers(#"{"size": {"shortest_edge": 22.5}}"#) }
        Self.expectInvalid(key: "size.shortest_edge") { try Self.transformers(#"{"size": {"shortest_edge": 0}}"#) }
        Self.expectInvalid(key: "crop_size") { try Self.transformers(#"{"crop_size": {"height": 224, "widht": 224}}"#) }
        Self.expectInvalid(key: "crop_size.height") { try Self.transformers(#"{"crop_size": -1}"#) }
        Self.expectInvalid(key: "resample") { try Self.transformers(#"{"resample": 0}"#) }
        Self.expectInvalid(key: "resample") { try Self.transformers(#"{"resample": 9}"#) }
        Self.expectInvalid(key: "resample") { try Self.transformers(#"{"resample": "bicubic"}"#) }
        Self.expectInvalid(key: "image_mean") { try Self.transformers(#"{"image_mean": [0.5, 0.5]}"#) }
        Self.expectInvalid(key: "image_std") { try Self.transformers(#"{"image_std": [0.5, 0, 0.5]}"#) }
        Self.expectInvalid(key: "do_resize") { try Self.transformers(#"{"do_resize": "yes"}"#) }
        Self.expectInvalid(key: "do_resize") { try Self.transformers(#"{"do_resize": 1}"#) }
        Self.expectInvalid(key: "rescale_factor") { try Self.transformers(#"{"rescale_factor": -1}"#) }
        Self.expectInvalid(key: "image_processor_type") {
            try Self.transformers(#"{"image_processor_type": "ViTImageProcessor"}"#)
        }
        Self.expectInvalid(key: "use_square_size") {
            try Self.transformers(#"{"size": {"height": 2, "width": 3}, "use_square_size": true}"#)
        }
        Self.expectInvalid(key: "<root>") { try Self.transformers("[1, 2]") }
        Self.expectInvalid(key: "<root>") { try Self.transformers("{not json") }
    }

    @Test func openCLIPConfig() throws {
        let c = try Self.openCLIP("""
            {"model_cfg": {"embed_dim": 512, "vision_cfg": {"image_size": 240, "layers": 12},
                           "text_cfg": {"context_length": 77}},
             "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "interpolation": "bilinear",
                                "resize_mode": "shortest"}}
            """)
        #expect(c.resize == .shortestEdge(240))
        #expect(c.filter == .bilinear)
        #expect(c.cropSize?.height == 240)
        #expect(c.cropConvention == .torchvision)
        #expect(c.rescaling == .divide(255))
        #expect(c.normalization?.mean == [0.5, 0.5, 0.5])

        let defaults = try Self.openCLIP(#"{"model_cfg": {"vision_cfg": {"image_size": 224}}}"#)
        #expect(defaults.resize == .shortestEdge(224))
        #expect(defaults.normalization == .openAI)
        let squash = try Self.openCLIP(#"{"model_cfg": {"vision_cfg": {"image_size": [256, 128]}}, "preprocess_cfg": {"resize_mode": "squash"}}"#)
        #expect(squash.resize == .exact(height: 256, width: 128))
        #expect(squash.cropSize == nil)
        let longest = try Self.openCLIP(#"{"model_cfg": {"vision_cfg": {"image_size": 64}}, "preprocess_cfg": {"resize_mode": "longest", "fill_color": 128}}"#)
        #expect(longest.resize == .keepingAspectRatio(height: 64, width: 64, fitsInside: true))
        #expect(longest.paddingValue == 128)
        let rectangle = try Self.openCLIP(#"{"model_cfg": {"vision_cfg": {"image_size": [64, 96]}}}"#)
        #expect(rectangle.resize == .keepingAspectRatio(height: 64, width: 96, fitsInside: false))

        Self.expectInvalid(key: "preprocess_cfg.resize_mode") {
            try Self.openCLIP(#"{"preprocess_cfg": {"resize_mode": "shortest_edge"}}"#)
        }
        Self.expectInvalid(key: "preprocess_cfg.interpolation") {
            try Self.openCLIP(#"{"preprocess_cfg": {"interpolation": "nearest"}}"#)
        }
        Self.expectInvalid(key: "preprocess_cfg.mode") { try Self.openCLIP(#"{"preprocess_cfg": {"mode": "L"}}"#) }
        Self.expectInvalid(key: "preprocess_cfg.fill_color") { try Self.openCLIP(#"{"preprocess_cfg": {"fill_color": 300}}"#) }
        Self.expectInvalid(key: "model_cfg.vision_cfg.image_size") {
            try Self.openCLIP(#"{"model_cfg": {"vision_cfg": {"image_size": "big"}}}"#)
        }
    }

    @Test func resizedSizesMatchTransformersAndOpenCLIP() {
        let clip = PreprocessingConfiguration.openAI
        // transformers get_resize_output_image_size(default_to_square=False); (height, width) there.
        let expected: [((Int, Int), (Int, Int))] = [
            ((640, 480), (298, 224)), ((1, 1), (224, 224)), ((13, 400), (224, 6892)),
            ((1000, 37), (6054, 224)), ((224, 224), (224, 224)), ((225, 224), (225, 224)), ((300, 201), (334, 224)),
        ]
        for ((w, h), (ew, eh)) in expected {
            let size = clip.resizedSize(width: w, height: h)
            #expect(size.width == ew && size.height == eh, "\(w)x\(h)")
        }
        var capped = clip
        capped.resize = .shortestEdgeLimited(shortest: 64, longest: 80)
        // transformers get_size_with_aspect_ratio.
        for ((w, h), (ew, eh)) in [((1000, 37), (80, 3)), ((13, 400), (3, 80)), ((640, 480), (80, 60)),
                                   ((100, 81), (79, 64)), ((81, 100), (64, 79))] {
            let size = capped.resizedSize(width: w, height: h)
            #expect(size.width == ew && size.height == eh, "\(w)x\(h)")
        }
        var keep = clip
        // open_clip ResizeKeepRatio.get_params for a (64, 96) target.
        for ((w, h), fits, (ew, eh)) in [((1000, 37), false, (1730, 64)), ((1000, 37), true, (96, 4)),
                                         ((360, 480), false, (96, 128)), ((360, 480), true, (48, 64)),
                                         ((201, 300), false, (96, 143)), ((201, 300), true, (43, 64))] {
            keep.resize = .keepingAspectRatio(height: 64, width: 96, fitsInside: fits)
            let size = keep.resizedSize(width: w, height: h)
            #expect(size.width == ew && size.height == eh, "\(w)x\(h) \(fits)")
        }
    }

    @Test func cropWindowConventions() {
        var c = PreprocessingConfiguration.openAI
        // Cropping: transformers rounds the offset down, torchvision rounds half to even.
        #expect(c.cropWindow(extent: 95, crop: 64).source == 15..<79)
        c.cropConvention = .torchvision
        #expect(c.cropWindow(extent: 95, crop: 64).source == 16..<80)
        #expect(c.cropWindow(extent: 93, crop: 64).source == 14..<78)
        // Padding: transformers places the image at ceil(diff / 2), torchvision at floor(diff / 2).
        #expect(c.cropWindow(extent: 3, crop: 64).destination == 30)
        c.cropConvention = .transformers
        #expect(c.cropWindow(extent: 3, crop: 64).destination == 31)
        #expect(c.cropWindow(extent: 3, crop: 64).source == 0..<3)
    }

    @Test func programmaticConfigurationValidates() throws {
        #expect(throws: ImageProcessingError.self) {
            try PreprocessingConfiguration(resize: .shortestEdge(0), cropSize: (224, 224))
        }
        #expect(throws: ImageProcessingError.self) {
            try PreprocessingConfiguration.Normalization(mean: [0.5], std: [1, 1, 1])
        }
        let c = try PreprocessingConfiguration(resize: .exact(height: 32, width: 48), cropSize: nil)
        #expect(c.outputSize(width: 500, height: 100) == (32, 48))
    }
}
