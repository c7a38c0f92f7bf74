import Foundation

/// A CLIP byte-level BPE vocabulary: token strings, merge ranks and the two special tokens.
///
/// Load one from Hugging Face `vocab.json` + `merges.txt`, a Hugging Face `tokenizer.json`, or the
/// `bpe_simple_vocab_16e6.txt(.gz)` merges file of OpenAI CLIP / open_clip; or use `bundled()`, the
/// standard 49,408-token CLIP vocabulary shipped with this package. The same vocabulary gives the
/// same token ids whichever file format it came from.
public struct CLIPVocabulary: Sendable {
    /// Token strings by id (byte-level symbols, `</w>` marks the end of a word).
    public let tokens: [String]
    /// Id of the start-of-text token (49406 in the standard vocabulary).
    public let startOfTextID: Int
    /// Id of the end-of-text token (49407 in the standard vocabulary).
    public let endOfTextID: Int
    /// Number of merges (48,894 in the standard vocabulary).
    public let mergeCount: Int

    /// Id of each single-byte symbol, and of each single-byte symbol followed by `</w>`.
    let byteTokenIDs: [Int32]
    let byteEndTokenIDs: [Int32]
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    let merges: [UInt64: UInt64]
    /// The bytes each token stands for (its symbols through the byte decoder, `</w>` included).
    let tokenBytes: [[UInt8]]
    let idsByToken: [String: Int]

    /// Number of tokens.
    public var count: Int { tokens.count }

    /// The id of a token string, if it is in the vocabulary.
    public func id(for token: String) -> Int? { idsByToken[token] }

    /// Number of merges open_clip reads from `bpe_simple_vocab_16e6.txt` (49152 - 256 - 2).
    public static let standardMergeCount = 48_894
    /// The standard special token names of each source.
    static let openCLIPSpecialTokens = ("<start_of_text>", "<end_of_text>")
    static let huggingFaceSpecialTokens = ("<|startoftext|>", "<|endoftext|>")

    // MARK: - Building

