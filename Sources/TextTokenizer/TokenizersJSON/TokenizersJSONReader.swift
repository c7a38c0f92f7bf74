import CLIPSupport

/// A token that a `tokenizers` tokenizer matches in the text before normalizing and encoding it
/// (an entry of `tokenizer.json`'s `added_tokens` or `tokenizer_config.json`'s
/// `added_tokens_decoder`).
public struct TokenizerAddedToken: Sendable, Equatable {
    /// The token's text.
    public var content: String
    /// Whether it is a special token (`<bos>`, `<eos>`, …).
    public var special: Bool
    /// Whether whitespace before it is taken into the match (and dropped).
    public var lstrip: Bool
    /// Whether whitespace after it is taken into the match (and dropped).
    public var rstrip: Bool
    /// Whether it is matched in the normalized text instead of the raw text.
    public var normalized: Bool
    /// Whether it matches only as a whole word (not supported: such a token is rejected).
    public var singleWord: Bool

    /// A token with the given flags (by default those of `tokenizers`' special tokens: not
    /// normalized, no stripping).
    public init(content: String, special: Bool = true, lstrip: Bool = false, rstrip: Bool = false,
                normalized: Bool = false, singleWord: Bool = false) {
        self.content = content
        self.special = special
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.singleWord = singleWord
    }
}

/// What a `tokenizers` JSON file holds, in this module's terms.
struct TokenizersJSONDefinition: Sendable {
    /// The BPE model.
    var model: BPEModel
    /// `added_tokens`, with their ids.
    var addedTokens: [(token: TokenizerAddedToken, id: Int)]
    /// `normalizer` (nil for null or when not interpreted).
    var normalizer: TokenizerNormalizer?
    /// `pre_tokenizer` (nil for null or when not interpreted).
    var preTokenizer: TokenizerPreTokenizer?
    /// `post_processor` (nil for null).
    var postProcessor: TokenizerTemplate?
    /// `decoder` (nil for null or when not interpreted).
    var decoder: TokenizerDecoder?
}

/// Reads a Hugging Face `tokenizers` JSON file (`tokenizer.json`) with a BPE model.
///
/// The large members (`model.vocab`, `model.merges`) are read in one pass with ``JSONScanner``;
/// the small pipeline components are parsed into ``JSONValue`` trees and checked key by key. Every
/// error names the dotted key path at fault (`model.merges[12]`, `normalizer.normalizers[0].type`).
/// Components this module does not implement are ``TextTokenizerError/unsupportedTokenizer(path:reason:)``.
struct TokenizersJSONReader {
    private var scanner: JSONScanner
    private let path: String
    private var keyPath: [String] = []
    private var depth = 0
    private static let maximumDepth = 64

