import CLIPSupport
import Foundation

/// A SentencePiece model (`spiece.model`, `tokenizer.model`: a serialized
/// `sentencepiece.ModelProto`), read and validated by this library's own protobuf reader, with
/// SentencePiece's normalizer and (for unigram models) its Viterbi encoder and its decoder.
///
/// Immutable and safe to share between threads. Only unigram models encode; other model types
/// are refused when loading (`TextTokenizerError.unsupportedTokenizer`).
public struct SentencePieceModel: Sendable {
    /// The kind of a vocabulary piece (`ModelProto.SentencePiece.Type`).
    public enum PieceType: Int, Sendable {
        /// An ordinary piece, found by the encoder.
        case normal = 1
        /// The unknown piece (exactly one per model).
        case unknown = 2
        /// A control symbol (`<pad>`, `</s>`): never produced from text, decodes to nothing.
        case control = 3
        /// A user-defined symbol: matched before normalization and always preferred.
        case userDefined = 4
        /// A piece the encoder never picks.
        case unused = 5
        /// A byte piece `<0xXX>` of a byte-fallback model.
        case byte = 6
    }

    /// One vocabulary entry; its id is its index in ``pieces``.
    public struct Piece: Sendable, Equatable {
        /// The piece's text (U+2581 stands for a space).
        public let text: String
        /// The piece's log probability (unigram) or merge rank score (BPE).
        public let score: Float
        /// The piece's kind.
        public let type: PieceType
    }

    /// The training algorithm of the model (`TrainerSpec.ModelType`).
    public enum ModelType: Int, Sendable {
        /// Unigram language model (SigLIP, T5): encoded by Viterbi over piece scores.
        case unigram = 1
        /// Byte-pair encoding (Gemma, Llama 2).
        case bpe = 2
        /// Whitespace-separated words.
        case word = 3
        /// Single characters.
        case character = 4
    }

    /// The `trainer_spec` fields the tokenizer needs.
    public struct TrainerSpec: Sendable, Equatable {
        /// The model type (default unigram).
        public var modelType: ModelType = .unigram
        /// The requested vocabulary size (informational).
        public var vocabularySize: Int = 8000
        /// Id of the unknown piece (default 0).
        public var unknownID: Int = 0
        /// Id of `<s>`, or -1 when the model has none (default 1).
        public var beginningOfSentenceID: Int = 1
        /// Id of `</s>`, or -1 (default 2).
        public var endOfSentenceID: Int = 2
        /// Id of `<pad>`, or -1 (default -1).
        public var paddingID: Int = -1
        /// Whether unknown characters are encoded as UTF-8 byte pieces instead of the unknown id.
        public var byteFallback: Bool = false
        /// Whether the space marker ends pieces instead of starting them.
        public var treatWhitespaceAsSuffix: Bool = false
        /// The text the sentencepiece decoder writes for the unknown piece (default `" ⁇ "`).
        public var unknownSurface: String = " \u{2047} "
    }

    /// The `normalizer_spec` fields.
    public struct NormalizerSpec: Sendable, Equatable {
        /// The rule set's name (`nmt_nfkc`, `identity`, ...): informational.
        public var name: String = ""
        /// The compiled rules: a 4-byte trie size, a darts-clone double-array trie, then the
        /// NUL-terminated replacement strings. Empty: no rules.
        public var precompiledCharsmap: [UInt8] = []
        /// Whether a space is put before the text.
        public var addDummyPrefix: Bool = true
        /// Whether leading, trailing and repeated spaces are removed.
        public var removeExtraWhitespaces: Bool = true
        /// Whether spaces become U+2581.
        public var escapeWhitespaces: Bool = true
    }

    /// The vocabulary: `pieces[id]`.
    public let pieces: [Piece]
    /// The trainer settings stored in the model.
    public let trainerSpec: TrainerSpec
    /// The normalizer settings stored in the model (with `addDummyPrefix` off after
    /// ``SiglipTokenizerSettings/legacy`` false).
    public private(set) var normalizerSpec: NormalizerSpec
    /// Whether the model carries a denormalizer with rules (not applied by ``decode(_:)``).
    public let hasDenormalizerRules: Bool
    /// The id of the single ``PieceType/unknown`` piece.
    public let unknownID: Int

    private(set) var normalizer: SentencePieceNormalizer
    let encoder: UnigramEncoder
    /// Piece bytes → id for normal, user-defined and unused pieces.
    let pieceIDs: [[UInt8]: Int]
    /// Piece bytes → id for control, unknown and byte pieces.
    let reservedIDs: [[UInt8]: Int]
    let pieceBytes: [[UInt8]]