    /// Builds a vocabulary from token ids and ordered merges, checking that they are consistent.
    /// - Parameters:
    ///   - vocabulary: token string → id; ids must be exactly 0..<count.
    ///   - merges: merge pairs in rank order, with the 1-based line each came from (for errors).
    init(vocabulary: [String: Int], merges: [(String, String, line: Int)], startToken: String, endToken: String, path: String) throws {
        var tokens = [String?](repeating: nil, count: vocabulary.count)
        for (token, id) in vocabulary {
            guard id >= 0 && id < vocabulary.count else {
                throw TextTokenizerError.malformedVocabulary(path: path, reason: "id \(id) of \"\(token)\" is outside 0..<\(vocabulary.count)")
            }
            if let other = tokens[id] {
                throw TextTokenizerError.malformedVocabulary(path: path, reason: "id \(id) is used by both \"\(other)\" and \"\(token)\"")
            }
            tokens[id] = token
        }
        let allTokens = tokens.map { $0 ?? "" }
        let decoder = ByteLevel.shared.byteForScalarTable
        var tokenBytes: [[UInt8]] = []
        tokenBytes.reserveCapacity(allTokens.count)
        for (id, token) in allTokens.enumerated() {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(token.utf8.count)
            for scalar in token.unicodeScalars {
                let value = Int(scalar.value)
                guard value < decoder.count, decoder[value] >= 0 else {
                    throw TextTokenizerError.malformedVocabulary(
                        path: path, reason: "token \(id) \"\(token)\" has U+\(String(scalar.value, radix: 16, uppercase: true)), which is not a byte-level symbol")
                }
                bytes.append(UInt8(decoder[value]))
            }
            tokenBytes.append(bytes)
        }
        let symbols = ByteLevel.shared.scalarForByte
        var byteIDs = [Int32](repeating: 0, count: 256)
        var byteEndIDs = [Int32](repeating: 0, count: 256)
        for byte in 0..<256 {
            let symbol = ByteLevel.symbol(symbols[byte])
            guard let id = vocabulary[symbol] else {
                throw TextTokenizerError.missingToken(path: path, token: symbol, reason: "byte 0x\(String(byte, radix: 16)) needs a symbol")
            }
            guard let endID = vocabulary[symbol + "</w>"] else {
                throw TextTokenizerError.missingToken(path: path, token: symbol + "</w>", reason: "byte 0x\(String(byte, radix: 16)) needs an end-of-word symbol")
            }
            byteIDs[byte] = Int32(id)
            byteEndIDs[byte] = Int32(endID)
        }
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            guard let left = vocabulary[merge.0] else {
                throw TextTokenizerError.missingToken(path: path, token: merge.0, reason: "left side of the merge on line \(merge.line)")
            }
            guard let right = vocabulary[merge.1] else {
                throw TextTokenizerError.missingToken(path: path, token: merge.1, reason: "right side of the merge on line \(merge.line)")
            }
            guard let merged = vocabulary[merge.0 + merge.1] else {
                throw TextTokenizerError.missingToken(path: path, token: merge.0 + merge.1, reason: "result of the merge on line \(merge.line)")
            }
            table[UInt64(left) << 32 | UInt64(right)] = UInt64(rank) << 32 | UInt64(merged)
        }
        guard let start = vocabulary[startToken] else {
            throw TextTokenizerError.missingToken(path: path, token: startToken, reason: "start-of-text token")
        }
        guard let end = vocabulary[endToken] else {
            throw TextTokenizerError.missingToken(path: path, token: endToken, reason: "end-of-text token")
        }
        self.tokens = allTokens
        self.idsByToken = vocabulary
        self.tokenBytes = tokenBytes
        self.byteTokenIDs = byteIDs
        self.byteEndTokenIDs = byteEndIDs
        self.merges = table
        self.mergeCount = merges.count
        self.startOfTextID = start
        self.endOfTextID = end
    }

    // MARK: - bpe_simple_vocab format

    /// Loads a `bpe_simple_vocab_16e6.txt` merges file (plain or gzip-compressed) the way
    /// open_clip's `SimpleTokenizer` does: the first line is a header, the next `mergeLimit` lines
    /// are merges; the vocabulary is the 256 byte symbols, the same with `</w>`, one token per merge,
    /// then `<start_of_text>` and `<end_of_text>`.
    public init(bpeFile url: URL, mergeLimit: Int = CLIPVocabulary.standardMergeCount) throws {
        var bytes = try Self.readFile(url)
        if Gzip.isGzip(bytes) { bytes = try Gzip.decompress(bytes, path: url.path) }
        try self.init(bpeMergesData: bytes, path: url.path, mergeLimit: mergeLimit)
    }

    init(bpeMergesData bytes: [UInt8], path: String, mergeLimit: Int) throws {
        // Only the header and the first `mergeLimit` lines are used (the standard file has 262,145).
        var lines = Self.lines(bytes[...], limit: max(0, mergeLimit) + 1)
        if lines.count > 1 && lines.last?.isEmpty == true { lines.removeLast() }
        guard let header = lines.first, !header.isEmpty || lines.count > 1 else {
            throw TextTokenizerError.malformedMerges(path: path, line: 1, reason: "the file is empty")
        }
        guard String(validating: header, as: UTF8.self) != nil else {
            throw TextTokenizerError.malformedMerges(path: path, line: 1, reason: "the line is not valid UTF-8")
        }
        let merges = try Self.parseMergeLines(lines.dropFirst(), firstLineNumber: 2, path: path)
        guard !merges.isEmpty else {
            throw TextTokenizerError.malformedMerges(path: path, line: 2, reason: "no merges after the header line")
        }
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(512 + merges.count + 2)
        var ordered: [String] = []
        for scalar in ByteLevel.shared.scalarsInVocabularyOrder {
            ordered.append(ByteLevel.symbol(scalar))
        }
        ordered += ordered.map { $0 + "</w>" }
        ordered += merges.map { $0.0 + $0.1 }
        ordered += [Self.openCLIPSpecialTokens.0, Self.openCLIPSpecialTokens.1]
        // As in open_clip, a repeated token string keeps its last id.
        for (id, token) in ordered.enumerated() { vocabulary[token] = id }
        guard vocabulary.count == ordered.count else {
            let duplicate = Dictionary(grouping: ordered, by: { $0 }).first { $0.value.count > 1 }?.key ?? ""
            throw TextTokenizerError.malformedMerges(path: path, line: 0, reason: "merged token \"\(duplicate)\" occurs twice")
        }
        try self.init(vocabulary: vocabulary, merges: merges, startToken: Self.openCLIPSpecialTokens.0,
                      endToken: Self.openCLIPSpecialTokens.1, path: path)
    }

    /// Lines of `bytes` split at LF (at most `limit` lines; the rest is ignored).
    static func lines(_ bytes: ArraySlice<UInt8>, limit: Int = Int.max) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var index = start
        while index < bytes.endIndex && result.count < limit {
            if bytes[index] == 0x0A {
                result.append(bytes[start..<index])
                start = index + 1
            }
            index += 1
        }
        if result.count < limit { result.append(bytes[start..<bytes.endIndex]) }
        return result
    }

    /// Merge lines: two tokens separated by spaces or tabs (a trailing CR is ignored).
    static func parseMergeLines<S: Sequence>(_ lines: S, firstLineNumber: Int, path: String) throws -> [(String, String, line: Int)]
    where S.Element == ArraySlice<UInt8> {
        var merges: [(String, String, line: Int)] = []
        var lineNumber = firstLineNumber
        for line in lines {
            let parts = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
            guard parts.count == 2 else {
                throw TextTokenizerError.malformedMerges(
                    path: path, line: lineNumber, reason: "expected two space-separated tokens, found \(parts.count)")
            }
            guard let left = String(validating: parts[0], as: UTF8.self), let right = String(validating: parts[1], as: UTF8.self) else {
                throw TextTokenizerError.malformedMerges(path: path, line: lineNumber, reason: "the line is not valid UTF-8")
            }
            merges.append((left, right, line: lineNumber))
            lineNumber += 1
        }
        return merges
    }

    // MARK: - Hugging Face formats

    /// Loads Hugging Face `vocab.json` (token → id) and `merges.txt` (optional `#version` header, one
    /// merge per line). The special tokens are `<|startoftext|>` and `<|endoftext|>` (or open_clip's names).
    public init(vocabularyJSON: URL, merges mergesURL: URL) throws {
        let vocabulary = try Self.parseVocabularyJSON(try Self.readFile(vocabularyJSON), path: vocabularyJSON.path)
        let bytes = try Self.readFile(mergesURL)
        var lines = Self.lines(bytes[...])
        while let last = lines.last, last.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { lines.removeLast() }
        var first = 1
        if let header = lines.first, header.starts(with: Array("#version".utf8)) {
            lines.removeFirst()
            first = 2
        }
        let merges = try Self.parseMergeLines(lines, firstLineNumber: first, path: mergesURL.path)
        let (start, end) = try Self.specialTokens(in: vocabulary, path: vocabularyJSON.path)
        try self.init(vocabulary: vocabulary, merges: merges, startToken: start, endToken: end, path: vocabularyJSON.path)
    }

    /// Loads a Hugging Face `tokenizer.json` whose model is a BPE with the `</w>` end-of-word suffix.
    /// Merges may be written as `"a b"` strings or as `["a", "b"]` pairs.
    public init(tokenizerJSON url: URL) throws {
        let path = url.path
        let file: TokenizerFile
        do {
            file = try JSONDecoder().decode(TokenizerFile.self, from: Data(try Self.readFile(url)))
        } catch let error as TextTokenizerError {
            throw error
        } catch {
            throw TextTokenizerError.malformedVocabulary(path: path, reason: Self.describe(error))
        }
        if let type = file.model.type, type != "BPE" {
            throw TextTokenizerError.malformedVocabulary(path: path, reason: "model type \"\(type)\" is not BPE")
        }
        if let suffix = file.model.endOfWordSuffix, suffix != "</w>" {
            throw TextTokenizerError.malformedVocabulary(path: path, reason: "end-of-word suffix \"\(suffix)\" is not \"</w>\"")
        }
        var vocabulary = file.model.vocab
        // Special tokens may live only among the added tokens.
        for token in file.addedTokens ?? [] where vocabulary[token.content] == nil {
            vocabulary[token.content] = token.id
        }
        var merges: [(String, String, line: Int)] = []
        merges.reserveCapacity(file.model.merges.count)
        for (index, item) in file.model.merges.enumerated() {
            switch item {
            case .text(let text):
                let parts = text.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw TextTokenizerError.malformedMerges(path: path, line: index + 1, reason: "merge \"\(text)\" is not two tokens")
                }
                merges.append((String(parts[0]), String(parts[1]), line: index + 1))
            case .pair(let parts):
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw TextTokenizerError.malformedMerges(path: path, line: index + 1, reason: "merge \(index) is not a pair of tokens")
                }
                merges.append((parts[0], parts[1], line: index + 1))
            }
        }
        let (start, end) = try Self.specialTokens(in: vocabulary, path: path)
        try self.init(vocabulary: vocabulary, merges: merges, startToken: start, endToken: end, path: path)
    }

    /// Loads the vocabulary in a model directory: `vocab.json` + `merges.txt`, else `tokenizer.json`,
    /// else `bpe_simple_vocab_16e6.txt.gz` / `.txt`.
    public init(directory: URL) throws {
        let manager = FileManager.default
        func file(_ name: String) -> URL? {
            let url = directory.appendingPathComponent(name)
            return manager.fileExists(atPath: url.path) ? url : nil
        }
        if let vocab = file("vocab.json"), let merges = file("merges.txt") {
            try self.init(vocabularyJSON: vocab, merges: merges)
        } else if let json = file("tokenizer.json") {
            try self.init(tokenizerJSON: json)
        } else if let bpe = file("bpe_simple_vocab_16e6.txt.gz") ?? file("bpe_simple_vocab_16e6.txt") {
            try self.init(bpeFile: bpe)
        } else {
            throw TextTokenizerError.noVocabularyFiles(directory: directory.path)
        }
    }

    /// Whether `directory` holds a vocabulary `init(directory:)` can load.
    public static func directoryHasVocabulary(_ directory: URL) -> Bool {
        let manager = FileManager.default
        func has(_ name: String) -> Bool { manager.fileExists(atPath: directory.appendingPathComponent(name).path) }
        return (has("vocab.json") && has("merges.txt")) || has("tokenizer.json")
            || has("bpe_simple_vocab_16e6.txt.gz") || has("bpe_simple_vocab_16e6.txt")
    }

    // MARK: - Bundled vocabulary

    private static let bundledResult: Result<CLIPVocabulary, TextTokenizerError> = {
        let name = "bpe_simple_vocab_16e6.txt.gz"
        guard let url = Bundle.module.url(forResource: "bpe_simple_vocab_16e6.txt", withExtension: "gz", subdirectory: "Resources")
            ?? Bundle.module.url(forResource: "bpe_simple_vocab_16e6.txt", withExtension: "gz") else {
            return .failure(.missingBundledVocabulary(name: name))
        }
        do {
            return .success(try CLIPVocabulary(bpeFile: url))
        } catch let error as TextTokenizerError {
            return .failure(error)
        } catch {
            return .failure(.unreadableFile(path: url.path, reason: "\(error)"))
        }
    }()

    /// The standard CLIP vocabulary (OpenAI CLIP / open_clip `bpe_simple_vocab_16e6.txt.gz`, MIT
    /// licensed, shipped as a package resource). Loaded once and shared.
    public static func bundled() throws -> CLIPVocabulary {
        try bundledResult.get()
    }

    // MARK: - Helpers

    static func readFile(_ url: URL) throws -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw TextTokenizerError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.keyNotFound(_, let context), DecodingError.dataCorrupted(let context):
            let location = context.codingPath.map(\.stringValue).joined(separator: ".")
            return location.isEmpty ? context.debugDescription : "\(location): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    static func parseVocabularyJSON(_ bytes: [UInt8], path: String) throws -> [String: Int] {
        try VocabularyJSONReader.read(bytes, path: path)
    }

    /// The special token names a vocabulary uses (Hugging Face's unless it has open_clip's); the
    /// designated initializer reports them missing after checking everything else.
    static func specialTokens(in vocabulary: [String: Int], path: String) throws -> (String, String) {
        for names in [huggingFaceSpecialTokens, openCLIPSpecialTokens] where vocabulary[names.0] != nil && vocabulary[names.1] != nil {
            return names
        }
        return huggingFaceSpecialTokens
    }
}

