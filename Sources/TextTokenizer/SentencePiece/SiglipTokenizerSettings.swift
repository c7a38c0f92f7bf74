import CLIPSupport
import Foundation

/// The `tokenizer_config.json` keys ``SiglipTokenizer`` reads; other keys are ignored.
public struct SiglipTokenizerSettings: Sendable, Equatable {
    /// A special token: its text and whether the whitespace beside it is removed.
    public struct SpecialToken: Sendable, Equatable {
        /// The token's text (`</s>`).
        public var content: String
        /// Whether whitespace before the token is dropped (`lstrip`).
        public var stripsLeft: Bool
        /// Whether whitespace after the token is dropped (`rstrip`).
        public var stripsRight: Bool

        /// A special token; SiglipTokenizer gives its eos, unk and pad tokens both strips.
        public init(_ content: String, stripsLeft: Bool = true, stripsRight: Bool = true) {
            self.content = content
            self.stripsLeft = stripsLeft
            self.stripsRight = stripsRight
        }
    }

    /// `model_max_length`: the default context length (64 for SigLIP).
    public var modelMaxLength: Int = 64
    /// `do_lower_case`: whether text is lowercased before encoding (default true).
    public var lowercases: Bool = true
    /// `eos_token` (default `</s>`), appended to every tokenized text.
    public var endOfSequenceToken = SpecialToken("</s>")
    /// `unk_token` (default `<unk>`).
    public var unknownToken = SpecialToken("<unk>")
    /// `pad_token` (default `</s>`: SigLIP pads with the end-of-sequence id).
    public var paddingToken = SpecialToken("</s>")
    /// `additional_special_tokens` (default none).
    public var additionalSpecialTokens: [SpecialToken] = []
    /// `clean_up_tokenization_spaces`: whether decoding removes spaces before `.,!?` and some
    /// contractions (transformers' default false; SigLIP's hub config says true).
    public var cleansUpTokenizationSpaces = false
    /// `legacy` (default true); false makes transformers turn off the model's dummy prefix.
    public var legacy = true

    /// The defaults of transformers' `SiglipTokenizer`.
    public init() {}

    /// Decodes the settings from `tokenizer_config.json` bytes.
    /// - Parameters:
    ///   - data: The JSON text (an object).
    ///   - path: The file's name or path, for error messages only.
    /// - Throws: `TextTokenizerError.invalidSettings` naming the key of a value of the wrong type
    ///   or range (or `$` for text that is not a JSON object); `TextTokenizerError.unsupportedTokenizer`
    ///   when `tokenizer_class` names another tokenizer or `sp_model_kwargs` asks for sampling.
    public init(data: Data, path: String) throws {
        let root: JSONValue
        do {
            root = try data.withUnsafeBytes { buffer throws(JSONSyntaxError) in try JSONValue(parsing: buffer) }
        } catch {
            throw TextTokenizerError.invalidSettings(path: path, key: "$", reason: "not JSON: \(error)")
        }
        guard case let .object(object) = root else {
            throw TextTokenizerError.invalidSettings(path: path, key: "$", reason: "expected a JSON object")
        }
        func invalid(_ key: String, _ reason: String) -> TextTokenizerError {
            .invalidSettings(path: path, key: key, reason: reason)
        }
        func bool(_ key: String) throws -> Bool? {
            guard let value = object[key], value != .null else { return nil }
            guard case let .bool(flag) = value else { throw invalid(key, "expected true or false, found \(value.summary)") }
            return flag
        }
        func token(_ value: JSONValue, key: String) throws -> SpecialToken {
            switch value {
            case let .string(text):
                return SpecialToken(text)
            case let .object(fields):
                guard case let .string(content)? = fields["content"] else {
                    throw invalid(key + ".content", "expected a string")
                }
                var token = SpecialToken(content)
                for (field, keyPath) in [("lstrip", \SpecialToken.stripsLeft), ("rstrip", \SpecialToken.stripsRight)] {
                    guard let flag = fields[field], flag != .null else { continue }
                    guard case let .bool(value) = flag else { throw invalid("\(key).\(field)", "expected true or false") }
                    token[keyPath: keyPath] = value
                }
                if case .bool(true)? = fields["single_word"] {
                    throw TextTokenizerError.unsupportedTokenizer(path: path, reason: "\(key) has single_word true")
                }
                return token
            default:
                throw invalid(key, "expected a string or a token object, found \(value.summary)")
            }
        }

        if let value = object["tokenizer_class"], value != .null {
            guard case let .string(name) = value else { throw invalid("tokenizer_class", "expected a string") }
            guard name == "SiglipTokenizer" || name == "SiglipTokenizerFast" else {
                throw TextTokenizerError.unsupportedTokenizer(path: path, reason: "tokenizer_class \(name) is not SiglipTokenizer")
            }
        }
        if let value = object["model_max_length"], value != .null {
            guard let length = value.intValue, length >= 1 else {
                throw invalid("model_max_length", "expected a positive integer below 10^15, found \(value.summary)")
            }
            modelMaxLength = length
        }
        if let flag = try bool("do_lower_case") { lowercases = flag }
        if let flag = try bool("clean_up_tokenization_spaces") { cleansUpTokenizationSpaces = flag }
        if let flag = try bool("legacy") { legacy = flag }
        if let value = object["eos_token"], value != .null { endOfSequenceToken = try token(value, key: "eos_token") }
        if let value = object["unk_token"], value != .null { unknownToken = try token(value, key: "unk_token") }
        if let value = object["pad_token"], value != .null { paddingToken = try token(value, key: "pad_token") }
        if let value = object["additional_special_tokens"], value != .null {
            guard case let .array(items) = value else {
                throw invalid("additional_special_tokens", "expected an array, found \(value.summary)")
            }
            additionalSpecialTokens = try items.enumerated().map { index, item in
                var parsed = try token(item, key: "additional_special_tokens[\(index)]")
                if case .string = item {
                    parsed.stripsLeft = false
                    parsed.stripsRight = false
                }
                return parsed
            }
        }
        if let value = object["sp_model_kwargs"], value != .null {
            guard case let .object(kwargs) = value else { throw invalid("sp_model_kwargs", "expected an object") }
            if case .bool(true)? = kwargs["enable_sampling"] {
                throw TextTokenizerError.unsupportedTokenizer(path: path, reason: "sp_model_kwargs.enable_sampling (subword sampling)")
            }
        }
    }
}
