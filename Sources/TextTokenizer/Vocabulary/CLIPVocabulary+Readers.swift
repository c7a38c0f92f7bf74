import CLIPSupport
import Foundation

// The file formats a `CLIPVocabulary` is read from.
extension CLIPVocabulary {
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

    /// Loads Hugging Face's BPE pair: a token → id JSON object and a merges text file (optional `#version` header, one
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

    /// Loads a Hugging Face `tokenizers` JSON file whose model is a BPE with the `</w>` end-of-word suffix.
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

    // MARK: - Helpers

    static func readFile(_ url: URL) throws -> [UInt8] {
        do {
            return [UInt8](try BoundedFile.contents(of: url, limit: BoundedFile.vocabularyLimit))
        } catch {
            throw TextTokenizerError.unreadableFile(path: url.path, reason: "\(error)")
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

/// The parts of a Hugging Face `tokenizers` JSON file the CLIP BPE needs.
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