/// GPT-2 / CLIP byte-level alphabet: every byte maps to a printable scalar.
final class ByteLevel: Sendable {
    static let shared = ByteLevel()
    /// Scalar of each byte.
    let scalarForByte: [UInt32]
    /// Byte of each scalar of the alphabet.
    let byteForScalar: [UInt32: UInt8]
    /// The alphabet in the order open_clip lists it in its vocabulary.
    let scalarsInVocabularyOrder: [UInt32]
    /// The one-scalar string of an alphabet symbol.
    static func symbol(_ scalar: UInt32) -> String {
        var bytes: [UInt8] = []
        UTF8Codec.append(scalar, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Byte of each scalar below U+0144 (-1 for scalars outside the alphabet).
    let byteForScalarTable: [Int16]

    private init() {
        var printable: [Int] = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var scalars = printable.map { UInt32($0) }
        var extra: UInt32 = 0
        for byte in 0..<256 where !printable.contains(byte) {
            printable.append(byte)
            scalars.append(256 + extra)
            extra += 1
        }
        var forByte = [UInt32](repeating: 0, count: 256)
        var forScalar: [UInt32: UInt8] = [:]
        for (byte, scalar) in zip(printable, scalars) {
            forByte[byte] = scalar
            forScalar[scalar] = UInt8(byte)
        }
        scalarForByte = forByte
        byteForScalar = forScalar
        scalarsInVocabularyOrder = scalars
        var table = [Int16](repeating: -1, count: 0x144)
        for (scalar, byte) in forScalar { table[Int(scalar)] = Int16(byte) }
        byteForScalarTable = table
    }
}

/// The parts of a Hugging Face `tokenizer.json` the CLIP BPE needs.
struct TokenizerFile: Decodable {
    struct Model: Decodable {
        var type: String?
        var vocab: [String: Int]
        var merges: [Merge]
        var endOfWordSuffix: String?

        enum CodingKeys: String, CodingKey {
            case type, vocab, merges
            case endOfWordSuffix = "end_of_word_suffix"
        }
    }

    enum Merge: Decodable {
        case text(String)
        case pair([String])

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .text(text)
            } else {
                self = .pair(try container.decode([String].self))
            }
        }
    }

    struct AddedToken: Decodable {
        var id: Int
        var content: String
    }

    var model: Model
    var addedTokens: [AddedToken]?

    enum CodingKeys: String, CodingKey {
        case model
        case addedTokens = "added_tokens"
    }
}
