import CLIPSupport
import Foundation

/// The CLIP tokenizer of OpenAI CLIP and open_clip (`SimpleTokenizer`): text cleaning (ftfy,
/// HTML unescaping, whitespace, lowercase), pre-tokenization with the reference pattern, and
/// byte-level BPE. It gives exactly the ids open_clip 3.3.0 gives.
///
/// Instances are immutable after loading and safe to share between threads; the cache of encoded
/// words is protected by a lock.
///
///     let tokenizer = try CLIPTokenizer()               // bundled standard vocabulary
///     let ids = tokenizer.tokenize("a photo of a cat")  // [49406, 320, 1125, 539, 320, 2368, 49407]
///     let row = try CLIPTokenizer.pad(ids, toLength: 77, padID: CLIPTokenizer.openAIPadID)
public final class CLIPTokenizer: Sendable {
    /// The context length of every released CLIP model.
    public static let defaultContextLength = 77
    /// The id OpenAI CLIP and open_clip pad with. (transformers pads with the end-of-text id.)
    public static let openAIPadID = 0

    /// The vocabulary.
    public let vocabulary: CLIPVocabulary
    /// Maximum number of ids `tokenize` returns, start and end tokens included.
    public let contextLength: Int
    private let cache: WordCache

    /// Id of the start-of-text token.
    public var startOfTextID: Int { vocabulary.startOfTextID }
    /// Id of the end-of-text token.
    public var endOfTextID: Int { vocabulary.endOfTextID }

    /// A tokenizer with the given vocabulary.
    /// - Parameters:
    ///   - vocabulary: the byte-level BPE vocabulary, merges and special tokens.
    ///   - contextLength: at least 2; 77 for all released CLIP models.
    ///   - wordCacheCapacity: number of encoded words kept; the cache is emptied when it is full.
    public init(vocabulary: CLIPVocabulary, contextLength: Int = CLIPTokenizer.defaultContextLength,
                wordCacheCapacity: Int = 100_000) throws {
        guard contextLength >= 2 else { throw TextTokenizerError.invalidContextLength(contextLength) }
        self.vocabulary = vocabulary
        self.contextLength = contextLength
        self.cache = WordCache(capacity: max(0, wordCacheCapacity))
    }

    /// A tokenizer with the bundled standard CLIP vocabulary (no files needed).
    public convenience init(contextLength: Int = CLIPTokenizer.defaultContextLength) throws {
        try self.init(vocabulary: try CLIPVocabulary.bundled(), contextLength: contextLength)
    }

    // MARK: - Encoding

    /// The BPE ids of `text` after cleaning, without start/end tokens and without truncation
    /// (open_clip's `SimpleTokenizer.encode`).
    public func encode(_ text: String) -> [Int] {
        var ids: [Int] = []
        encode(text, into: &ids)
        return ids
    }

    /// Appends the BPE ids of `text` to `ids`.
    func encode(_ text: String, into ids: inout [Int]) {
        let cleaned = CLIPTextCleaner.cleanScalars(CLIPTextCleaner.scalars(text))
        var word: [UInt8] = []
        word.reserveCapacity(64)
        PreTokenizer.forEachPiece(of: cleaned) { piece in
            word.removeAll(keepingCapacity: true)
            for scalar in piece { word.appendUTF8(scalar) }
            if !cache.appendIDs(for: word, to: &ids) {
                let encoded = BytePairEncoder.encode(word, vocabulary: vocabulary)
                cache.insert(word, ids: encoded)
                for id in encoded { ids.append(Int(id)) }
            }
        }
    }

    /// Start token, the BPE ids of `text`, end token: at most `contextLength` ids, unpadded. Longer
    /// input is truncated and the end token put in the last slot, as the reference does.
    public func tokenize(_ text: String) -> [Int] {
        tokenize(text, limit: contextLength)
    }

    /// `tokenize(_:)` with another context length (at least 2).
    public func tokenize(_ text: String, contextLength: Int) throws -> [Int] {
        guard contextLength >= 2 else { throw TextTokenizerError.invalidContextLength(contextLength) }
        return tokenize(text, limit: contextLength)
    }

    /// `tokenize(_:)` of each text.
    public func tokenize(_ texts: [String]) -> [[Int]] {
        texts.map { tokenize($0, limit: contextLength) }
    }

    private func tokenize(_ text: String, limit: Int) -> [Int] {
        var ids = [startOfTextID]
        encode(text, into: &ids)
        ids.append(endOfTextID)
        if ids.count > limit {
            ids.removeSubrange(limit...)
            ids[limit - 1] = endOfTextID
        }
        return ids
    }

    /// Pads `ids` to `length` with `padID` (0 as OpenAI CLIP and open_clip pad, the end-of-text id as
    /// transformers pads). Throws when there are more than `length` ids.
    public static func pad(_ ids: [Int], toLength length: Int, padID: Int) throws -> [Int] {
        guard ids.count <= length else { throw TextTokenizerError.sequenceTooLong(length: ids.count, limit: length) }
        return ids + [Int](repeating: padID, count: length - ids.count)
    }

    // MARK: - Decoding

