import Foundation
import Testing
@testable import TextTokenizer

@Suite struct SentencePieceSettingsTests {
    func settings(_ json: String) throws -> SiglipTokenizerSettings {
        try SiglipTokenizerSettings(data: Data(json.utf8), path: "tokenizer_config.json")
    }

    @Test func fixtureConfigDecodes() throws {
        let data = try Data(contentsOf: try siglipFixtureURL("tokenizer_config.json"))
        let decoded = try SiglipTokenizerSettings(data: data, path: "tokenizer_config.json")
        #expect(decoded.modelMaxLength == 64 && decoded.lowercases && decoded.cleansUpTokenizationSpaces && decoded.legacy)
        #expect(decoded.endOfSequenceToken == .init("</s>") && decoded.paddingToken == .init("</s>"))
        #expect(decoded.unknownToken == .init("<unk>") && decoded.additionalSpecialTokens.isEmpty)
    }

    @Test func defaultsAndOverrides() throws {
        #expect(try settings("{}") == SiglipTokenizerSettings())
        let custom = try settings("""
            {"model_max_length": 16, "do_lower_case": false, "eos_token": {"content": "</s>", "lstrip": false},
             "pad_token": null, "additional_special_tokens": ["<pad>"], "legacy": false, "unrelated": [1, {"x": 2}],
             "tokenizer_class": "SiglipTokenizer", "sp_model_kwargs": {}}
            """)
        #expect(custom.modelMaxLength == 16 && !custom.lowercases && !custom.legacy)
        #expect(custom.endOfSequenceToken == .init("</s>", stripsLeft: false, stripsRight: true))
        #expect(custom.paddingToken == .init("</s>"))
        #expect(custom.additionalSpecialTokens == [.init("<pad>", stripsLeft: false, stripsRight: false)])
    }

    @Test func wrongTypesNameTheKey() {
        let cases: [(String, String)] = [
            (#"{"model_max_length": "64"}"#, "model_max_length"),
            (#"{"model_max_length": 0}"#, "model_max_length"),
            (#"{"model_max_length": 1e30}"#, "model_max_length"),
            (#"{"do_lower_case": 1}"#, "do_lower_case"),
            (#"{"clean_up_tokenization_spaces": "yes"}"#, "clean_up_tokenization_spaces"),
            (#"{"eos_token": 1}"#, "eos_token"),
            (#"{"unk_token": {"lstrip": true}}"#, "unk_token.content"),
            (#"{"pad_token": {"content": "</s>", "rstrip": "no"}}"#, "pad_token.rstrip"),
            (#"{"additional_special_tokens": "<x>"}"#, "additional_special_tokens"),
            (#"{"additional_special_tokens": ["<x>", 2]}"#, "additional_special_tokens[1]"),
            (#"{"tokenizer_class": 3}"#, "tokenizer_class"),
            (#"[1]"#, "$"),
            (#"{"a": }"#, "$"),
        ]
        for (json, key) in cases {
            #expect {
                try settings(json)
            } throws: { error in
                guard case let TextTokenizerError.invalidSettings(path, errorKey, _) = error else { return false }
                return path == "tokenizer_config.json" && errorKey == key
            }
        }
    }

    @Test func otherTokenizersAreUnsupported() {
        #expect(throws: TextTokenizerError.unsupportedTokenizer(
            path: "tokenizer_config.json", reason: "tokenizer_class T5Tokenizer is not SiglipTokenizer")) {
            try settings(#"{"tokenizer_class": "T5Tokenizer"}"#)
        }
        #expect(throws: TextTokenizerError.unsupportedTokenizer(
            path: "tokenizer_config.json", reason: "sp_model_kwargs.enable_sampling (subword sampling)")) {
            try settings(#"{"sp_model_kwargs": {"enable_sampling": true}}"#)
        }
    }

    @Test func settingsChangeTokenization() throws {
        let model = try siglipModel()
        var upper = SiglipTokenizerSettings()
        upper.lowercases = false
        let cased = try SiglipTokenizer(model: model, settings: upper)
        let lower = try SiglipTokenizer(model: model)
        #expect(lower.encode("HELLO") == lower.encode("hello"))
        #expect(cased.encode("HELLO") != lower.encode("HELLO"))
        var short = SiglipTokenizerSettings()
        short.modelMaxLength = 5
        #expect(try SiglipTokenizer(model: model, settings: short).tokenize("a photo of a cat on a mat").count == 5)
        #expect(try SiglipTokenizer(model: model, settings: short, contextLength: 9).contextLength == 9)
        #expect(throws: TextTokenizerError.invalidContextLength(0)) { try SiglipTokenizer(model: model, contextLength: 0) }
        // A tokenizer_config.json asking for rows of 10^14 ids is refused, not padded to (found
        // while listing the limits for the README's security section).
        let huge = try settings(#"{"model_max_length": 100000000000000}"#)
        #expect(throws: TextTokenizerError.invalidContextLength(100_000_000_000_000)) { try SiglipTokenizer(model: model, settings: huge) }
        #expect(throws: TextTokenizerError.invalidContextLength(65_537)) { try SiglipTokenizer(model: model, contextLength: 65_537) }
        #expect(try SiglipTokenizer(model: model, contextLength: 65_536).contextLength == 65_536)
        #expect("\(TextTokenizerError.invalidContextLength(65_537))".contains("limit of 65536"))
        var missing = SiglipTokenizerSettings()
        missing.additionalSpecialTokens = [.init("<not-a-piece>")]
        #expect(throws: TextTokenizerError.self) { try SiglipTokenizer(model: model, settings: missing) }
        // legacy false turns off the dummy prefix, as transformers rewrites the model then.
        var modern = SiglipTokenizerSettings()
        modern.legacy = false
        let noPrefix = try SiglipTokenizer(model: model, settings: modern)
        #expect(!noPrefix.model.normalizerSpec.addDummyPrefix)
        #expect(noPrefix.model.normalize("a b") == "a\u{2581}b")
    }
}
