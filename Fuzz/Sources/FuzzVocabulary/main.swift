// The BPE vocabulary readers on arbitrary bytes: the first byte picks open_clip's merges file
// (plain or gzip), Hugging Face's vocab.json + merges.txt (the rest cut at the first NUL byte) or
// a tokenizer.json. A vocabulary that loads must tokenize (start, at most the context length, end) and decode text.
import Foundation
import FuzzSupport
import TextTokenizer

func fuzzVocabulary(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    guard let (selector, rest) = input.selectorAndRest else { return 0 }
    let vocabulary: CLIPVocabulary?
    switch selector % 3 {
    case 0:
        vocabulary = try? CLIPVocabulary(bpeFile: FuzzScratch.file("bpe.txt", rest), mergeLimit: 4096)
    case 1:
        let (json, merges) = input.split(at: [0], from: 1)
        vocabulary = try? CLIPVocabulary(vocabularyJSON: FuzzScratch.file("vocab.json", json),
                                         merges: FuzzScratch.file("merges.txt", merges))
    default:
        vocabulary = try? CLIPVocabulary(tokenizerJSON: FuzzScratch.file("tokenizer.json", rest))
    }
    guard let vocabulary, let tokenizer = try? CLIPTokenizer(vocabulary: vocabulary, contextLength: 16) else { return 0 }
    for text in ["a photo of a cat.", "Ünïcödé 😀 <|endoftext|> x", String(decoding: rest.prefix(64), as: UTF8.self)] {
        let ids = tokenizer.tokenize(text)
        fuzzCheck(ids.count >= 2 && ids.count <= 16 && ids.first == tokenizer.startOfTextID && ids.last == tokenizer.endOfTextID,
                  "tokenize(_:) gave \(ids), not start, at most 14 ids, end")
        _ = try? tokenizer.decode(tokenizer.encode(text))
    }
    return 0
}

runFuzzer { data, size in fuzzVocabulary(data, size) }