    /// Reads a model from the bytes of a `ModelProto`.
    /// - Parameters:
    ///   - data: The file's bytes.
    ///   - path: The file's name or path, for error messages only.
    /// - Throws: `TextTokenizerError.malformedSentencePieceModel` naming the byte offset (bad wire
    ///   format, wrong wire type for a known field, no pieces, an empty or duplicate piece, no or
    ///   two unknown pieces, ids out of range, bad byte pieces, a broken charsmap);
    ///   `TextTokenizerError.unsupportedTokenizer` for a model type other than unigram or
    ///   `treat_whitespace_as_suffix`.
    public init(data: Data, path: String) throws {
        let bytes = [UInt8](data)
        let parsed: ParsedModel
        do {
            parsed = try ParsedModel(bytes: bytes)
        } catch {
            throw TextTokenizerError.malformedSentencePieceModel(path: path, offset: error.offset, reason: error.reason)
        }
        try self.init(parsed: parsed, path: path)
    }

    /// Reads a model file.
    /// - Throws: `TextTokenizerError.unreadableFile` when the file cannot be read, otherwise as
    ///   ``init(data:path:)``.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try BoundedFile.contents(of: url, limit: BoundedFile.vocabularyLimit)
        } catch {
            throw TextTokenizerError.unreadableFile(path: url.path, reason: "\(error)")
        }
        try self.init(data: data, path: url.path)
    }

    private init(parsed: ParsedModel, path: String) throws {
        func malformed(_ offset: Int, _ reason: String) -> TextTokenizerError {
            .malformedSentencePieceModel(path: path, offset: offset, reason: reason)
        }
        guard !parsed.pieces.isEmpty else { throw malformed(parsed.end, "the model has no pieces") }
        let spec = parsed.trainerSpec
        switch spec.modelType {
        case .unigram: break
        case .bpe, .word, .character:
            throw TextTokenizerError.unsupportedTokenizer(
                path: path, reason: "SentencePiece model type \(spec.modelType) (only unigram models are implemented)")
        }
        if spec.treatWhitespaceAsSuffix {
            throw TextTokenizerError.unsupportedTokenizer(path: path, reason: "treat_whitespace_as_suffix is not implemented")
        }

        var pieceIDs: [[UInt8]: Int] = [:]
        var reservedIDs: [[UInt8]: Int] = [:]
        var unknownID: Int?
        var bytesFound = [Bool](repeating: false, count: 256)
        var userDefined: [[UInt8]] = []
        for (id, piece) in parsed.pieces.enumerated() {
            guard !piece.bytes.isEmpty else { throw malformed(piece.offset, "piece \(id) is empty") }
            let ordinary = piece.type == .normal || piece.type == .userDefined || piece.type == .unused
            if ordinary {
                guard pieceIDs.updateValue(id, forKey: piece.bytes) == nil else {
                    throw malformed(piece.offset, "piece \(id) \(piece.text.debugDescription) is already defined")
                }
            } else {
                guard reservedIDs.updateValue(id, forKey: piece.bytes) == nil else {
                    throw malformed(piece.offset, "piece \(id) \(piece.text.debugDescription) is already defined")
                }
            }
            switch piece.type {
            case .userDefined: userDefined.append(piece.bytes)
            case .unknown:
                guard unknownID == nil else { throw malformed(piece.offset, "piece \(id) is a second unknown piece") }
                unknownID = id
            case .byte:
                guard spec.byteFallback else {
                    throw malformed(piece.offset, "byte piece \(piece.text.debugDescription) although byte_fallback is false")
                }
                guard let byte = Self.byteValue(ofPiece: piece.bytes) else {
                    throw malformed(piece.offset, "byte piece \(piece.text.debugDescription) is not of the form <0xXX>")
                }
                bytesFound[Int(byte)] = true
            case .normal, .control, .unused: break
            }
        }
        guard let unknownID else { throw malformed(parsed.end, "the model has no unknown piece") }
        if spec.byteFallback && bytesFound.contains(false) {
            throw malformed(parsed.end, "byte_fallback is true but the model lacks some of the 256 byte pieces")
        }
        for (name, value) in [("unk_id", spec.unknownID), ("bos_id", spec.beginningOfSentenceID),
                              ("eos_id", spec.endOfSentenceID), ("pad_id", spec.paddingID)] {
            guard value >= -1, value < parsed.pieces.count else {
                throw malformed(parsed.trainerSpecOffset, "trainer_spec.\(name) \(value) is outside -1..<\(parsed.pieces.count)")
            }
        }
        guard spec.unknownID == unknownID else {
            throw malformed(parsed.trainerSpecOffset,
                            "trainer_spec.unk_id \(spec.unknownID) is not the unknown piece (\(unknownID))")
        }

        let charsmap: DoubleArrayCharsmap?
        if parsed.normalizerSpec.precompiledCharsmap.isEmpty {
            charsmap = nil
        } else {
            do {
                charsmap = try DoubleArrayCharsmap(blob: parsed.normalizerSpec.precompiledCharsmap)
            } catch {
                throw malformed(parsed.charsmapOffset + error.offset, error.reason)
            }
        }

        self.pieces = parsed.pieces.map { Piece(text: $0.text, score: $0.score, type: $0.type) }
        self.trainerSpec = spec
        self.normalizerSpec = parsed.normalizerSpec
        self.hasDenormalizerRules = parsed.hasDenormalizerRules
        self.unknownID = unknownID
        self.pieceIDs = pieceIDs
        self.reservedIDs = reservedIDs
        self.pieceBytes = parsed.pieces.map(\.bytes)
        self.normalizer = SentencePieceNormalizer(spec: parsed.normalizerSpec, charsmap: charsmap,
                                                  userDefinedSymbols: PieceTrie(userDefined.map { ($0, 0) }))
        self.encoder = UnigramEncoder(pieces: parsed.pieces.map { ($0.bytes, $0.score, $0.type) }, unknownID: unknownID)
    }

    /// A copy whose normalizer does not add the dummy prefix (what transformers does to the
    /// model of a tokenizer configured with `legacy: false`).
    func withoutDummyPrefix() -> SentencePieceModel {
        var copy = self
        copy.normalizerSpec.addDummyPrefix = false
        copy.normalizer.spec.addDummyPrefix = false
        return copy
    }

    /// `<0xXX>` → the byte.
    static func byteValue(ofPiece bytes: [UInt8]) -> UInt8? {
        guard bytes.count == 6, bytes[0] == 0x3C, bytes[1] == 0x30, bytes[2] == 0x78, bytes[5] == 0x3E else { return nil }
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: return byte - 0x30
            case 0x41...0x46: return byte - 0x41 + 10
            default: return nil
            }
        }
        guard let high = hex(bytes[3]), let low = hex(bytes[4]) else { return nil }
        return high << 4 | low
    }
}

