// open_clip 3.3.0's text cleaning functions (open_clip/tokenizer.py), the `clean` argument of its
// `HFTokenizer` and `SimpleTokenizer`:
//   basic_clean(x)       = html.unescape(html.unescape(ftfy.fix_text(x))).strip()
//   whitespace_clean(x)  = " ".join(x.split()).strip()
//   canonicalize_text(x) = x.replace("_", " ") -> x.translate(no string.punctuation) -> x.lower()
//                          -> " ".join(x.split()).strip()
//   "canonicalize": canonicalize_text(basic_clean(x))
//   "lower":        whitespace_clean(basic_clean(x)).lower()
//   "whitespace":   whitespace_clean(basic_clean(x))
// Python's `str.split()`/`strip()` whitespace and `str.lower()` are Python 3.11.7's (Unicode 14.0.0,
// the tables of Generated/UnicodeTables.swift), applied to Unicode scalars.

/// open_clip's text cleaning functions: what `HFTokenizer(..., clean=...)` (and `SimpleTokenizer`)
/// do to a text before the tokenizer sees it. A checkpoint in open_clip's layout names one in
/// `open_clip_config.json`'s `model_cfg.text_cfg.tokenizer_kwargs.clean` (SigLIP and SigLIP 2:
/// `"canonicalize"`); without it `HFTokenizer` uses ``whitespace``.
///
/// Every function works on Unicode scalars with Python 3.11.7's Unicode data, so `"İ"` lowercases
/// to `"i\u{307}"`, a capital sigma to `"ς"` at the end of a word, and letters added after
/// Unicode 14 stay as they are, exactly as open_clip's Python does.
public enum OpenCLIPTextCleaning: String, Sendable, Equatable, CaseIterable {
    /// `"canonicalize"`: ``basicClean(_:)``, then ``canonicalizeText(_:)`` (underscores made
    /// spaces, ASCII punctuation removed, lowercased, whitespace runs made one space, trimmed).
    /// SigLIP's and SigLIP 2's configurations use it.
    case canonicalize
    /// `"lower"`: ``basicClean(_:)``, whitespace runs made one space and trimmed, then lowercased
    /// (what open_clip's CLIP `SimpleTokenizer` does by default).
    case lower
    /// `"whitespace"`: ``basicClean(_:)``, whitespace runs made one space and trimmed; the default
    /// of open_clip's `HFTokenizer`.
    case whitespace

    /// The cleaning a `tokenizer_kwargs.clean` value names.
    /// - Parameters:
    ///   - name: the value (`"canonicalize"`, `"lower"`, `"whitespace"`); nil (the key is absent)
    ///     gives ``whitespace``, `HFTokenizer`'s default.
    ///   - path: the configuration file named in errors.
    /// - Throws: `TextTokenizerError.invalidSettings` at `tokenizer_kwargs.clean` for another name
    ///   (open_clip fails on it too).
    public init(name: String?, path: String = "open_clip_config.json") throws(TextTokenizerError) {
        guard let name else {
            self = .whitespace
            return
        }
        guard let cleaning = OpenCLIPTextCleaning(rawValue: name) else {
            throw .invalidSettings(path: path, key: "model_cfg.text_cfg.tokenizer_kwargs.clean",
                                   reason: "expected \"canonicalize\", \"lower\" or \"whitespace\", found \(name.debugDescription)")
        }
        self = cleaning
    }

    /// `text` cleaned by this function, as open_clip's `clean_fn(text)` returns it.
    public func clean(_ text: String) -> String {
        CLIPTextCleaner.string(cleanScalars(CLIPTextCleaner.scalars(text)))
    }

    /// open_clip's `basic_clean`: ftfy 6.3.1's `fix_text` (see ``CLIPTextCleaner/fixText(_:)``),
    /// Python's `html.unescape` twice, then `str.strip()`.
    public static func basicClean(_ text: String) -> String {
        CLIPTextCleaner.string(basicCleanScalars(CLIPTextCleaner.scalars(text)))
    }

    /// open_clip's `canonicalize_text` (from big_vision) alone: `"_"` replaced by a space, the 32
    /// characters of Python's `string.punctuation` removed, `str.lower()`, `" ".join(text.split())`,
    /// `str.strip()`. Non-ASCII punctuation (`¿`, `—`, `、`) is kept.
    public static func canonicalizeText(_ text: String) -> String {
        CLIPTextCleaner.string(canonicalizeScalars(CLIPTextCleaner.scalars(text)))
    }

    func cleanScalars(_ text: [UInt32]) -> [UInt32] {
        let basic = Self.basicCleanScalars(text)
        switch self {
        case .canonicalize: return Self.canonicalizeScalars(basic)
        case .lower: return Normalization.lowercased(CLIPTextCleaner.collapseWhitespace(basic))
        case .whitespace: return CLIPTextCleaner.collapseWhitespace(basic)
        }
    }

    static func basicCleanScalars(_ text: [UInt32]) -> [UInt32] {
        let fixed = TextFixer.fixText(text)
        return stripped(HTMLUnescaper.pythonUnescape(HTMLUnescaper.pythonUnescape(fixed)))
    }

    static func canonicalizeScalars(_ text: [UInt32]) -> [UInt32] {
        // In Python's order: the Final_Sigma rule of lower() sees the text after the underscores
        // became spaces and the punctuation went ("ΑΣ_Β" ends a word, "ΑΣ'Β" does not).
        var kept: [UInt32] = []
        kept.reserveCapacity(text.count)
        for scalar in text {
            if scalar == 0x5F {
                kept.append(0x20)
            } else if !isASCIIPunctuation(scalar) {
                kept.append(scalar)
            }
        }
        return CLIPTextCleaner.collapseWhitespace(Normalization.lowercased(kept))
    }

    /// A member of Python's `string.punctuation` (``!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~``).
    static func isASCIIPunctuation(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: return true
        default: return false
        }
    }

    /// `str.strip()`: Python's whitespace removed at both ends.
    static func stripped(_ text: [UInt32]) -> [UInt32] {
        var start = 0
        var end = text.count
        while start < end && isPythonSpace(text[start]) { start += 1 }
        while end > start && isPythonSpace(text[end - 1]) { end -= 1 }
        return start == 0 && end == text.count ? text : Array(text[start..<end])
    }

    /// `str.isspace()` of one scalar (Python 3.11.7).
    static func isPythonSpace(_ scalar: UInt32) -> Bool {
        if scalar < 0x80 {
            return scalar == 0x20 || (scalar >= 0x09 && scalar <= 0x0D) || (scalar >= 0x1C && scalar <= 0x1F)
        }
        return UnicodeData.shared.flags(scalar).contains(.space)
    }
}
