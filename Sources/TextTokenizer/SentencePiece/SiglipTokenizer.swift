import CLIPSupport
import Foundation

/// SigLIP's text tokenizer: transformers 5.24's `SiglipTokenizer` (as
/// `AutoTokenizer.from_pretrained` loads it for a folder with `spiece.model` and a
/// `tokenizer_config.json` naming `SiglipTokenizer`), called as
/// `tokenizer(texts, padding="max_length", max_length=64, truncation=True)`.
///
/// Per text: U+2581 becomes a space and one U+2581 is put in front; the text is split around
/// the special tokens (`</s>`, `<unk>`; whitespace beside them dropped); each other part is
/// lowercased (`do_lower_case`), stripped of ASCII punctuation, whitespace runs collapsed to one
/// space and trimmed, then encoded by the SentencePiece model behind an `<unk>` prefix whose
/// pieces are dropped again. ``tokenize(_:)`` keeps the first `contextLength - 1` ids, appends
/// `</s>` unless the last kept id already is `</s>`, and pads with the pad id (`</s>`, 1 in
/// SigLIP) to exactly `contextLength` ids.
public struct SiglipTokenizer: TextTokenizing {
    /// The SentencePiece model (with the dummy prefix off when the settings say `legacy: false`).
    public let model: SentencePieceModel
    /// The settings it was made with.
    public let settings: SiglipTokenizerSettings
    /// The number of ids ``tokenize(_:)`` returns (padded): `model_max_length` unless given.
    public let contextLength: Int
    /// The id appended to every text (`</s>`).
    public let endOfSequenceID: Int
    /// The id padding fills with (`</s>` for SigLIP, the same as ``endOfSequenceID``).
    public let paddingID: Int
    /// The id of unknown text (`<unk>`).
    public let unknownID: Int

    private struct Special {
        let scalars: [Unicode.Scalar]
        let text: String
        let id: Int
        let stripsLeft: Bool
        let stripsRight: Bool
    }

    /// Special tokens, longest first (for leftmost-longest matching).
    private let specials: [Special]
    /// Special token text → id (transformers' added-token encoder).
    private let specialIDs: [String: Int]
    private let specialByID: [Int: String]
    /// How many pieces the model gives the unknown token's text alone.
    private let unknownPrefixLength: Int