/// The fields of a `ModelProto` as read from the wire, before validation.
struct ParsedModel {
    struct RawPiece {
        var bytes: [UInt8] = []
        var text: String = ""
        var score: Float = 0
        var type: SentencePieceModel.PieceType = .normal
        var offset: Int = 0
    }

    var pieces: [RawPiece] = []
    var trainerSpec = SentencePieceModel.TrainerSpec()
    var normalizerSpec = SentencePieceModel.NormalizerSpec()
    var hasDenormalizerRules = false
    var trainerSpecOffset = 0
    var charsmapOffset = 0
    var end = 0

    init(bytes: [UInt8]) throws(ProtobufWireReader.Failure) {
        typealias Reader = ProtobufWireReader
        var reader = Reader(bytes: bytes, range: 0..<bytes.count)
        end = bytes.count
        while !reader.isAtEnd {
            let (field, wireType, offset) = try reader.readKey()
            switch field {
            case 1:
                try Reader.expect(wireType, .lengthDelimited, field: "pieces", offset: offset)
                pieces.append(try Self.readPiece(bytes: bytes, range: try reader.readLengthDelimited(), offset: offset))
            case 2:
                try Reader.expect(wireType, .lengthDelimited, field: "trainer_spec", offset: offset)
                trainerSpecOffset = offset
                try readTrainerSpec(bytes: bytes, range: try reader.readLengthDelimited())
            case 3:
                try Reader.expect(wireType, .lengthDelimited, field: "normalizer_spec", offset: offset)
                normalizerSpec = try Self.readNormalizerSpec(bytes: bytes, range: try reader.readLengthDelimited(),
                                                             charsmapOffset: &charsmapOffset)
            case 5:
                try Reader.expect(wireType, .lengthDelimited, field: "denormalizer_spec", offset: offset)
                var ignored = 0
                let spec = try Self.readNormalizerSpec(bytes: bytes, range: try reader.readLengthDelimited(), charsmapOffset: &ignored)
                hasDenormalizerRules = !spec.precompiledCharsmap.isEmpty
            default:
                try reader.skip(wireType)
            }
        }
    }

    static func string(_ bytes: [UInt8], _ range: Range<Int>, field: String, offset: Int) throws(ProtobufWireReader.Failure) -> String {
        guard let text = String(validating: bytes[range], as: UTF8.self) else {
            throw ProtobufWireReader.Failure(offset: offset, reason: "\(field) is not valid UTF-8")
        }
        return text
    }

