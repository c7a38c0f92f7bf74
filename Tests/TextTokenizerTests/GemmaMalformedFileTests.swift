import Foundation
import Testing
@testable import TextTokenizer

@Suite struct GemmaMalformedFileTests {
    /// A small valid file; each case edits it.
    static let base = #"""
    {"version":"1.0","truncation":null,"padding":null,
     "added_tokens":[{"id":0,"content":"<pad>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}],
     "normalizer":{"type":"Replace","pattern":{"String":" "},"content":"▁"},"pre_tokenizer":null,
     "post_processor":{"type":"TemplateProcessing","single":[{"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"<eos>","type_id":0}}],"pair":[],"special_tokens":{"<eos>":{"id":"<eos>","ids":[1],"tokens":["<eos>"]}}},
     "decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"}]},
     "model":{"type":"BPE","dropout":null,"unk_token":"<unk>","fuse_unk":true,"byte_fallback":true,"ignore_merges":false,
       "vocab":{"<pad>":0,"<eos>":1,"<bos>":2,"<unk>":3,"a":4,"b":5,"ab":6,"▁":7,"▁ab":8},
       "merges":[["a","b"],"▁ ab"]}}
    """#

    func load(_ json: String, interpretsPipeline: Bool = true) throws(TextTokenizerError) -> TokenizersJSONDefinition {
        try TokenizersJSONReader.read(Array(json.utf8), path: "t.json", interpretsPipeline: interpretsPipeline)
    }

    func key(_ json: String) -> String? {
        do {
            _ = try load(json)
            return nil
        } catch {
            if case let .malformedTokenizerFile(path, key, _) = error, path == "t.json" { return key }
            return "\(error)"
        }
    }

    @Test func baseLoadsAndEncodes() throws {
        let file = try load(Self.base)
        #expect(file.model.tokens.count == 9)
        #expect(file.postProcessor == TokenizerTemplate(prefix: [], suffix: [1]))
        let tokenizer = try GemmaTokenizer(tokenizerJSONData: Data(Self.base.utf8), path: "t.json")
        #expect(tokenizer.encode("ab ab") == [6, 8])
        #expect(tokenizer.encode("ba") == [5, 4])
        // No <0xXX> tokens in this vocab: unknown characters fuse into one <unk>.
        #expect(tokenizer.encode("aé€b") == [4, 3, 5])
        #expect(tokenizer.paddingSide == .left)
        #expect(try tokenizer.tokenize("ab", contextLength: 4) == [0, 0, 6, 1])
    }

    @Test func malformedFilesNameTheirKeyPath() {
        let cases: [(String, String, String)] = [
            (#""merges":[["a","b"],"▁ ab"]"#, #""merges":[["a","x"]]"#, "model.merges[0]"),
            (#""merges":[["a","b"],"▁ ab"]"#, #""merges":[["a","b"],"▁ab"]"#, "model.merges[1]"),
            (#""merges":[["a","b"],"▁ ab"]"#, #""merges":[["b","a"]]"#, "model.merges[0]"),
            (#""merges":[["a","b"],"▁ ab"]"#, #""merges":[["a","b","c"]]"#, "model.merges[0][2]"),
            (#""merges":[["a","b"],"▁ ab"]"#, #""merges":[3]"#, "model.merges[0]"),
            (#""▁ab":8}"#, #""▁ab":9}"#, "model.vocab"),
            (#""▁ab":8}"#, #""▁ab":7}"#, "model.vocab"),
            (#""▁ab":8}"#, #""▁ab":-1}"#, "model.vocab.▁ab"),
            (#""▁ab":8}"#, #""▁ab":1.5}"#, "model.vocab.▁ab"),
            (#""▁ab":8}"#, #""▁ab":99999999999999999999999}"#, "model.vocab.▁ab"),
            (#""▁ab":8}"#, #""▁ab":"8"}"#, "model.vocab.▁ab"),
            (#""▁ab":8}"#, #""▁ab":8,"a":9}"#, "model.vocab"),
            (#""unk_token":"<unk>""#, #""unk_token":"<nope>""#, "model.unk_token"),
            (#""fuse_unk":true"#, #""fuse_unk":1"#, "model.fuse_unk"),
            (#""ids":[1]"#, #""ids":[100]"#, "post_processor.special_tokens.<eos>.ids"),
            (#"{"SpecialToken":{"id":"<eos>","type_id":0}}],"pair""#, #"{"SpecialToken":{"id":"<x>","type_id":0}}],"pair""#,
             "post_processor.single[1]"),
            (#""id":0,"content":"<pad>""#, #""id":1,"content":"<pad>""#, "added_tokens[0].id"),
            (#""id":0,"content":"<pad>""#, #""id":"0","content":"<pad>""#, "added_tokens[0].id"),
            (#""content":"▁"}"#, #""content":5}"#, "normalizer.content"),
            (#"{"type":"ByteFallback"}"#, #"{"kind":"ByteFallback"}"#, "decoder.decoders[1].type"),
            (#""version":"1.0""#, #""version":"1.0","version":"2""#, "version"),
            (#""model":{"#, #""model2":{"#, "model"),
            (#""vocab":{"#, #""vocab2":{"#, "model.vocab"),
            (#""version":"1.0""#, #""version":"1.0\u""#, "version"),
            (#""version":"1.0""#, #""version":tru"#, "version"),
        ]
        for (old, new, expected) in cases {
            #expect(Self.base.contains(old), "fixture lacks \(old)")
            let json = Self.base.replacingOccurrences(of: old, with: new)
            #expect(key(json) == expected, "\(new): \(key(json) ?? "loaded")")
        }
        #expect(key("") == "(root)")
        #expect(key("[]") == "(root)")
        #expect(key(Self.base + "x") == "(root)")
        #expect(key(String(Self.base.dropLast(3))) != nil)
        #expect(key(String(repeating: "[", count: 200)) != nil)
    }

    @Test func unsupportedComponentsAreNamed() {
        let cases: [(String, String, String)] = [
            (#""type":"BPE""#, #""type":"Unigram""#, "Unigram"),
            (#""dropout":null"#, #""dropout":0.1"#, "dropout"),
            (#"{"type":"Replace","pattern":{"String":" "},"content":"▁"}"#, #"{"type":"NFKD"}"#, "NFKD"),
            (#""pattern":{"String":" "},"content":"▁"}"#, #""pattern":{"Regex":"\\s"},"content":"▁"}"#, "regular expression"),
            (#""pre_tokenizer":null"#, #""pre_tokenizer":{"type":"ByteLevel"}"#, "ByteLevel"),
            (#"{"type":"Fuse"}"#, #"{"type":"WordPiece"}"#, "WordPiece"),
            (#""post_processor":{"type":"TemplateProcessing""#, #""post_processor":{"type":"RobertaProcessing""#, "RobertaProcessing"),
        ]
        for (old, new, name) in cases {
            let json = Self.base.replacingOccurrences(of: old, with: new)
            do {
                _ = try load(json)
                Issue.record("\(new) loaded")
            } catch {
                guard case let .unsupportedTokenizer(_, reason) = error else { Issue.record("\(new): \(error)"); continue }
                #expect(reason.contains(name), "\(reason)")
            }
        }
        // GemmaTokenizer replaces the file's normalizer, pre-tokenizer and decoder as transformers does.
        let json = Self.base.replacingOccurrences(of: #"{"type":"Fuse"}"#, with: #"{"type":"WordPiece"}"#)
        #expect((try? GemmaTokenizer(tokenizerJSONData: Data(json.utf8), path: "t.json")) != nil)
    }

    @Test func componentsBehaveAsTokenizersDoes() {
        let text = TextScalars.of("a▁▁b▁")
        let split = { (b: SplitBehavior) in TextScalars.split(text, on: [0x2581], behavior: b).map(TextScalars.string) }
        #expect(split(.removed) == ["a", "b"])
        #expect(split(.isolated) == ["a", "▁", "▁", "b", "▁"])
        #expect(split(.mergedWithPrevious) == ["a▁", "▁", "b▁"])
        #expect(split(.mergedWithNext) == ["a", "▁", "▁b", "▁"])
        #expect(split(.contiguous) == ["a", "▁▁", "b", "▁"])
        let metaspace = TokenizerPreTokenizer.metaspace(replacement: 0x2581, prependScheme: .always, split: true)
        #expect(metaspace.apply([TextScalars.of("hi there")], isFirst: true).map(TextScalars.string) == ["▁hi", "▁there"])
        let normalizer = TokenizerNormalizer.sequence([.prepend([0x2581]), .replace(pattern: [0x20], content: [0x2581]), .lowercase])
        #expect(TextScalars.string(normalizer.apply(TextScalars.of("A ΣΑΣ"))) == "▁a▁σασ")
        #expect(normalizer.apply([]) == [])
        let decoder = TokenizerDecoder.sequence([.byteFallback, .fuse, .strip(content: 0x2581, start: 1, stop: 0)])
        let tokens = ["▁x", "<0xE2>", "<0x82>", "<0xAC>", "<0xFF>", "y"].map(TextScalars.of)
        // One U+FFFD per byte token of a run that is not valid UTF-8 as a whole.
        #expect(TextScalars.string(decoder.apply(tokens)[0]) == "x\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}y")
        #expect(TextScalars.string(decoder.apply(Array(tokens.prefix(4)))[0]) == "x€")
    }

    @Test func settingsDecodeAndRejectWrongTypes() throws {
        let settings = try GemmaFixture.settings()
        #expect(settings.modelMaxLength == 64)
        #expect(settings.addBOSToken == false && settings.addEOSToken == true)
        #expect(settings.padToken == "<pad>" && settings.eosToken == "<eos>" && settings.bosToken == "<bos>")
        #expect(settings.unknownToken == "<unk>" && settings.paddingSide == .right && settings.truncationSide == nil)
        #expect(settings.tokenizerClass == "GemmaTokenizer")
        #expect(settings.addedTokens.map(\.content).prefix(3) == ["<pad>", "<eos>", "<bos>"])
        #expect(settings.addedTokens.allSatisfy { $0.special && !$0.normalized })
        let hub = try GemmaTokenizerSettings(data: Data(#"{"model_max_length": 1e30, "pad_token": {"content": "<x>", "__type": "AddedToken"}, "chat_template": [1]}"#.utf8), path: "c")
        #expect(hub.modelMaxLength == nil && hub.padToken == "<x>" && hub.paddingSide == nil)
        let bad: [(String, String)] = [
            (#"{"add_eos_token": "yes"}"#, "add_eos_token"),
            (#"{"model_max_length": "64"}"#, "model_max_length"),
            (#"{"model_max_length": 6.5}"#, "model_max_length"),
            (#"{"padding_side": "middle"}"#, "padding_side"),
            (#"{"pad_token": 0}"#, "pad_token"),
            (#"{"added_tokens_decoder": {"x": {"content": "a"}}}"#, "added_tokens_decoder.x"),
            (#"{"added_tokens_decoder": {"1": {"content": 2}}}"#, "added_tokens_decoder.1.content"),
            (#"{"added_tokens_decoder": {"1": {"content": "a", "lstrip": 1}}}"#, "added_tokens_decoder.1.lstrip"),
            (#"[1]"#, "(root)"),
            (#"{"a": "#, "(root)"),
        ]
        for (json, key) in bad {
            #expect(throws: TextTokenizerError.self) { try GemmaTokenizerSettings(data: Data(json.utf8), path: "c") }
            do {
                _ = try GemmaTokenizerSettings(data: Data(json.utf8), path: "c")
            } catch {
                guard case let .invalidSettings(_, got, _) = error else { Issue.record("\(error)"); continue }
                #expect(got == key, "\(json)")
            }
        }
        // A pad token the vocabulary lacks.
        var noPad = GemmaTokenizerSettings()
        noPad.padToken = nil
        #expect(throws: TextTokenizerError.self) {
            try GemmaTokenizer(tokenizerJSONData: Data(Self.base.utf8), path: "t.json", settings: noPad)
        }
    }

    /// Seeded byte flips, truncations and insertions of a small file: each loads or throws a
    /// TextTokenizerError, and loaded ones tokenize.
    @Test func mutatedFilesLoadOrThrow() {
        var rng = SplitMix64(seed: 2025)
        let original = Array(Self.base.utf8)
        let alphabet = Array(#"{}[]":,0123456789-"a▁ \nnulltruefalse"#.utf8)
        var loaded = 0, rejected = 0
        for _ in 0..<3_000 {
            var bytes = original
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let position = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 4 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes[position] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 2: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: position)
                default: bytes.removeSubrange(position...)
                }
                if bytes.isEmpty { break }
            }
            do {
                let tokenizer = try GemmaTokenizer(tokenizerJSONData: Data(bytes), path: "m.json")
                for text in ["ab ab", "", "aé€b <pad>", "▁▁"] {
                    let row = tokenizer.tokenize(text)
                    _ = try? tokenizer.decode(row)
                }
                loaded += 1
            } catch {
                rejected += 1
            }
        }
        #expect(loaded + rejected == 3_000 && loaded > 0 && rejected > 0)
    }
}
