import Foundation
import Testing
@testable import CLIP

/// The search core `EmbeddingIndex`, PhotoLibrary's `EmbeddingMatrix` and `ZeroShotClassifier`
/// rank through: scores of normalized rows against a query, and the bounded top-k.
@Suite("SimilarityRanking")
struct SimilarityRankingTests {
    /// Moved from PhotoLibraryTests (it tested `EmbeddingMatrix.top`, now this core).
    @Test func topSelectionMatchesASort() {
        var state: UInt64 = 7
        for trial in 0..<20 {
            let count = 1 + trial * 37
            let scores: [Float] = (0..<count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int(state >> 59)) / 8  // few distinct values: many ties
            }
            for k in [1, 3, 10, count] {
                let expected = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(k)
                #expect(SimilarityRanking.top(scores, k: k) == Array(expected))
            }
        }
    }

    @Test func tiesGoToTheLowerIndex() {
        let scores: [Float] = [0.5, 0.9, 0.5, 0.9, 0.1, 0.5]
        #expect(SimilarityRanking.top(scores, k: 1) == [1])
        #expect(SimilarityRanking.top(scores, k: 3) == [1, 3, 0])
        #expect(SimilarityRanking.top(scores, k: 5) == [1, 3, 0, 2, 5])
        // -0 equals +0: a tie, not an order.
        #expect(SimilarityRanking.top([-0.0, 0.0, -0.0], k: 3) == [0, 1, 2])
        #expect(SimilarityRanking.top([0.0, -0.0], k: 1) == [0])
        // Infinities are numbers like the others.
        #expect(SimilarityRanking.top([-.infinity, 1, .infinity, -1], k: 4) == [2, 1, 3, 0])
    }

    @Test func kBeyondTheCountGivesEveryIndexAndKOfZeroNone() {
        let scores: [Float] = [0.2, 0.7, -0.3]
        #expect(SimilarityRanking.top(scores, k: 3) == [1, 0, 2])
        #expect(SimilarityRanking.top(scores, k: 10) == [1, 0, 2])
        #expect(SimilarityRanking.top(scores, k: .max) == [1, 0, 2])
        #expect(SimilarityRanking.top(scores, k: 0) == [])
        #expect(SimilarityRanking.top(scores, k: -1) == [])
        #expect(SimilarityRanking.top([], k: 5) == [])
    }

    @Test func nanScoresRankAfterEveryNumber() {
        let nan = Float.nan
        #expect(SimilarityRanking.top([nan, 0.2, -.infinity, nan, 0.7], k: 5) == [4, 1, 2, 0, 3])
        #expect(SimilarityRanking.top([nan, 0.2, -.infinity, nan, 0.7], k: 2) == [4, 1])
        // A NaN arriving when the heap is full never displaces a number; one arriving first is displaced.
        #expect(SimilarityRanking.top([0.1, nan, 0.3], k: 2) == [2, 0])
        #expect(SimilarityRanking.top([nan, nan, -1], k: 1) == [2])
        #expect(SimilarityRanking.top([nan, nan, nan], k: 2) == [0, 1])
        // A NaN with a signalling payload or a sign is still a NaN.
        #expect(SimilarityRanking.top([-nan, Float(bitPattern: 0x7FA0_0000), 0], k: 3) == [2, 0, 1])
    }

    @Test func theOrderIsStrictAndTotal() {
        let scores: [Float] = [.nan, 1, 1, -0.0, 0, -.infinity, .nan]
        scores.withUnsafeBufferPointer { s in
            for a in s.indices {
                #expect(!SimilarityRanking.ranks(a, before: a, in: s))
                for b in s.indices where b != a {
                    #expect(SimilarityRanking.ranks(a, before: b, in: s) != SimilarityRanking.ranks(b, before: a, in: s))
                }
            }
        }
    }

    @Test func topOfASliceCountsFromTheSliceStart() {
        let scores: [Float] = [9, 0.1, 0.8, 0.8, 9]
        let order = scores.withUnsafeBufferPointer { SimilarityRanking.top(UnsafeBufferPointer(rebasing: $0[1..<4]), k: 3) }
        #expect(order == [1, 2, 0])
    }

    @Test func scoresAreTheDotProductsOfTheRows() throws {
        let rows: [Float] = [1, 0, 0.6, 0.8, 0, 1, -0.6, 0.8]   // [4, 2], unit rows
        let query: [Float] = [0.6, 0.8]
        let scores = try rows.withUnsafeBufferPointer { m in
            try query.withUnsafeBufferPointer { try SimilarityRanking.scores(rows: 4, of: m, query: $0) }
        }
        let expected: [Float] = [0.6, 1, 0.8, 0.28]
        #expect(scores.count == 4)
        for (got, want) in zip(scores, expected) { #expect(abs(got - want) <= 1e-6, "\(scores)") }
        #expect(SimilarityRanking.top(scores, k: 4) == [1, 2, 0, 3])
        // The first rows only; an empty query or no rows.
        let firstTwo = try rows.withUnsafeBufferPointer { m in
            try query.withUnsafeBufferPointer { try SimilarityRanking.scores(rows: 2, of: m, query: $0) }
        }
        #expect(firstTwo.count == 2 && abs(firstTwo[1] - 1) <= 1e-6)
        #expect(try rows.withUnsafeBufferPointer { try SimilarityRanking.scores(rows: 3, of: $0, query: UnsafeBufferPointer(start: nil, count: 0)) } == [0, 0, 0])
        #expect(try query.withUnsafeBufferPointer { try SimilarityRanking.scores(rows: 0, of: UnsafeBufferPointer(start: nil, count: 0), query: $0) } == [])
    }

    @Test func scoresRefuseAMatrixTooShortForTheRows() {
        let rows: [Float] = [1, 0, 0, 1, 1]   // 2.5 rows of 2
        let query: [Float] = [1, 0]
        #expect(throws: TensorError.shapeMismatch(operation: "SimilarityRanking.scores", lhs: [3, 2], rhs: [5])) {
            try rows.withUnsafeBufferPointer { m in
                try query.withUnsafeBufferPointer { try SimilarityRanking.scores(rows: 3, of: m, query: $0) }
            }
        }
        #expect(throws: TensorError.shapeMismatch(operation: "SimilarityRanking.scores", lhs: [-1, 2], rhs: [5])) {
            try rows.withUnsafeBufferPointer { m in
                try query.withUnsafeBufferPointer { try SimilarityRanking.scores(rows: -1, of: m, query: $0) }
            }
        }
        #expect(throws: TensorError.self) {
            try rows.withUnsafeBufferPointer { m in
                try query.withUnsafeBufferPointer { try SimilarityRanking.scores(rows: .max, of: m, query: $0) }
            }
        }
    }

    /// Large enough to be split over the compute threads: every score within 1e-6 of a Double
    /// computation, and the top 20 those of a full sort.
    @Test func aLargeMatrixScoresAndRanksLikeBruteForce() throws {
        ComputeThreads.configure()
        let rows = 5_000, width = 512
        var state: UInt64 = 3
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(state >> 40) % 2001 - 1000) / 1000
        }
        let matrix = try Tensor(shape: [rows, width], scalars: (0..<(rows * width)).map { _ in next() }).l2Normalized().scalars
        let query = try Tensor(shape: [width], scalars: (0..<width).map { _ in next() }).l2Normalized().scalars
        #expect(rows * width >= Kernels.parallelThreshold)
        let scores = try matrix.withUnsafeBufferPointer { m in
            try query.withUnsafeBufferPointer { try SimilarityRanking.scores(rows: rows, of: m, query: $0) }
        }
        let reference = (0..<rows).map { r in (0..<width).reduce(0.0) { $0 + Double(matrix[r * width + $1]) * Double(query[$1]) } }
        #expect(zip(scores, reference).allSatisfy { abs(Double($0) - $1) <= 1e-6 })
        let expected = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(20)
        #expect(SimilarityRanking.top(scores, k: 20) == Array(expected))
    }
}

