// The pipeline steps of a Hugging Face `tokenizers` JSON file that this module implements, on text
// held as Unicode scalar values (`[UInt32]`). Each mirrors the `tokenizers` component of the same name
// as far as the ids (not the offsets) are concerned.

/// A `tokenizers` normalizer: rewrites each piece of text between added tokens.
enum TokenizerNormalizer: Equatable, Sendable {
    /// `Replace` with a literal pattern: every non-overlapping occurrence, left to right.
    case replace(pattern: [UInt32], content: [UInt32])
    /// `Prepend`: the text is prefixed when it is not empty.
    case prepend([UInt32])
    /// `Lowercase`: Unicode lowercase mapping of each scalar (Rust's `char::to_lowercase`, so a
    /// capital sigma always becomes σ).
    case lowercase
    /// `NFC`.
    case nfc
    /// `Strip`: whitespace removed at the left and/or right.
    case strip(left: Bool, right: Bool)
    /// `Sequence`: each in turn.
    case sequence([TokenizerNormalizer])

    func apply(_ text: [UInt32]) -> [UInt32] {
        switch self {
        case let .replace(pattern, content):
            return TextScalars.replacing(pattern, with: content, in: text)
        case let .prepend(prefix):
            return text.isEmpty ? text : prefix + text
        case .lowercase:
            var output: [UInt32] = []
            output.reserveCapacity(text.count)
            for scalar in text {
                if scalar < 0x80 {
                    output.append(scalar >= 0x41 && scalar <= 0x5A ? scalar + 0x20 : scalar)
                } else {
                    output.append(contentsOf: Normalization.lowercased([scalar]))
                }
            }
            return output
        case .nfc:
            return Normalization.nfc(text)
        case let .strip(left, right):
            var lower = 0, upper = text.count
            if left { while lower < upper && TextScalars.isWhitespace(text[lower]) { lower += 1 } }
            if right { while upper > lower && TextScalars.isWhitespace(text[upper - 1]) { upper -= 1 } }
            return Array(text[lower..<upper])
        case let .sequence(steps):
            return steps.reduce(text) { $1.apply($0) }
        }
    }
}

/// How `Split` keeps the matches of its pattern (the `tokenizers` `SplitDelimiterBehavior`).
enum SplitBehavior: String, Equatable, Sendable, CaseIterable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"
}

/// When `Metaspace` puts its replacement character in front of a word.
enum PrependScheme: String, Equatable, Sendable {
    case always, never, first
}

/// A `tokenizers` pre-tokenizer: cuts normalized text into words that the model encodes separately.
enum TokenizerPreTokenizer: Equatable, Sendable {
    /// `Split` with a literal pattern (not inverted).
    case split(pattern: [UInt32], behavior: SplitBehavior)
    /// `Metaspace`: spaces become `replacement`, which is prepended per `prependScheme` and, when
    /// `split`, starts each word.
    case metaspace(replacement: UInt32, prependScheme: PrependScheme, split: Bool)
    /// `Sequence`: each splits the words of the one before.
    case sequence([TokenizerPreTokenizer])

    /// The words of `text`; `isFirst` tells whether the text starts the input (for `first`).
    func apply(_ words: [[UInt32]], isFirst: Bool) -> [[UInt32]] {
        switch self {
        case let .split(pattern, behavior):
            return words.flatMap { TextScalars.split($0, on: pattern, behavior: behavior) }
        case let .metaspace(replacement, scheme, split):
            return words.enumerated().flatMap { index, word -> [[UInt32]] in
                var replaced = word.map { $0 == 0x20 ? replacement : $0 }
                let prepend: Bool
                switch scheme {
                case .always: prepend = true
                case .never: prepend = false
                case .first: prepend = isFirst && index == 0
                }
                if prepend && replaced.first != replacement { replaced.insert(replacement, at: 0) }
                return split ? TextScalars.split(replaced, on: [replacement], behavior: .mergedWithNext) : [replaced]
            }
        case let .sequence(steps):
            return steps.reduce(words) { $1.apply($0, isFirst: isFirst) }
        }
    }
}

/// A `tokenizers` decoder step, applied to the list of token strings.
enum TokenizerDecoder: Equatable, Sendable {
    /// `Replace` with a literal pattern, in each token.
    case replace(pattern: [UInt32], content: [UInt32])
    /// `ByteFallback`: runs of `<0xXX>` tokens become the text of their bytes, or one U+FFFD per
    /// byte token when those bytes are not valid UTF-8.
    case byteFallback
    /// `Fuse`: all tokens joined into one.
    case fuse
    /// `Strip`: up to `start` leading and `stop` trailing `content` characters removed from each token.
    case strip(content: UInt32, start: Int, stop: Int)
    /// `Sequence`: each in turn.
    case sequence([TokenizerDecoder])

    func apply(_ tokens: [[UInt32]]) -> [[UInt32]] {
        switch self {
        case let .replace(pattern, content):
            return tokens.map { TextScalars.replacing(pattern, with: content, in: $0) }
        case .byteFallback:
            var output: [[UInt32]] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if let text = UTF8Codec.decodeStrict(pending[...]) {
                    output.append(text)
                } else {
                    output.append(contentsOf: repeatElement([0xFFFD], count: pending.count))
                }
                pending.removeAll(keepingCapacity: true)
            }
            for token in tokens {
                if let byte = TextScalars.byteToken(token) {
                    pending.append(byte)
                } else {
                    flush()
                    output.append(token)
                }
            }
            flush()
            return output
        case .fuse:
            return [tokens.flatMap { $0 }]
        case let .strip(content, start, stop):
            return tokens.map { token in
                var lower = 0, upper = token.count
                while lower < min(start, upper) && token[lower] == content { lower += 1 }
                var removed = 0
                while removed < stop && upper > lower && token[upper - 1] == content { upper -= 1; removed += 1 }
                return Array(token[lower..<upper])
            }
        case let .sequence(steps):
            return steps.reduce(tokens) { $1.apply($0) }
        }
    }
}

