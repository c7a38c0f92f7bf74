// The strict JSON reader and the configuration files read through it, on arbitrary bytes. The
// first byte picks the reader; the rest is the file. A configuration that decodes is also asked
// for the architecture it describes (the size checks).
import CLIPModels
import CLIPSupport
import Foundation
import FuzzSupport
import ImageProcessing
import TextTokenizer

func fuzzJSON(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let (selector, rest) = FuzzInput(start, count).selectorAndRest else { return 0 }
    let data = Data(rest)
    switch selector % 8 {
    case 0:
        if let value = try? rest.withUnsafeBytes({ try JSONValue(parsing: $0) }) {
            // Anything that parses must parse the same way through Foundation's decoder.
            let viaDecoder = try? JSONDecoder().decode(JSONValue.self, from: data)
            if let viaDecoder { fuzzCheck(viaDecoder == value, "JSONValue(parsing:) and JSONDecoder disagree") }
        }
    case 1:
        if let configuration = try? decodeConfiguration(HuggingFaceCLIPConfiguration.self, from: data, file: "config.json") {
            _ = try? configuration.architecture()
        }
    case 2:
        if let configuration = try? decodeConfiguration(HuggingFaceSiglipConfiguration.self, from: data, file: "config.json") {
            _ = try? configuration.architecture()
        }
    case 3:
        if let configuration = try? OpenCLIPConfiguration(data: data, file: "open_clip_config.json") {
            _ = try? configuration.modelConfiguration.architecture()
        }
    case 4:
        _ = try? PreprocessingConfiguration(openCLIPJSON: data, file: "open_clip_config.json")
    case 5:
        _ = try? PreprocessingConfiguration(transformersJSON: data, file: "preprocessor_config.json")
    case 6:
        _ = try? SiglipTokenizerSettings(data: data, path: "tokenizer_config.json")
    default:
        _ = try? GemmaTokenizerSettings(data: data, path: "tokenizer_config.json")
    }
    return 0
}

runFuzzer { data, size in fuzzJSON(data, size) }