@Suite("Ranking through the search core")
struct SharedRankingTests {
    @Test func embeddingIndexPutsNaNSimilaritiesLast() throws {
        var index = EmbeddingIndex(dimension: 2, model: "m")
        try index.add(identifiers: ["nan", "x", "y", "x again"],
                      embeddings: Tensor(shape: [4, 2], scalars: [.nan, 1, 1, 0, 0, 1, 2, 0]))
        let hits = try index.search(Tensor(shape: [2], scalars: [1, 0]), topK: 10)
        #expect(hits.map(\.identifier) == ["x", "x again", "y", "nan"])
        #expect(hits[0].similarity == 1 && hits[1].similarity == 1 && hits[2].similarity == 0 && hits[3].similarity.isNaN)
        #expect(try index.search(Tensor(shape: [2], scalars: [1, 0]), topK: 2).map(\.identifier) == ["x", "x again"])
    }

    @Test func zeroShotClassifierRanksLabelsWithTheSameOrder() throws {
        let model = try CLIPModel(contentsOf: testsDirectory.appendingPathComponent("CLIPCommandTests/Fixtures/tiny-vocab-clip"))
        let width = model.architecture.embeddingDimension
        func axis(_ i: Int, _ sign: Float = 1) -> [Float] { (0..<width).map { $0 == i ? sign : 0 } }
        // Labels a and c have the same embedding, so the same probability: a (the earlier) first.
        let classifier = try ZeroShotClassifier(
            model: model, labels: ["a", "b", "c", "d"], templates: ["{}"],
            labelEmbeddings: Tensor(shape: [4, width], scalars: axis(0) + axis(1) + axis(0) + axis(0, -1)))
        let image = try Tensor(shape: [1, width], scalars: axis(0))
        let ranked = try #require(try classifier.rank(imageEmbeddings: image).first)
        #expect(ranked.map(\.label) == ["a", "c", "b", "d"])
        #expect(ranked.map(\.similarity) == [1, 1, 0, -1])
        #expect(ranked[0].probability == ranked[1].probability && ranked[1].probability > ranked[2].probability)
        #expect(try classifier.rank(imageEmbeddings: image, topK: 2).first?.map(\.label) == ["a", "c"])
        // A NaN image embedding: NaN similarities, which the softmax turns into probabilities of
        // 0 for every label, a tie: the labels stay in their order.
        let broken = try Tensor(shape: [1, width], scalars: [Float](repeating: .nan, count: width))
        let nanRanked = try #require(try classifier.rank(imageEmbeddings: broken, topK: 3).first)
        #expect(nanRanked.map(\.label) == ["a", "b", "c"])
        #expect(nanRanked.allSatisfy { $0.probability == 0 && $0.similarity.isNaN })
    }
}