    /// Makes the tokenizer.
    /// - Parameters:
    ///   - model: The `spiece.model` of the checkpoint.
    ///   - settings: Its `tokenizer_config.json` (defaults: SigLIP's).
    ///   - contextLength: The padded length of ``tokenize(_:)``; nil: `settings.modelMaxLength`.
    /// - Throws: `TextTokenizerError.invalidContextLength` for a context length below 1 or above
    ///   65,536 (rows are padded to it);
    ///   `TextTokenizerError.unsupportedTokenizer` when a special token of the settings is not a
    ///   piece of the model (transformers would append it to the vocabulary).
    public init(model: SentencePieceModel, settings: SiglipTokenizerSettings = SiglipTokenizerSettings(),
                contextLength: Int? = nil) throws {
        let length = contextLength ?? settings.modelMaxLength
        // Every row is padded to this length: bound it (a `model_max_length` of 10^14 in a
        // tokenizer_config.json would ask for terabytes).
        guard length >= 1, length <= paddedContextLengthLimit else { throw TextTokenizerError.invalidContextLength(length) }
        self.model = settings.legacy ? model : model.withoutDummyPrefix()
        self.settings = settings
        self.contextLength = length

        var specialIDs: [String: Int] = [:]
        var specials: [Special] = []
        let tokens = [settings.endOfSequenceToken, settings.unknownToken, settings.paddingToken] + settings.additionalSpecialTokens
        for token in tokens where specialIDs[token.content] == nil && !token.content.isEmpty {
            let id = model.pieceID(token.content)
            guard model.pieces[id].text == token.content else {
                throw TextTokenizerError.unsupportedTokenizer(
                    path: "tokenizer_config.json",
                    reason: "special token \(token.content.debugDescription) is not a piece of the SentencePiece model")
            }
            specialIDs[token.content] = id
            specials.append(Special(scalars: Array(token.content.unicodeScalars), text: token.content, id: id,
                                    stripsLeft: token.stripsLeft, stripsRight: token.stripsRight))
        }
        self.specials = specials.sorted { $0.scalars.count > $1.scalars.count }
        self.specialIDs = specialIDs
        self.specialByID = Dictionary(specialIDs.map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        self.endOfSequenceID = specialIDs[settings.endOfSequenceToken.content] ?? model.unknownID
        self.paddingID = specialIDs[settings.paddingToken.content] ?? model.unknownID
        self.unknownID = specialIDs[settings.unknownToken.content] ?? model.unknownID
        self.unknownPrefixLength = self.model.encodePieces(settings.unknownToken.content).count
    }

    /// Reads `spiece.model` and (optionally) `tokenizer_config.json`.
    /// - Throws: as ``SentencePieceModel/init(contentsOf:)``, ``SiglipTokenizerSettings/init(data:path:)``
    ///   and ``init(model:settings:contextLength:)``; `TextTokenizerError.unreadableFile`.
    public init(modelURL: URL, settingsURL: URL?, contextLength: Int? = nil) throws {
        let model = try SentencePieceModel(contentsOf: modelURL)
        var settings = SiglipTokenizerSettings()
        if let settingsURL {
            let data: Data
            do {
                data = try BoundedFile.contents(of: settingsURL, limit: BoundedFile.configurationLimit)
            } catch {
                throw TextTokenizerError.unreadableFile(path: settingsURL.path, reason: "\(error)")
            }
            settings = try SiglipTokenizerSettings(data: data, path: settingsURL.path)
        }
        try self.init(model: model, settings: settings, contextLength: contextLength)
    }

    private enum Chunk {
        case text(ArraySlice<Unicode.Scalar>)
        case special(Int)
    }

    /// The token strings transformers' `tokenize(text)` returns, as piece bytes or special ids.
    private func tokens(_ text: String) -> [(bytes: [UInt8], special: Int?)] {
        var scalars: [Unicode.Scalar] = ["\u{2581}"]
        for scalar in text.unicodeScalars { scalars.append(scalar == "\u{2581}" ? " " : scalar) }

        // Split around special tokens (leftmost, then longest).
        var chunks: [Chunk] = []
        var textStart = 0
        var index = 0
        while index < scalars.count {
            var matched: Int?
            for (number, special) in specials.enumerated() {
                let count = special.scalars.count
                if index + count <= scalars.count && scalars[index..<(index + count)].elementsEqual(special.scalars) {
                    matched = number
                    break
                }
            }
            if let matched {
                if textStart < index { chunks.append(.text(scalars[textStart..<index])) }
                chunks.append(.special(matched))
                index += specials[matched].scalars.count
                textStart = index
            } else {
                index += 1
            }
        }
        if textStart < scalars.count { chunks.append(.text(scalars[textStart..<scalars.count])) }

        // Whitespace beside special tokens.
        for position in chunks.indices {
            guard case let .special(number) = chunks[position] else { continue }
            let special = specials[number]
            if special.stripsRight, position + 1 < chunks.count, case let .text(right) = chunks[position + 1] {
                chunks[position + 1] = .text(PythonText.stripped(right, trailing: false))
            }
            if special.stripsLeft, position > 0, case let .text(left) = chunks[position - 1] {
                chunks[position - 1] = .text(PythonText.stripped(left, leading: false))
            }
        }

        var result: [(bytes: [UInt8], special: Int?)] = []
        for chunk in chunks {
            switch chunk {
            case let .special(number):
                result.append((Array(specials[number].text.utf8), specials[number].id))
            case let .text(part):
                guard !part.isEmpty else { continue }
                let canonical = canonicalize(part)
                let pieces = model.encodePieces(settings.unknownToken.content + canonical)
                let kept = pieces.count >= unknownPrefixLength ? pieces.dropFirst(unknownPrefixLength) : pieces[...]
                for piece in kept {
                    let text = String(decoding: piece.bytes, as: UTF8.self)
                    result.append((piece.bytes, specialIDs[text]))
                }
            }
        }
        if result.count > 1, result[0].bytes == SentencePieceNormalizer.spaceSymbol,
           specialIDs[String(decoding: result[1].bytes, as: UTF8.self)] != nil {
            result.removeFirst()
        }
        return result
    }

    /// `canonicalize_text`: lowercased (if set), ASCII punctuation removed, whitespace runs made
    /// one space, trimmed.
    func canonicalize(_ part: ArraySlice<Unicode.Scalar>) -> String {
        let lowered = settings.lowercases ? PythonText.lowercased(Array(part)) : Array(part)
        var output = String.UnicodeScalarView()
        var inSpace = false
        for scalar in lowered where !PythonText.isASCIIPunctuation(scalar) {
            if PythonText.isSpace(scalar) {
                if !inSpace { output.append(" ") }
                inSpace = true
            } else {
                output.append(scalar)
                inSpace = false
            }
        }
        var text = String(output)
        while text.unicodeScalars.first == " " { text.unicodeScalars.removeFirst() }
        while text.unicodeScalars.last == " " { text.unicodeScalars.removeLast() }
        return text
    }

    /// The ids of `text` without `</s>`, truncation or padding
    /// (`tokenizer(text, add_special_tokens=False)["input_ids"]`); any length.
    public func encode(_ text: String) -> [Int] {
        tokens(text).map { $0.special ?? model.pieceID(bytes: $0.bytes) }
    }

    /// Exactly ``contextLength`` ids: `tokenizer(text, padding="max_length",
    /// max_length=contextLength, truncation=True)["input_ids"]`.
    public func tokenize(_ text: String) -> [Int] {
        padded(encode(text), length: contextLength)
    }

    /// Exactly `contextLength` ids, as ``tokenize(_:)``.
    /// - Throws: `TextTokenizerError.invalidContextLength` when `contextLength` is below 1.
    public func tokenize(_ text: String, contextLength: Int) throws -> [Int] {
        guard contextLength >= 1 else { throw TextTokenizerError.invalidContextLength(contextLength) }
        return padded(encode(text), length: contextLength)
    }

    private func padded(_ ids: [Int], length: Int) -> [Int] {
        var kept = Array(ids.prefix(length - 1))
        if kept.last != endOfSequenceID { kept.append(endOfSequenceID) }
        kept.append(contentsOf: repeatElement(paddingID, count: max(0, length - kept.count)))
        return kept
    }

    /// The text `tokenizer.decode(ids, skip_special_tokens=False)` returns: special tokens
    /// written as their text (a space before a run of them), other pieces decoded by
    /// sentencepiece, the result trimmed, then (if ``SiglipTokenizerSettings/cleansUpTokenizationSpaces``)
    /// transformers' `clean_up_tokenization`. Padding is not removed (it is `</s>`).
    /// - Throws: `TextTokenizerError.unknownTokenID` for an id outside the vocabulary.
    public func decode(_ ids: [Int]) throws -> String {
        var output = ""
        var pending: [[UInt8]] = []
        var previousIsSpecial = false
        for id in ids {
            guard id >= 0, id < model.pieces.count else { throw TextTokenizerError.unknownTokenID(id) }
            if let special = specialByID[id] {
                if !previousIsSpecial { output += " " }
                output += model.decode(pieceBytes: pending) + special
                pending.removeAll()
                previousIsSpecial = true
            } else {
                pending.append(model.pieceBytes[id])
                previousIsSpecial = false
            }
        }
        output += model.decode(pieceBytes: pending)
        var text = String(String.UnicodeScalarView(PythonText.stripped(Array(output.unicodeScalars)[...])))
        if settings.cleansUpTokenizationSpaces {
            for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                               (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
                text = Self.replacingScalars(text, from, to)
            }
        }
        return text
    }

    /// `str.replace` on Unicode scalars (Swift's `replacingOccurrences` compares characters).
    static func replacingScalars(_ text: String, _ target: String, _ replacement: String) -> String {
        let source = Array(text.unicodeScalars)
        let pattern = Array(target.unicodeScalars)
        var output = String.UnicodeScalarView()
        var index = 0
        while index < source.count {
            if index + pattern.count <= source.count && source[index..<(index + pattern.count)].elementsEqual(pattern) {
                output.append(contentsOf: replacement.unicodeScalars)
                index += pattern.count
            } else {
                output.append(source[index])
                index += 1
            }
        }
        return String(output)
    }
}
