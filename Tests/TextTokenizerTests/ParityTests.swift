import Foundation
import Testing
@testable import TextTokenizer

/// Parity with open_clip 3.3.0's SimpleTokenizer (fixture from Scripts/generate_tokenizer_fixture.py).
@Suite struct OpenCLIPParityTests {
    @Test func everyFixtureLineGivesTheReferenceIDs() throws {
        let tokenizer = try bundledTokenizer()
        let rows = try jsonLines("openclip_parity.jsonl")
        #expect(rows.count >= 2000)
        let categories = Set(rows.compactMap { ($0["category"] as? String)?.split(separator: "-").first.map(String.init) })
        for required in ["prose", "code", "url", "numbers", "punctuation", "combining", "script", "cjk", "emoji",
                         "html", "curly", "ligatures", "fullwidth", "mojibake", "control", "whitespace", "edge", "long"] {
            #expect(categories.contains(required), "fixture lacks category \(required)")
        }
        #expect(rows.contains { ($0["text"] as? String) == "" })
        #expect(rows.contains { ($0["context"] as? [Any]) != nil })

        var cleaningMismatches: [String] = []
        var idMismatches: [String] = []
        var contextMismatches: [String] = []
        for row in rows {
            let text = try #require(row["text"] as? String)
            let expectedClean = try #require(row["clean"] as? String)
            let expectedIDs = try #require(ints(row["ids"]))
            if !sameScalars(tokenizer.clean(text), expectedClean) { cleaningMismatches.append(text) }
            if tokenizer.encode(text) != expectedIDs { idMismatches.append(text) }
            let expectedContext = ints(row["context"]) ?? ([49406] + expectedIDs + [49407])
            if tokenizer.tokenize(text) != expectedContext { contextMismatches.append(text) }
        }
        #expect(cleaningMismatches.isEmpty, "cleaning differs for \(cleaningMismatches.count) lines: \(cleaningMismatches.prefix(5))")
        #expect(idMismatches.isEmpty, "ids differ for \(idMismatches.count) lines: \(idMismatches.prefix(5))")
        #expect(contextMismatches.isEmpty, "context rows differ for \(contextMismatches.count) lines: \(contextMismatches.prefix(5))")
    }

    /// PE-Core's text towers take 32 positions (bigG 72): every corpus line tokenized with those
    /// context lengths is open_clip's row — `[sot] + ids + [eot]`, cut to the context with the
    /// end-of-text token last (open_clip's `tokenize` rule) — from the untruncated reference ids.
    @Test(arguments: [32, 72])
    func openCLIPShortContexts(contextLength: Int) throws {
        let tokenizer = try bundledTokenizer()
        var mismatches: [String] = []
        var truncated = 0
        for row in try jsonLines("openclip_parity.jsonl") {
            let text = try #require(row["text"] as? String)
            let full = [49406] + (try #require(ints(row["ids"]))) + [49407]
            var expected = Array(full.prefix(contextLength))
            if full.count > contextLength {
                expected[contextLength - 1] = 49407
                truncated += 1
            }
            if try tokenizer.tokenize(text, contextLength: contextLength) != expected { mismatches.append(text) }
        }
        #expect(truncated >= 100, "only \(truncated) lines are longer than \(contextLength)")
        #expect(mismatches.isEmpty, "\(mismatches.count) lines differ: \(mismatches.prefix(5))")
    }

    @Test func longLinesAreTruncatedWithEndTokenLast() throws {
        let tokenizer = try bundledTokenizer()
        let rows = try jsonLines("openclip_parity.jsonl").filter { $0["context"] != nil }
        #expect(rows.count >= 20)
        for row in rows {
            let ids = tokenizer.tokenize(try #require(row["text"] as? String))
            #expect(ids.count == 77)
            #expect(ids.first == 49406)
            #expect(ids.last == 49407)
        }
    }

    /// open_clip's own special-token names in user text stay ordinary text (the issue requires that
    /// text never yields special tokens; open_clip itself would emit 49406/49407 here).
    @Test func specialTokenNamesInTextAreOrdinaryText() throws {
        let tokenizer = try bundledTokenizer()
        for row in try jsonLines("special_literals.jsonl") {
            let text = try #require(row["text"] as? String)
            let ids = tokenizer.encode(text)
            #expect(ids == ints(row["ids"]), "\(text)")
            #expect(!ids.contains(49406) && !ids.contains(49407), "\(text)")
        }
    }

    @Test func decodeMatchesReference() throws {
        let tokenizer = try bundledTokenizer()
        let rows = try jsonLines("decode.jsonl")
        #expect(rows.count >= 100)
        for row in rows {
            let ids = try #require(ints(row["ids"]))
            let expected = try #require(row["text"] as? String)
            #expect(sameScalars(try tokenizer.decode(ids), expected), "\(ids)")
        }
    }

    @Test func knownExamples() throws {
        let tokenizer = try bundledTokenizer()
        #expect(tokenizer.tokenize("a photo of a cat") == [49406, 320, 1125, 539, 320, 2368, 49407])
        #expect(tokenizer.tokenize("") == [49406, 49407])
        #expect(tokenizer.clean("Broken text&hellip; it&#x2019;s ﬂubberiﬁc!") == "broken text… it's flubberific!")
        #expect(tokenizer.clean("ＬＯＵＤ　ＮＯＩＳＥＳ") == "loud noises")
        #expect(tokenizer.clean("âœ” No problems") == "✔ no problems")
        #expect(CLIPTextCleaner.fixText("schÃ¶n") == "schön")
        #expect(try tokenizer.decode(tokenizer.tokenize("a photo of a cat")) == "<start_of_text>a photo of a cat <end_of_text>")
    }
}
