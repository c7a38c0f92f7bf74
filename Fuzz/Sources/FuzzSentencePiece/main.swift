// The SentencePiece (`spiece.model`, protobuf) and Gemma `tokenizer.json` readers on arbitrary
// bytes: the first byte picks the reader. A model that loads must tokenize and decode text.
import Foundation
import FuzzSupport
import TextTokenizer

func fuzzSentencePiece(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let (selector, rest) = FuzzInput(start, count).selectorAndRest else { return 0 }
    let texts = ["a photo of a cat.", "  Ünïcödé 😀\u{0301} </s> x", String(decoding: rest.prefix(64), as: UTF8.self)]
    if selector % 2 == 0 {
        guard let model = try? SentencePieceModel(data: Data(rest), path: "spiece.model") else { return 0 }
        guard let tokenizer = try? SiglipTokenizer(model: model, contextLength: 16) else { return 0 }
        for text in texts {
            let ids = tokenizer.tokenize(text)
            fuzzCheck(ids.count == 16, "tokenize(_:) gave \(ids.count) ids, not the context length")
            _ = try? tokenizer.decode(tokenizer.encode(text))
        }
    } else {
        guard let tokenizer = try? GemmaTokenizer(tokenizerJSONData: Data(rest), path: "tokenizer.json", contextLength: 16)
        else { return 0 }
        for text in texts {
            let ids = tokenizer.tokenize(text)
            fuzzCheck(ids.count == 16, "tokenize(_:) gave \(ids.count) ids, not the context length")
            _ = try? tokenizer.decode(tokenizer.encode(text))
        }
    }
    return 0
}

runFuzzer { data, size in fuzzSentencePiece(data, size) }