    static func readPiece(bytes: [UInt8], range: Range<Int>, offset pieceOffset: Int) throws(ProtobufWireReader.Failure) -> RawPiece {
        typealias Reader = ProtobufWireReader
        var reader = Reader(bytes: bytes, range: range)
        var piece = RawPiece()
        piece.offset = pieceOffset
        while !reader.isAtEnd {
            let (field, wireType, offset) = try reader.readKey()
            switch field {
            case 1:
                try Reader.expect(wireType, .lengthDelimited, field: "SentencePiece.piece", offset: offset)
                let range = try reader.readLengthDelimited()
                piece.bytes = Array(bytes[range])
                piece.text = try string(bytes, range, field: "SentencePiece.piece", offset: offset)
            case 2:
                try Reader.expect(wireType, .fixed32, field: "SentencePiece.score", offset: offset)
                piece.score = Float(bitPattern: try reader.readFixed32())
                guard piece.score.isFinite else {
                    throw Reader.Failure(offset: offset, reason: "SentencePiece.score is not finite")
                }
            case 3:
                try Reader.expect(wireType, .varint, field: "SentencePiece.type", offset: offset)
                let raw = try reader.readInt32()
                guard let type = SentencePieceModel.PieceType(rawValue: Int(raw)) else {
                    throw Reader.Failure(offset: offset, reason: "unknown SentencePiece.type \(raw)")
                }
                piece.type = type
            default:
                try reader.skip(wireType)
            }
        }
        return piece
    }

    mutating func readTrainerSpec(bytes: [UInt8], range: Range<Int>) throws(ProtobufWireReader.Failure) {
        typealias Reader = ProtobufWireReader
        var reader = Reader(bytes: bytes, range: range)
        while !reader.isAtEnd {
            let (field, wireType, offset) = try reader.readKey()
            func int32(_ name: String) throws(Reader.Failure) -> Int {
                try Reader.expect(wireType, .varint, field: "trainer_spec.\(name)", offset: offset)
                return Int(try reader.readInt32())
            }
            func bool(_ name: String) throws(Reader.Failure) -> Bool {
                try Reader.expect(wireType, .varint, field: "trainer_spec.\(name)", offset: offset)
                return try reader.readBool()
            }
            switch field {
            case 3:
                let raw = try int32("model_type")
                guard let type = SentencePieceModel.ModelType(rawValue: raw) else {
                    throw Reader.Failure(offset: offset, reason: "unknown trainer_spec.model_type \(raw)")
                }
                trainerSpec.modelType = type
            case 4: trainerSpec.vocabularySize = try int32("vocab_size")
            case 24: trainerSpec.treatWhitespaceAsSuffix = try bool("treat_whitespace_as_suffix")
            case 35: trainerSpec.byteFallback = try bool("byte_fallback")
            case 40: trainerSpec.unknownID = try int32("unk_id")
            case 41: trainerSpec.beginningOfSentenceID = try int32("bos_id")
            case 42: trainerSpec.endOfSentenceID = try int32("eos_id")
            case 43: trainerSpec.paddingID = try int32("pad_id")
            case 44:
                try Reader.expect(wireType, .lengthDelimited, field: "trainer_spec.unk_surface", offset: offset)
                trainerSpec.unknownSurface = try Self.string(bytes, try reader.readLengthDelimited(),
                                                             field: "trainer_spec.unk_surface", offset: offset)
            default:
                try reader.skip(wireType)
            }
        }
    }

    static func readNormalizerSpec(bytes: [UInt8], range: Range<Int>, charsmapOffset: inout Int)
        throws(ProtobufWireReader.Failure) -> SentencePieceModel.NormalizerSpec
    {
        typealias Reader = ProtobufWireReader
        var reader = Reader(bytes: bytes, range: range)
        var spec = SentencePieceModel.NormalizerSpec()
        while !reader.isAtEnd {
            let (field, wireType, offset) = try reader.readKey()
            switch field {
            case 1:
                try Reader.expect(wireType, .lengthDelimited, field: "normalizer_spec.name", offset: offset)
                spec.name = try string(bytes, try reader.readLengthDelimited(), field: "normalizer_spec.name", offset: offset)
            case 2:
                try Reader.expect(wireType, .lengthDelimited, field: "normalizer_spec.precompiled_charsmap", offset: offset)
                let payload = try reader.readLengthDelimited()
                spec.precompiledCharsmap = Array(bytes[payload])
                charsmapOffset = payload.lowerBound
            case 3, 4, 5:
                let names = [3: "add_dummy_prefix", 4: "remove_extra_whitespaces", 5: "escape_whitespaces"]
                try Reader.expect(wireType, .varint, field: "normalizer_spec.\(names[field] ?? "")", offset: offset)
                let value = try reader.readBool()
                switch field {
                case 3: spec.addDummyPrefix = value
                case 4: spec.removeExtraWhitespaces = value
                default: spec.escapeWhitespaces = value
                }
            default:
                try reader.skip(wireType)
            }
        }
        return spec
    }
}