/// A `TemplateProcessing` post-processor for single texts: the ids around the text's ids.
struct TokenizerTemplate: Equatable, Sendable {
    /// The ids before the text's.
    var prefix: [Int]
    /// The ids after the text's.
    var suffix: [Int]

    /// No special tokens (a file without a post-processor).
    static let empty = TokenizerTemplate(prefix: [], suffix: [])

    /// How many ids the template adds.
    var count: Int { prefix.count + suffix.count }
}

/// Helpers on scalar arrays.
enum TextScalars {
    /// The scalars of `string`.
    static func of(_ string: String) -> [UInt32] { string.unicodeScalars.map(\.value) }

    /// The string of `scalars` (values that are not scalars become U+FFFD; none arise from valid input).
    static func string(_ scalars: [UInt32]) -> String {
        var result = String.UnicodeScalarView()
        for value in scalars { result.append(Unicode.Scalar(value) ?? "\u{FFFD}") }
        return String(result)
    }

    /// Rust's `char::is_whitespace` (Unicode White_Space).
    static func isWhitespace(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// The byte of a `<0xXX>` token (two upper- or lower-case hexadecimal digits), else nil.
    static func byteToken(_ token: [UInt32]) -> UInt8? {
        guard token.count == 6, token[0] == 0x3C, token[1] == 0x30, token[2] == 0x78, token[5] == 0x3E,
              let high = hexDigit(token[3]), let low = hexDigit(token[4]) else { return nil }
        return high << 4 | low
    }

    private static func hexDigit(_ scalar: UInt32) -> UInt8? {
        switch scalar {
        case 0x30...0x39: return UInt8(scalar - 0x30)
        case 0x41...0x46: return UInt8(scalar - 0x41 + 10)
        case 0x61...0x66: return UInt8(scalar - 0x61 + 10)
        default: return nil
        }
    }

    /// Whether `pattern` occurs in `text` at `index`.
    static func matches(_ pattern: [UInt32], in text: [UInt32], at index: Int) -> Bool {
        guard !pattern.isEmpty, text.count - index >= pattern.count else { return false }
        for k in 0..<pattern.count where text[index + k] != pattern[k] { return false }
        return true
    }

    /// The ranges of the non-overlapping occurrences of `pattern`, left to right.
    static func occurrences(of pattern: [UInt32], in text: [UInt32]) -> [Range<Int>] {
        guard !pattern.isEmpty else { return [] }
        var ranges: [Range<Int>] = []
        var index = 0
        while index + pattern.count <= text.count {
            if matches(pattern, in: text, at: index) {
                ranges.append(index..<index + pattern.count)
                index += pattern.count
            } else {
                index += 1
            }
        }
        return ranges
    }

    /// `text` with every occurrence of `pattern` replaced by `content`.
    static func replacing(_ pattern: [UInt32], with content: [UInt32], in text: [UInt32]) -> [UInt32] {
        if pattern.count == 1 && content.count == 1 {
            let from = pattern[0], to = content[0]
            return text.map { $0 == from ? to : $0 }
        }
        let ranges = occurrences(of: pattern, in: text)
        guard !ranges.isEmpty else { return text }
        var output: [UInt32] = []
        output.reserveCapacity(text.count)
        var last = 0
        for range in ranges {
            output.append(contentsOf: text[last..<range.lowerBound])
            output.append(contentsOf: content)
            last = range.upperBound
        }
        output.append(contentsOf: text[last...])
        return output
    }

    /// The pieces of `text` around the occurrences of `pattern`, kept as `behavior` says; empty
    /// pieces are dropped.
    static func split(_ text: [UInt32], on pattern: [UInt32], behavior: SplitBehavior) -> [[UInt32]] {
        let ranges = occurrences(of: pattern, in: text)
        guard !ranges.isEmpty else { return text.isEmpty ? [] : [text] }
        // Pieces as (range, isMatch), covering the text.
        var pieces: [(Range<Int>, Bool)] = []
        var last = 0
        for range in ranges {
            if range.lowerBound > last { pieces.append((last..<range.lowerBound, false)) }
            pieces.append((range, true))
            last = range.upperBound
        }
        if last < text.count { pieces.append((last..<text.count, false)) }
        var output: [Range<Int>] = []
        switch behavior {
        case .removed:
            output = pieces.filter { !$0.1 }.map(\.0)
        case .isolated:
            output = pieces.map(\.0)
        case .contiguous:
            var previousWasMatch = false
            for (range, isMatch) in pieces {
                if isMatch && previousWasMatch, let end = output.popLast() {
                    output.append(end.lowerBound..<range.upperBound)
                } else {
                    output.append(range)
                }
                previousWasMatch = isMatch
            }
        case .mergedWithPrevious:
            var previousWasMatch = false
            for (range, isMatch) in pieces {
                if isMatch && !previousWasMatch, let end = output.popLast() {
                    output.append(end.lowerBound..<range.upperBound)
                } else {
                    output.append(range)
                }
                previousWasMatch = isMatch
            }
        case .mergedWithNext:
            var pendingStart: Int?
            for (range, isMatch) in pieces {
                if isMatch {
                    if let start = pendingStart { output.append(start..<range.lowerBound) }
                    pendingStart = range.lowerBound
                } else {
                    output.append((pendingStart ?? range.lowerBound)..<range.upperBound)
                    pendingStart = nil
                }
            }
            if let start = pendingStart { output.append(start..<text.count) }
        }
        return output.filter { !$0.isEmpty }.map { Array(text[$0]) }
    }
}
