import CLIPSupport
import Foundation

/// A CLIP byte-level BPE vocabulary: token strings, merge ranks and the two special tokens.
///
/// Load one from Hugging Face's vocabulary + merges pair, a Hugging Face `tokenizers` JSON file, or the
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
        bytes.appendUTF8(scalar)
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
