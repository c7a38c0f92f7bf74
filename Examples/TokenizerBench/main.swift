// TokenizerBench: throughput of CLIPTokenizer on a corpus (one text per line), and a dump mode for
// comparing cleaning and ids with the Python reference (Scripts/compare_tokenizer.py).
//
//   tokenizer-bench bench CORPUS.txt [--repeat N]
//       encodes every line with a fresh tokenizer (cold cache), then again (warm cache), on one
//       thread; prints JSON with tokens, wall and thread-CPU seconds and tokens per second for each
//       pass. Round 0's cold pass also builds the Unicode tables (once per process).
//   tokenizer-bench dump INPUT.jsonl
//       reads {"text": ...} lines, prints {"clean": ..., "ids": [...]} lines (ids = encode()).
import Foundation
import TextTokenizer

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(1)
}

/// CPU time of the calling thread (robust to other processes sharing the machine).
func threadCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func readLines(_ path: String) -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    var lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\n")
    if lines.last == "" { lines.removeLast() }
    return lines
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first, arguments.count >= 2 else {
    fail("usage: tokenizer-bench bench CORPUS.txt [--repeat N] | dump INPUT.jsonl")
}

switch mode {
case "bench":
    let lines = readLines(arguments[1])
    var repeats = 3
    if let index = arguments.firstIndex(of: "--repeat"), index + 1 < arguments.count, let n = Int(arguments[index + 1]) {
        repeats = max(1, n)
    }
    let vocabularyStart = Date()
    let vocabulary: CLIPVocabulary
    do { vocabulary = try CLIPVocabulary.bundled() } catch { fail("\(error)") }
    let vocabularySeconds = Date().timeIntervalSince(vocabularyStart)
    var results: [[String: Any]] = []
    for round in 0..<repeats {
        let tokenizer: CLIPTokenizer
        do { tokenizer = try CLIPTokenizer(vocabulary: vocabulary) } catch { fail("\(error)") }
        for pass in ["cold", "warm"] {
            var tokens = 0
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = threadCPUSeconds()
            for line in lines { tokens += tokenizer.encode(line).count }
            let cpu = threadCPUSeconds() - cpuStart
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            results.append(["round": round, "pass": pass, "lines": lines.count, "tokens": tokens,
                            "seconds": seconds, "tokens_per_second": Double(tokens) / seconds,
                            "cpu_seconds": cpu, "tokens_per_cpu_second": Double(tokens) / cpu])
        }
    }
    let summary: [String: Any] = ["implementation": "swift-clip CLIPTokenizer", "vocabulary_load_seconds": vocabularySeconds,
                                  "runs": results]
    let json = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: json, as: UTF8.self))
case "dump":
    let tokenizer: CLIPTokenizer
    do { tokenizer = try CLIPTokenizer() } catch { fail("\(error)") }
    for line in readLines(arguments[1]) where !line.isEmpty {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let text = object["text"] as? String else { fail("bad input line") }
        let out: [String: Any] = ["clean": tokenizer.clean(text), "ids": tokenizer.encode(text)]
        let json = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
default:
    fail("unknown mode \(mode)")
}