    /// Reads `bytes` (the file at `path`, for messages). With `interpretsPipeline` false the
    /// `normalizer`, `pre_tokenizer` and `decoder` are only checked to be JSON (transformers'
    /// `GemmaTokenizer` replaces them with its own).
    static func read(_ bytes: [UInt8], path: String, interpretsPipeline: Bool) throws(TextTokenizerError)
        -> TokenizersJSONDefinition {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(TextTokenizerError) in
                var reader = TokenizersJSONReader(scanner: JSONScanner(bytes: raw), path: path)
                return try reader.readFile(interpretsPipeline: interpretsPipeline)
            }
        }
        return try result.get()
    }

    private init(scanner: JSONScanner, path: String) {
        self.scanner = scanner
        self.path = path
    }

    // MARK: - Errors

    private var currentKey: String {
        var text = ""
        for component in keyPath {
            if component.hasPrefix("[") || text.isEmpty { text += component } else { text += "." + component }
        }
        return text.isEmpty ? "(root)" : text
    }

    private func malformed(_ reason: String, key: String? = nil) -> TextTokenizerError {
        .malformedTokenizerFile(path: path, key: key ?? currentKey, reason: reason)
    }

    private func unsupported(_ reason: String) -> TextTokenizerError {
        .unsupportedTokenizer(path: path, reason: "\(reason) (at \(currentKey))")
    }

    private func syntax(_ error: JSONSyntaxError) -> TextTokenizerError {
        malformed("\(error.message) at byte \(error.offset)")
    }

    // MARK: - Walking

    private mutating func step<T>(_ body: (inout JSONScanner) throws(JSONSyntaxError) -> T) throws(TextTokenizerError) -> T {
        do {
            return try body(&scanner)
        } catch {
            throw syntax(error)
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(TextTokenizerError) {
        guard scanner.peek() == byte else {
            throw malformed("expected \(what), found \(scanner.describeNextValue()) at byte \(scanner.position)")
        }
        scanner.position += 1
    }

    /// Reads an object, calling `member` for each key with the scanner at its value.
    private mutating func readObject(
        _ member: (inout TokenizersJSONReader, String) throws(TextTokenizerError) -> Void
    ) throws(TextTokenizerError) {
        try expect(UInt8(ascii: "{"), "an object")
        guard depth < Self.maximumDepth else { throw malformed("nesting deeper than \(Self.maximumDepth) levels") }
        depth += 1
        defer { depth -= 1 }
        if scanner.peek() == UInt8(ascii: "}") { scanner.position += 1; return }
        var seen = Set<[UInt8]>()
        while true {
            let key = try step { (s) throws(JSONSyntaxError) in try s.readString() }
            keyPath.append(key)
            guard seen.insert(Array(key.utf8)).inserted else { throw malformed("duplicate key \"\(key)\"") }
            try expect(UInt8(ascii: ":"), "':' after a key")
            try member(&self, key)
            keyPath.removeLast()
            switch scanner.peek() {
            case UInt8(ascii: ","): scanner.position += 1
            case UInt8(ascii: "}"): scanner.position += 1; return
            default: throw malformed("expected ',' or '}', found \(scanner.describeNextValue()) at byte \(scanner.position)")
            }
        }
    }

    /// Reads an array, calling `element` for each index with the scanner at the element.
    private mutating func readArray(
        _ element: (inout TokenizersJSONReader, Int) throws(TextTokenizerError) -> Void
    ) throws(TextTokenizerError) {
        try expect(UInt8(ascii: "["), "an array")
        guard depth < Self.maximumDepth else { throw malformed("nesting deeper than \(Self.maximumDepth) levels") }
        depth += 1
        defer { depth -= 1 }
        if scanner.peek() == UInt8(ascii: "]") { scanner.position += 1; return }
        var index = 0
        while true {
            keyPath.append("[\(index)]")
            try element(&self, index)
            keyPath.removeLast()
            index += 1
            switch scanner.peek() {
            case UInt8(ascii: ","): scanner.position += 1
            case UInt8(ascii: "]"): scanner.position += 1; return
            default: throw malformed("expected ',' or ']', found \(scanner.describeNextValue()) at byte \(scanner.position)")
            }
        }
    }

    private mutating func isNull() throws(TextTokenizerError) -> Bool {
        guard scanner.peek() == UInt8(ascii: "n") else { return false }
        try step { (s) throws(JSONSyntaxError) in try s.readLiteral("null") }
        return true
    }

    private mutating func readString() throws(TextTokenizerError) -> String {
        guard scanner.peek() == UInt8(ascii: "\"") else { throw malformed("expected a string, found \(scanner.describeNextValue())") }
        return try step { (s) throws(JSONSyntaxError) in try s.readString() }
    }

    private mutating func readInteger(below limit: Int) throws(TextTokenizerError) -> Int {
        let next = scanner.peek()
        guard next == UInt8(ascii: "-") || (next.map { (0x30...0x39).contains($0) } ?? false) else {
            throw malformed("expected an integer, found \(scanner.describeNextValue())")
        }
        let number = try step { (s) throws(JSONSyntaxError) in try s.readNumber() }
        guard number.isInteger, let value = number.integerValue else {
            throw malformed("expected an integer, found \(scanner.text(number.byteRange))")
        }
        guard value >= 0 && value < limit else { throw malformed("id \(value) is outside 0..<\(limit)") }
        return value
    }

    /// Validates and skips any value.
    private mutating func skipValue() throws(TextTokenizerError) {
        switch scanner.peek() {
        case UInt8(ascii: "{"): try readObject { (r, _) throws(TextTokenizerError) in try r.skipValue() }
        case UInt8(ascii: "["): try readArray { (r, _) throws(TextTokenizerError) in try r.skipValue() }
        case UInt8(ascii: "\""): _ = try readString()
        case UInt8(ascii: "t"): try step { (s) throws(JSONSyntaxError) in try s.readLiteral("true") }
        case UInt8(ascii: "f"): try step { (s) throws(JSONSyntaxError) in try s.readLiteral("false") }
        case UInt8(ascii: "n"): try step { (s) throws(JSONSyntaxError) in try s.readLiteral("null") }
        case nil: throw malformed("unexpected end of the JSON text")
        default: _ = try step { (s) throws(JSONSyntaxError) in try s.readNumber() }
        }
    }

    /// Reads a (small) value as a tree.
    private mutating func readTree() throws(TextTokenizerError) -> JSONValue {
        _ = scanner.peek()
        let start = scanner.position
        try skipValue()
        let slice = UnsafeRawBufferPointer(rebasing: scanner.bytes[start..<scanner.position])
        do {
            return try JSONValue(parsing: slice)
        } catch {
            throw malformed("\(error.message) at byte \(start + error.offset)")
        }
    }

    // MARK: - The file

    private struct RawModel {
        var vocabulary: [[UInt32]] = []
        var ids: [[UInt32]: Int32] = [:]
        var hasVocabulary = false
        var merges: [(String, String)] = []
        var hasMerges = false
        var unknownToken: String?
        var fuseUnknown = false
        var byteFallback = false
        var ignoreMerges = false
    }

    private mutating func readFile(interpretsPipeline: Bool) throws(TextTokenizerError) -> TokenizersJSONDefinition {
        if scanner.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { scanner.position = 3 }
        var model: RawModel?
        var addedTrees: JSONValue = .array([])
        var normalizer: TokenizerNormalizer?
        var preTokenizer: TokenizerPreTokenizer?
        var decoder: TokenizerDecoder?
        var postProcessorTree: JSONValue = .null
        try readObject { (r, key) throws(TextTokenizerError) in
            switch key {
            case "model":
                model = try r.readModel()
            case "added_tokens":
                addedTrees = try r.readTree()
            case "normalizer":
                let tree = try r.readTree()
                if interpretsPipeline { normalizer = try r.normalizer(tree) }
            case "pre_tokenizer":
                let tree = try r.readTree()
                if interpretsPipeline { preTokenizer = try r.preTokenizer(tree) }
            case "decoder":
                let tree = try r.readTree()
                if interpretsPipeline { decoder = try r.decoder(tree) }
            case "post_processor":
                postProcessorTree = try r.readTree()
            default:
                // version, truncation, padding: transformers passes explicit arguments that override them.
                try r.skipValue()
            }
        }
        guard scanner.peek() == nil else { throw malformed("unexpected content after the JSON object at byte \(scanner.position)") }
        guard let raw = model else { throw malformed("the file has no model", key: "model") }
        keyPath = ["model"]
        guard raw.hasVocabulary else { throw malformed("the model has no vocab", key: "model.vocab") }
        var merges: [UInt64: (rank: Int32, merged: Int32)] = [:]
        merges.reserveCapacity(raw.merges.count)
        for (rank, (first, second)) in raw.merges.enumerated() {
            let key = "model.merges[\(rank)]"
            let a = TextScalars.of(first), b = TextScalars.of(second)
            guard let left = raw.ids[a] else { throw malformed("merge names \"\(first)\", which is not in the vocab", key: key) }
            guard let right = raw.ids[b] else { throw malformed("merge names \"\(second)\", which is not in the vocab", key: key) }
            guard let merged = raw.ids[a + b] else {
                throw malformed("the merge of \"\(first)\" and \"\(second)\" is not in the vocab", key: key)
            }
            merges[UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))] = (Int32(rank), merged)
        }
        var unknownID: Int32?
        if let unknown = raw.unknownToken {
            guard let id = raw.ids[TextScalars.of(unknown)] else {
                throw malformed("unk_token \"\(unknown)\" is not in the vocab", key: "model.unk_token")
            }
            unknownID = id
        }
        let bpe = BPEModel(tokens: raw.vocabulary, ids: raw.ids, merges: merges, unknownID: unknownID,
                           fuseUnknown: raw.fuseUnknown, byteFallback: raw.byteFallback, ignoreMerges: raw.ignoreMerges)
        keyPath = ["added_tokens"]
        let added = try addedTokens(addedTrees, vocabularySize: raw.vocabulary.count, ids: raw.ids)
        keyPath = ["post_processor"]
        let template = try self.template(postProcessorTree, idLimit: raw.vocabulary.count + added.count)
        keyPath = []
        return TokenizersJSONDefinition(model: bpe, addedTokens: added, normalizer: normalizer, preTokenizer: preTokenizer,
                                        postProcessor: template, decoder: decoder)
    }

    private mutating func readModel() throws(TextTokenizerError) -> RawModel {
        var model = RawModel()
        var type: String?
        try readObject { (r, key) throws(TextTokenizerError) in
            switch key {
            case "type":
                type = try r.readString()
                guard type == "BPE" else { throw r.unsupported("model type \"\(type ?? "")\" (only BPE is implemented)") }
            case "vocab":
                try r.readVocabulary(into: &model)
            case "merges":
                model.hasMerges = true
                try r.readArray { (r, _) throws(TextTokenizerError) in model.merges.append(try r.readMerge()) }
            case "unk_token":
                model.unknownToken = try r.isNull() ? nil : try r.readString()
            case "fuse_unk":
                model.fuseUnknown = try r.readBool()
            case "byte_fallback":
                model.byteFallback = try r.readBool()
            case "ignore_merges":
                model.ignoreMerges = try r.readBool()
            case "dropout":
                let tree = try r.readTree()
                if tree != .null && tree != .number(0) { throw r.unsupported("BPE dropout") }
            case "continuing_subword_prefix", "end_of_word_suffix":
                let tree = try r.readTree()
                if tree != .null && tree != .string("") { throw r.unsupported("BPE \(key)") }
            default:
                try r.skipValue()
            }
        }
        if let type, type != "BPE" { throw unsupported("model type \(type)") }
        return model
    }

    private mutating func readBool() throws(TextTokenizerError) -> Bool {
        switch scanner.peek() {
        case UInt8(ascii: "t"): try step { (s) throws(JSONSyntaxError) in try s.readLiteral("true") }; return true
        case UInt8(ascii: "f"): try step { (s) throws(JSONSyntaxError) in try s.readLiteral("false") }; return false
        default: throw malformed("expected true or false, found \(scanner.describeNextValue())")
        }
    }

    /// `model.vocab`: token → id, the ids exactly 0..<count.
    private mutating func readVocabulary(into model: inout RawModel) throws(TextTokenizerError) {
        try expect(UInt8(ascii: "{"), "an object mapping tokens to ids")
        model.hasVocabulary = true
        var pairs: [([UInt32], Int)] = []
        pairs.reserveCapacity(min(scanner.bytes.count / 8, 1 << 20))
        let limit = Int(Int32.max)
        if scanner.peek() == UInt8(ascii: "}") {
            scanner.position += 1
        } else {
            while true {
                let token = try readString()
                try expect(UInt8(ascii: ":"), "':' after a token")
                keyPath.append(token)
                let id = try readInteger(below: limit)
                keyPath.removeLast()
                let scalars = TextScalars.of(token)
                guard model.ids.updateValue(Int32(id), forKey: scalars) == nil else {
                    throw malformed("token \"\(token)\" appears twice")
                }
                pairs.append((scalars, id))
                switch scanner.peek() {
                case UInt8(ascii: ","): scanner.position += 1
                case UInt8(ascii: "}"): scanner.position += 1
                default: throw malformed("expected ',' or '}', found \(scanner.describeNextValue()) at byte \(scanner.position)")
                }
                if scanner.bytes[scanner.position - 1] == UInt8(ascii: "}") { break }
            }
        }
        var tokens = [[UInt32]?](repeating: nil, count: pairs.count)
        for (token, id) in pairs {
            guard id < pairs.count else {
                throw malformed("id \(id) is outside 0..<\(pairs.count) (the vocab has \(pairs.count) tokens)")
            }
            guard tokens[id] == nil else { throw malformed("id \(id) is given to two tokens") }
            tokens[id] = token
        }
        model.vocabulary = tokens.map { $0 ?? [] }
    }

    /// One merge: `"a b"` or `["a", "b"]`.
    private mutating func readMerge() throws(TextTokenizerError) -> (String, String) {
        if scanner.peek() == UInt8(ascii: "[") {
            var parts: [String] = []
            try readArray { (r, _) throws(TextTokenizerError) in
                guard parts.count < 2 else { throw r.malformed("a merge has more than two tokens") }
                parts.append(try r.readString())
            }
            guard parts.count == 2 else { throw malformed("a merge needs two tokens, found \(parts.count)") }
            return (parts[0], parts[1])
        }
        let text = try readString()
        let parts = text.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw malformed("a merge needs two tokens separated by one space, found \"\(text)\"") }
        return (String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self))
    }

    // MARK: - Small components

    private func object(_ tree: JSONValue, _ what: String) throws(TextTokenizerError) -> [String: JSONValue] {
        guard case let .object(members) = tree else { throw malformed("expected \(what) object, found \(tree.summary)") }
        return members
    }

    private mutating func member(_ members: [String: JSONValue], _ key: String) throws(TextTokenizerError) -> JSONValue {
        guard let value = members[key] else { throw malformed("missing key \"\(key)\"", key: currentKey + "." + key) }
        return value
    }

    private mutating func string(_ members: [String: JSONValue], _ key: String) throws(TextTokenizerError) -> String {
        guard case let .string(text) = try member(members, key) else {
            throw malformed("expected a string", key: currentKey + "." + key)
        }
        return text
    }

    private mutating func bool(_ members: [String: JSONValue], _ key: String, default fallback: Bool? = nil) throws(TextTokenizerError) -> Bool {
        if fallback != nil && (members[key] == nil || members[key] == .null) { return fallback ?? false }
        guard case let .bool(value) = try member(members, key) else {
            throw malformed("expected true or false", key: currentKey + "." + key)
        }
        return value
    }

    private mutating func type(_ members: [String: JSONValue]) throws(TextTokenizerError) -> String {
        try string(members, "type")
    }

    /// A `pattern` that must be `{"String": "..."}` (a `Regex` pattern is not implemented).
    private mutating func literalPattern(_ members: [String: JSONValue]) throws(TextTokenizerError) -> [UInt32] {
        let pattern = try object(try member(members, "pattern"), "a pattern")
        if pattern["Regex"] != nil { throw unsupported("regular expression patterns") }
        guard pattern.count == 1, case let .string(text)? = pattern["String"] else {
            throw malformed("expected {\"String\": ...}", key: currentKey + ".pattern")
        }
        guard !text.isEmpty else { throw malformed("an empty pattern", key: currentKey + ".pattern.String") }
        return TextScalars.of(text)
    }

    private mutating func list(_ members: [String: JSONValue], _ key: String) throws(TextTokenizerError) -> [JSONValue] {
        guard case let .array(items) = try member(members, key) else { throw malformed("expected an array", key: currentKey + "." + key) }
        return items
    }

    private mutating func normalizer(_ tree: JSONValue) throws(TextTokenizerError) -> TokenizerNormalizer? {
        if tree == .null { return nil }
        let members = try object(tree, "a normalizer")
        let type = try type(members)
        switch type {
        case "Replace":
            return .replace(pattern: try literalPattern(members), content: TextScalars.of(try string(members, "content")))
        case "Prepend":
            return .prepend(TextScalars.of(try string(members, "prepend")))
        case "Lowercase":
            return .lowercase
        case "NFC":
            return .nfc
        case "Strip":
            return .strip(left: try bool(members, "strip_left"), right: try bool(members, "strip_right"))
        case "Sequence":
            var steps: [TokenizerNormalizer] = []
            for (index, item) in try list(members, "normalizers").enumerated() {
                keyPath.append("normalizers"); keyPath.append("[\(index)]")
                if let step = try normalizer(item) { steps.append(step) }
                keyPath.removeLast(2)
            }
            return .sequence(steps)
        default:
            throw unsupported("normalizer \(type)")
        }
    }

    private mutating func preTokenizer(_ tree: JSONValue) throws(TextTokenizerError) -> TokenizerPreTokenizer? {
        if tree == .null { return nil }
        let members = try object(tree, "a pre-tokenizer")
        let type = try type(members)
        switch type {
        case "Split":
            let pattern = try literalPattern(members)
            let name = try string(members, "behavior")
            guard let behavior = SplitBehavior(rawValue: name) else {
                throw malformed("unknown behavior \"\(name)\"", key: currentKey + ".behavior")
            }
            if try bool(members, "invert", default: false) { throw unsupported("inverted Split") }
            return .split(pattern: pattern, behavior: behavior)
        case "Metaspace":
            let replacement = TextScalars.of(try string(members, "replacement"))
            guard replacement.count == 1 else { throw malformed("expected one character", key: currentKey + ".replacement") }
            var scheme = PrependScheme.always
            if let value = members["prepend_scheme"] {
                guard case let .string(name) = value, let parsed = PrependScheme(rawValue: name) else {
                    throw malformed("expected always, never or first", key: currentKey + ".prepend_scheme")
                }
                scheme = parsed
            } else if members["add_prefix_space"] != nil {
                scheme = try bool(members, "add_prefix_space") ? .always : .never
            }
            return .metaspace(replacement: replacement[0], prependScheme: scheme, split: try bool(members, "split", default: true))
        case "Sequence":
            var steps: [TokenizerPreTokenizer] = []
            for (index, item) in try list(members, "pretokenizers").enumerated() {
                keyPath.append("pretokenizers"); keyPath.append("[\(index)]")
                if let step = try preTokenizer(item) { steps.append(step) }
                keyPath.removeLast(2)
            }
            return .sequence(steps)
        default:
            throw unsupported("pre-tokenizer \(type)")
        }
    }

    private mutating func decoder(_ tree: JSONValue) throws(TextTokenizerError) -> TokenizerDecoder? {
        if tree == .null { return nil }
        let members = try object(tree, "a decoder")
        let type = try type(members)
        switch type {
        case "Replace":
            return .replace(pattern: try literalPattern(members), content: TextScalars.of(try string(members, "content")))
        case "ByteFallback":
            return .byteFallback
        case "Fuse":
            return .fuse
        case "Strip":
            let content = TextScalars.of(try string(members, "content"))
            guard content.count == 1 else { throw malformed("expected one character", key: currentKey + ".content") }
            guard let start = try member(members, "start").intValue, let stop = try member(members, "stop").intValue,
                  start >= 0, stop >= 0 else {
                throw malformed("expected non-negative integers start and stop")
            }
            return .strip(content: content[0], start: start, stop: stop)
        case "Sequence":
            var steps: [TokenizerDecoder] = []
            for (index, item) in try list(members, "decoders").enumerated() {
                keyPath.append("decoders"); keyPath.append("[\(index)]")
                if let step = try decoder(item) { steps.append(step) }
                keyPath.removeLast(2)
            }
            return .sequence(steps)
        default:
            throw unsupported("decoder \(type)")
        }
    }

    private mutating func addedTokens(_ tree: JSONValue, vocabularySize: Int, ids: [[UInt32]: Int32])
        throws(TextTokenizerError) -> [(token: TokenizerAddedToken, id: Int)] {
        if tree == .null { return [] }
        guard case let .array(items) = tree else { throw malformed("expected an array, found \(tree.summary)") }
        var result: [(token: TokenizerAddedToken, id: Int)] = []
        var seen = Set<Int>()
        for (index, item) in items.enumerated() {
            keyPath.append("[\(index)]")
            let members = try object(item, "an added token")
            let content = try string(members, "content")
            guard let id = try member(members, "id").intValue, id >= 0, id < vocabularySize + items.count else {
                throw malformed("expected an id in 0..<\(vocabularySize + items.count)", key: currentKey + ".id")
            }
            guard seen.insert(id).inserted else { throw malformed("id \(id) is given to two added tokens", key: currentKey + ".id") }
            if let known = ids[TextScalars.of(content)], Int(known) != id {
                throw malformed("\"\(content)\" has id \(known) in the vocab", key: currentKey + ".id")
            }
            if id < vocabularySize && ids[TextScalars.of(content)] == nil {
                throw malformed("id \(id) belongs to another vocab token", key: currentKey + ".id")
            }
            let token = TokenizerAddedToken(
                content: content, special: try bool(members, "special", default: false),
                lstrip: try bool(members, "lstrip", default: false), rstrip: try bool(members, "rstrip", default: false),
                normalized: try bool(members, "normalized", default: true), singleWord: try bool(members, "single_word", default: false))
            result.append((token, id))
            keyPath.removeLast()
        }
        return result
    }

    private mutating func template(_ tree: JSONValue, idLimit: Int) throws(TextTokenizerError) -> TokenizerTemplate? {
        if tree == .null { return nil }
        let members = try object(tree, "a post-processor")
        let type = try type(members)
        guard type == "TemplateProcessing" else { throw unsupported("post-processor \(type)") }
        var specials: [String: [Int]] = [:]
        guard case let .object(table) = try member(members, "special_tokens") else {
            throw malformed("expected an object", key: currentKey + ".special_tokens")
        }
        for (name, value) in table {
            let key = currentKey + ".special_tokens." + name
            guard case let .object(entry) = value, case let .array(idValues)? = entry["ids"] else {
                throw malformed("expected an object with ids", key: key)
            }
            var ids: [Int] = []
            for idValue in idValues {
                guard let id = idValue.intValue, id >= 0, id < idLimit else {
                    throw malformed("expected ids in 0..<\(idLimit)", key: key + ".ids")
                }
                ids.append(id)
            }
            specials[name] = ids
        }
        var result = TokenizerTemplate.empty
        var seenSequence = false
        for (index, item) in try list(members, "single").enumerated() {
            let key = currentKey + ".single[\(index)]"
            guard case let .object(piece) = item, piece.count == 1 else { throw malformed("expected one piece", key: key) }
            if case let .object(sequence)? = piece["Sequence"] {
                guard sequence["id"] == .string("A"), !seenSequence else { throw malformed("expected one sequence A", key: key) }
                seenSequence = true
            } else if case let .object(special)? = piece["SpecialToken"], case let .string(name)? = special["id"] {
                guard let ids = specials[name] else { throw malformed("\"\(name)\" is not in special_tokens", key: key) }
                if seenSequence { result.suffix += ids } else { result.prefix += ids }
            } else {
                throw malformed("expected a Sequence or SpecialToken", key: key)
            }
        }
        guard seenSequence else { throw malformed("the template has no sequence A", key: currentKey + ".single") }
        return result
    }
}
