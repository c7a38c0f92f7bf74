/// A JSON text that breaks the grammar (or a limit of ``StrictJSONReader``), with the byte offset
/// of the problem.
///
/// Each module turns it into its own typed error (naming its file), keeping ``problem`` and
/// ``offset`` rather than only the text, so it can word or place a problem its own way.
package struct JSONSyntaxError: Error, Equatable, Sendable {
    /// What is wrong.
    package enum Problem: Equatable, Sendable {
        /// A value or punctuation other than the one the grammar (or the caller) expects here,
        /// described in words: `expected ':' after key, found a number`.
        case unexpected(String)
        /// Objects and arrays nest deeper than the reader's limit.
        case nestingTooDeep(limit: Int)
        /// An object repeats a key (keys compare as Swift strings).
        case duplicateKey(String)
        /// `t`, `f` or `n` that does not begin `true`, `false` or `null`.
        case invalidLiteral(expected: String)
        /// The text ends inside a string.
        case unterminatedString
        /// A string's bytes (after unescaping) are not valid UTF-8.
        case invalidUTF8
        /// A byte below 0x20 inside a string.
        case unescapedControlCharacter
        /// A backslash followed by this byte, which starts no escape.
        case invalidEscape(UInt8)
        /// A `\u` escape with fewer than four characters left in the text.
        case truncatedUnicodeEscape
        /// A `\u` escape with a character that is not a hexadecimal digit.
        case invalidHexDigit
        /// A `\u` high surrogate not followed by a second `\u` escape.
        case unpairedHighSurrogate
        /// A `\u` high surrogate followed by a `\u` escape that is not a low surrogate.
        case highSurrogateBeforeNonLowSurrogate
        /// A `\u` low surrogate without a high surrogate before it.
        case unpairedLowSurrogate
        /// A `-` without a digit after it.
        case invalidNumber
        /// A number whose integer part starts with `0` and has more digits.
        case leadingZero
        /// A `.` without a digit after it.
        case noDigitAfterPoint
        /// An exponent without a digit.
        case noDigitInExponent
        /// A number too large for a `Double` (only where a value is built, ``JSONValue``).
        case numberOutOfRange
    }

    /// What is wrong.
    package var problem: Problem
    /// The byte offset (from the start of the text) of the character or token at fault: the
    /// opening quote of a bad string, the backslash of a bad escape, the first byte of a number.
    package var offset: Int

    /// An error for `problem` at `offset`.
    @inlinable
    package init(_ problem: Problem, at offset: Int) {
        self.problem = problem
        self.offset = offset
    }

    /// The problem in words, without the offset: `unterminated string`.
    package var message: String {
        switch problem {
        case let .unexpected(text): return text
        case let .nestingTooDeep(limit): return "nesting deeper than \(limit) levels"
        case let .duplicateKey(key): return "duplicate key \(key.quotedForMessage)"
        case let .invalidLiteral(expected): return "invalid literal (expected \(expected))"
        case .unterminatedString: return "unterminated string"
        case .invalidUTF8: return "string is not valid UTF-8"
        case .unescapedControlCharacter: return "unescaped control character in string"
        case let .invalidEscape(byte): return "invalid escape \\\(JSONScanner.describe(byte: byte))"
        case .truncatedUnicodeEscape: return "truncated \\u escape"
        case .invalidHexDigit: return "invalid hex digit in \\u escape"
        case .unpairedHighSurrogate, .highSurrogateBeforeNonLowSurrogate: return "unpaired high surrogate in \\u escape"
        case .unpairedLowSurrogate: return "unpaired low surrogate in \\u escape"
        case .invalidNumber: return "invalid number"
        case .leadingZero: return "number with a leading zero"
        case .noDigitAfterPoint: return "invalid number: no digit after '.'"
        case .noDigitInExponent: return "invalid number: no digit in exponent"
        case .numberOutOfRange: return "number out of range"
        }
    }
}
