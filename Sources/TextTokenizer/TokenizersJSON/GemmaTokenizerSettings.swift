import CLIPSupport
import Foundation

/// The settings of a Gemma tokenizer that `tokenizer_config.json` holds (the keys
/// ``GemmaTokenizer`` uses; a Hub file's other keys are ignored).
public struct GemmaTokenizerSettings: Sendable, Equatable {
    /// Which end of the ids padding (or truncation) applies to.
    public enum Side: String, Sendable, Equatable {
        /// Before the ids.
        case left
        /// After the ids.
        case right
    }

    /// `model_max_length`, when it is an integer below 2^31 (Hub files write 10^30 for "none").
    public var modelMaxLength: Int?
    /// `add_bos_token`. transformers 5.24 ignores it when a `tokenizer.json` exists (its
    /// post-processor decides), and so does ``GemmaTokenizer``.
    public var addBOSToken: Bool?
    /// `add_eos_token`; ignored like ``addBOSToken``.
    public var addEOSToken: Bool?
    /// `bos_token` (default `<bos>`).
    public var bosToken: String?
    /// `eos_token` (default `<eos>`).
    public var eosToken: String?
    /// `pad_token` (default `<pad>`).
    public var padToken: String?
    /// `unk_token` (default `<unk>`).
    public var unknownToken: String?
    /// `mask_token` (default `<mask>`).
    public var maskToken: String?
    /// `padding_side`; `nil` means transformers' `GemmaTokenizer` default, left.
    public var paddingSide: Side?
    /// `truncation_side`; `nil` means right.
    public var truncationSide: Side?
    /// `added_tokens_decoder`, ordered by id: the added tokens transformers gives the tokenizer.
    public var addedTokens: [TokenizerAddedToken]
    /// `tokenizer_class` (e.g. `GemmaTokenizer`), for the caller's checks.
    public var tokenizerClass: String?

    /// Settings with every key absent: transformers' `GemmaTokenizer` defaults.
    public init() {
        bosToken = "<bos>"
        eosToken = "<eos>"
        padToken = "<pad>"
        unknownToken = "<unk>"
        maskToken = "<mask>"
        addedTokens = []
    }

    /// Decodes the JSON object of `data` (a `tokenizer_config.json` at `path`, for messages).
    /// - Throws: `TextTokenizerError.invalidSettings` naming the key for malformed JSON or a value
    ///   of the wrong type.
    public init(data: Data, path: String) throws(TextTokenizerError) {
        self.init()
        let parsed = data.withUnsafeBytes { raw in Result { () throws(JSONSyntaxError) in try JSONValue(parsing: raw) } }
        let root: JSONValue
        switch parsed {
        case .success(let value): root = value
        case .failure(let error):
            throw .invalidSettings(path: path, key: "(root)", reason: "\(error.message) at byte \(error.offset)")
        }
        guard case let .object(members) = root else {
            throw .invalidSettings(path: path, key: "(root)", reason: "expected an object, found \(root.summary)")
        }
        func fail(_ key: String, _ reason: String) -> TextTokenizerError {
            .invalidSettings(path: path, key: key, reason: reason)
        }
        func bool(_ key: String) throws(TextTokenizerError) -> Bool? {
            switch members[key] {
            case nil, .null?: return nil
            case let .bool(value)?: return value
            case let other?: throw fail(key, "expected true or false, found \(other.summary)")
            }
        }
        func token(_ key: String, _ fallback: String?) throws(TextTokenizerError) -> String? {
            switch members[key] {
            case nil: return fallback
            case .null?: return nil
            case let .string(text)?: return text
            case let .object(object)?:
                guard case let .string(text)? = object["content"] else { throw fail(key + ".content", "expected a string") }
                return text
            case let other?: throw fail(key, "expected a string, found \(other.summary)")
            }
        }
        func side(_ key: String) throws(TextTokenizerError) -> Side? {
            switch members[key] {
            case nil, .null?: return nil
            case let .string(text)?:
                guard let side = Side(rawValue: text) else { throw fail(key, "expected \"left\" or \"right\", found \"\(text)\"") }
                return side
            case let other?: throw fail(key, "expected \"left\" or \"right\", found \(other.summary)")
            }
        }
        switch members["model_max_length"] {
        case nil, .null?: modelMaxLength = nil
        case let .number(value)?:
            guard value >= 0, value.rounded() == value else { throw fail("model_max_length", "expected a non-negative integer") }
            modelMaxLength = value < Double(Int32.max) ? Int(value) : nil
        case let other?: throw fail("model_max_length", "expected an integer, found \(other.summary)")
        }
        addBOSToken = try bool("add_bos_token")
        addEOSToken = try bool("add_eos_token")
        bosToken = try token("bos_token", "<bos>")
        eosToken = try token("eos_token", "<eos>")
        padToken = try token("pad_token", "<pad>")
        unknownToken = try token("unk_token", "<unk>")
        maskToken = try token("mask_token", "<mask>")
        paddingSide = try side("padding_side")
        truncationSide = try side("truncation_side")
        switch members["tokenizer_class"] {
        case nil, .null?: tokenizerClass = nil
        case let .string(text)?: tokenizerClass = text
        case let other?: throw fail("tokenizer_class", "expected a string, found \(other.summary)")
        }
        switch members["added_tokens_decoder"] {
        case nil, .null?: break
        case let .object(table)?:
            var entries: [(Int, TokenizerAddedToken)] = []
            for (idText, value) in table {
                let key = "added_tokens_decoder.\(idText)"
                guard let id = Int(idText), id >= 0 else { throw fail(key, "expected an integer id as the key") }
                guard case let .object(entry) = value else { throw fail(key, "expected an object, found \(value.summary)") }
                guard case let .string(content)? = entry["content"] else { throw fail(key + ".content", "expected a string") }
                func flag(_ name: String, _ fallback: Bool) throws(TextTokenizerError) -> Bool {
                    switch entry[name] {
                    case nil, .null?: return fallback
                    case let .bool(value)?: return value
                    case let other?: throw fail(key + "." + name, "expected true or false, found \(other.summary)")
                    }
                }
                let special = try flag("special", false)
                entries.append((id, TokenizerAddedToken(
                    content: content, special: special, lstrip: try flag("lstrip", false), rstrip: try flag("rstrip", false),
                    normalized: try flag("normalized", !special), singleWord: try flag("single_word", false))))
            }
            addedTokens = entries.sorted { $0.0 < $1.0 }.map(\.1)
        case let other?:
            throw fail("added_tokens_decoder", "expected an object, found \(other.summary)")
        }
    }
}