    /// Text of `ids` as the reference decodes it: the tokens' bytes, decoded as UTF-8 with U+FFFD for
    /// invalid sequences, every `</w>` replaced by a space. Special tokens appear by name.
    public func decode(_ ids: [Int]) throws -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard id >= 0 && id < vocabulary.tokenBytes.count else { throw TextTokenizerError.unknownTokenID(id) }
            bytes.append(contentsOf: vocabulary.tokenBytes[id])
        }
        // "</w>" → " " on scalars (a literal replacement, as Python's str.replace).
        let scalars = UTF8Codec.decodeReplacing(bytes)
        let marker: [UInt32] = [0x3C, 0x2F, 0x77, 0x3E]
        var output: [UInt32] = []
        output.reserveCapacity(scalars.count)
        var i = 0
        while i < scalars.count {
            if scalars[i] == 0x3C, i + 4 <= scalars.count, scalars[i..<(i + 4)].elementsEqual(marker) {
                output.append(0x20)
                i += 4
            } else {
                output.append(scalars[i])
                i += 1
            }
        }
        return CLIPTextCleaner.string(output)
    }

    /// The cleaning this tokenizer applies before pre-tokenization (see `CLIPTextCleaner.clean`).
    public func clean(_ text: String) -> String {
        CLIPTextCleaner.clean(text)
    }
}

/// open_clip's pre-tokenization pattern
/// `'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+` (IGNORECASE), on cleaned text.
/// The special-token alternatives of the reference pattern are left out: text never produces them.
enum PreTokenizer {
    private static let apostrophe: UInt32 = 0x27

    @inline(__always)
    private static func letterIs(_ scalar: UInt32, _ lower: UInt32) -> Bool {
        // IGNORECASE literals: the letter, its uppercase, and U+017F LONG S for "s".
        scalar == lower || scalar == lower - 0x20 || (lower == 0x73 && scalar == 0x17F)
    }

    /// Length of the contraction at `i` (0 if none).
    @inline(__always)
    static func contractionLength(_ text: [UInt32], at i: Int) -> Int {
        guard text[i] == apostrophe, i + 1 < text.count else { return 0 }
        let a = text[i + 1]
        let b: UInt32 = i + 2 < text.count ? text[i + 2] : 0
        if letterIs(a, 0x73) || letterIs(a, 0x74) { return 2 }  // 's 't
        if letterIs(a, 0x72) && letterIs(b, 0x65) { return 3 }  // 're
        if letterIs(a, 0x76) && letterIs(b, 0x65) { return 3 }  // 've
        if letterIs(a, 0x6D) { return 2 }  // 'm
        if letterIs(a, 0x6C) && letterIs(b, 0x6C) { return 3 }  // 'll
        if letterIs(a, 0x64) { return 2 }  // 'd
        return 0
    }

    static func forEachPiece(of text: [UInt32], _ body: (ArraySlice<UInt32>) -> Void) {
        let unicode = UnicodeData.shared
        let count = text.count
        var i = 0
        while i < count {
            let scalar = text[i]
            if scalar == apostrophe {
                let length = contractionLength(text, at: i)
                if length > 0 {
                    body(text[i..<(i + length)])
                    i += length
                    continue
                }
            }
            let flags = unicode.flags(scalar)
            if flags.contains(.letter) {
                var j = i + 1
                while j < count && unicode.flags(text[j]).contains(.letter) { j += 1 }
                body(text[i..<j])
                i = j
            } else if flags.contains(.number) {
                body(text[i..<(i + 1)])
                i += 1
            } else if flags.contains(.other) {
                var j = i + 1
                while j < count && unicode.flags(text[j]).contains(.other) { j += 1 }
                body(text[i..<j])
                i = j
            } else {
                i += 1
            }
        }
    }
}

/// Byte-level BPE on vocabulary ids.
enum BytePairEncoder {
    /// The ids of one pre-tokenized word (its UTF-8 bytes), `</w>` on the last symbol, merged by rank.
    static func encode(_ word: [UInt8], vocabulary: CLIPVocabulary) -> [Int32] {
        guard let last = word.last else { return [] }
        var symbols = word.dropLast().map { vocabulary.byteTokenIDs[Int($0)] }
        symbols.append(vocabulary.byteEndTokenIDs[Int(last)])
        let merges = vocabulary.merges
        while symbols.count > 1 {
            var bestRank = UInt64.max
            var bestMerged: Int32 = 0
            var bestLeft: Int32 = 0, bestRight: Int32 = 0
            for k in 0..<(symbols.count - 1) {
                let key = UInt64(UInt32(bitPattern: symbols[k])) << 32 | UInt64(UInt32(bitPattern: symbols[k + 1]))
                if let entry = merges[key], entry >> 32 < bestRank {
                    bestRank = entry >> 32
                    bestMerged = Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF)
                    bestLeft = symbols[k]
                    bestRight = symbols[k + 1]
                }
            }
            if bestRank == UInt64.max { break }
            var merged: [Int32] = []
            merged.reserveCapacity(symbols.count)
            var k = 0
            while k < symbols.count {
                if k + 1 < symbols.count && symbols[k] == bestLeft && symbols[k + 1] == bestRight {
                    merged.append(bestMerged)
                    k += 2
                } else {
                    merged.append(symbols[k])
                    k += 1
                }
            }
            symbols = merged
        }
        return symbols
    }
}

/// Encoded words by their UTF-8 bytes, shared by all threads using one tokenizer.
final class WordCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [[UInt8]: [Int32]] = [:]
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Appends the cached ids of `word`; false when it is not cached.
    func appendIDs(for word: [UInt8], to ids: inout [Int]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let cached = entries[word] else { return false }
        for id in cached { ids.append(Int(id)) }
        return true
    }

    func insert(_ word: [UInt8], ids: [Int32]) {
        guard capacity > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[word] = ids
    }

    /// Empties the cache.
    func removeAll() {
        lock.lock()
        defer { lock.unlock() }
        entries.removeAll()
    }
}
