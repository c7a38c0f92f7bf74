// The CLIP tokenizer (bundled vocabulary) on arbitrary bytes, read as UTF-8 with replacement as
// callers' strings are: every text gives at most the context length of ids, from the start token
// to the end token, and the ids of `encode(_:)` decode.
import FuzzSupport
import TextTokenizer

enum Harness {
    static let tokenizer: CLIPTokenizer? = try? CLIPTokenizer()
}

func fuzzTokenizer(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let tokenizer = Harness.tokenizer else {
        fuzzCheck(false, "the bundled vocabulary does not load")
        return 0
    }
    let text = String(decoding: FuzzInput(start, count).bytes, as: UTF8.self)
    let ids = tokenizer.tokenize(text)
    fuzzCheck(ids.count >= 2 && ids.count <= tokenizer.contextLength, "tokenize(_:) gave \(ids.count) ids")
    fuzzCheck(ids.first == tokenizer.startOfTextID, "the first id is not the start token")
    fuzzCheck(ids.last == tokenizer.endOfTextID, "the last id is not the end token")
    let encoded = tokenizer.encode(text)
    fuzzCheck((try? tokenizer.decode(encoded)) != nil, "encode(_:)'s ids do not decode")
    _ = tokenizer.clean(text)
    return 0
}

runFuzzer { data, size in fuzzTokenizer(data, size) }
