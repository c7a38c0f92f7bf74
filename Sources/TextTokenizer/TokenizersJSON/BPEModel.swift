/// The `BPE` model of a `tokenizers` JSON file: a word's characters (Unicode scalars) merged by
/// rank, with SentencePiece-style byte fallback.
///
/// Encoding follows `tokenizers`' `BPE::merge_word` without dropout: each scalar is its vocabulary
/// id, or (with `byteFallback`) the ids of its UTF-8 bytes as `<0xXX>` tokens, or the unknown
/// token (consecutive unknowns fused into one with `fuseUnknown`, dropped when the file has no
/// unknown token); then the adjacent pair with the lowest merge rank (leftmost among equals) is
/// merged until no pair has a merge.
struct BPEModel: Sendable {
    /// Token strings by id (as scalars), for the model's own vocabulary.
    let tokens: [[UInt32]]
    /// Ids by token (compared by scalars: Swift's `String` equality would identify canonically
    /// equivalent tokens).
    let ids: [[UInt32]: Int32]
    /// Ids of the one-scalar tokens.
    let scalarIDs: [UInt32: Int32]
    /// Merge rank and merged id by the pair of ids (`first << 32 | second`).
    let merges: [UInt64: (rank: Int32, merged: Int32)]
    /// The unknown token's id, when the file names one.
    let unknownID: Int32?
    /// Whether consecutive unknown characters become one unknown token.
    let fuseUnknown: Bool
    /// Whether a character outside the vocabulary becomes its UTF-8 byte tokens.
    let byteFallback: Bool
    /// Whether a word that is itself in the vocabulary is one token without merging.
    let ignoreMerges: Bool
    /// The ids of `<0x00>`...`<0xFF>` (-1 where absent).
    let byteIDs: [Int32]

    init(tokens: [[UInt32]], ids: [[UInt32]: Int32], merges: [UInt64: (rank: Int32, merged: Int32)], unknownID: Int32?,
         fuseUnknown: Bool, byteFallback: Bool, ignoreMerges: Bool) {
        self.tokens = tokens
        self.ids = ids
        self.merges = merges
        self.unknownID = unknownID
        self.fuseUnknown = fuseUnknown
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        var scalarIDs: [UInt32: Int32] = [:]
        for (token, id) in ids where token.count == 1 { scalarIDs[token[0]] = id }
        self.scalarIDs = scalarIDs
        let hex = TextScalars.of("0123456789ABCDEF")
        self.byteIDs = (0..<256).map { byte in
            ids[[0x3C, 0x30, 0x78, hex[byte >> 4], hex[byte & 15], 0x3E]] ?? -1
        }
    }

    /// Appends the ids of `word` to `output`.
    func encode(_ word: [UInt32], into output: inout [Int32]) {
        guard !word.isEmpty else { return }
        if ignoreMerges, let whole = ids[word] {
            output.append(whole)
            return
        }
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        var previousWasUnknown = false
        for scalar in word {
            if let id = scalarIDs[scalar] {
                symbols.append(id)
                previousWasUnknown = false
                continue
            }
            if byteFallback, let value = Unicode.Scalar(scalar) {
                let bytes = Array(String(value).utf8)
                if bytes.allSatisfy({ byteIDs[Int($0)] >= 0 }) {
                    for byte in bytes { symbols.append(byteIDs[Int(byte)]) }
                    previousWasUnknown = false
                    continue
                }
            }
            guard let unknown = unknownID else { continue }
            if fuseUnknown && previousWasUnknown { continue }
            symbols.append(unknown)
            previousWasUnknown = true
        }
        if symbols.count > 1 && !merges.isEmpty {
            if symbols.count <= 48 {
                mergeByScanning(&symbols)
            } else {
                mergeWithHeap(&symbols)
            }
        }
        output.append(contentsOf: symbols)
    }

    private func merge(_ first: Int32, _ second: Int32) -> (rank: Int32, merged: Int32)? {
        merges[UInt64(UInt32(bitPattern: first)) << 32 | UInt64(UInt32(bitPattern: second))]
    }

    /// Short words: repeatedly merge the lowest-ranked (leftmost) pair.
    private func mergeByScanning(_ symbols: inout [Int32]) {
        var ranks: [Int32] = (0..<symbols.count - 1).map { merge(symbols[$0], symbols[$0 + 1])?.rank ?? .max }
        while true {
            var best = Int32.max, position = -1
            for (index, rank) in ranks.enumerated() where rank < best {
                best = rank
                position = index
            }
            guard position >= 0, let merged = merge(symbols[position], symbols[position + 1])?.merged else { return }
            symbols[position] = merged
            symbols.remove(at: position + 1)
            ranks.remove(at: position)
            if position < ranks.count { ranks[position] = merge(merged, symbols[position + 1])?.rank ?? .max }
            if position > 0 { ranks[position - 1] = merge(symbols[position - 1], merged)?.rank ?? .max }
        }
    }

    /// Long words: a binary heap of candidate merges over a doubly linked list of symbols, as
    /// `tokenizers` does; stale candidates are skipped when popped.
    private func mergeWithHeap(_ symbols: inout [Int32]) {
        let count = symbols.count
        var previous = (0..<count).map { $0 - 1 }
        var next = (0..<count).map { $0 + 1 }
        var alive = [Bool](repeating: true, count: count)
        var heap = CandidateHeap()
        for index in 0..<count - 1 {
            if let found = merge(symbols[index], symbols[index + 1]) {
                heap.push(Candidate(rank: found.rank, position: index, first: symbols[index], second: symbols[index + 1]))
            }
        }
        while let candidate = heap.pop() {
            let left = candidate.position
            guard alive[left], symbols[left] == candidate.first else { continue }
            let right = next[left]
            guard right < count, symbols[right] == candidate.second,
                  let found = merge(candidate.first, candidate.second), found.rank == candidate.rank else { continue }
            symbols[left] = found.merged
            alive[right] = false
            next[left] = next[right]
            if next[right] < count { previous[next[right]] = left }
            if previous[left] >= 0, let before = merge(symbols[previous[left]], found.merged) {
                heap.push(Candidate(rank: before.rank, position: previous[left], first: symbols[previous[left]],
                                    second: found.merged))
            }
            if next[left] < count, let after = merge(found.merged, symbols[next[left]]) {
                heap.push(Candidate(rank: after.rank, position: left, first: found.merged, second: symbols[next[left]]))
            }
        }
        var result: [Int32] = []
        result.reserveCapacity(count)
        var index = 0
        while index < count {
            result.append(symbols[index])
            index = next[index]
        }
        symbols = result
    }
}

/// A possible merge of the symbol at `position` with the one after it.
private struct Candidate {
    var rank: Int32
    var position: Int
    var first: Int32
    var second: Int32

    /// Lower rank first, then the leftmost position.
    func precedes(_ other: Candidate) -> Bool {
        rank != other.rank ? rank < other.rank : position < other.position
    }
}

/// A binary min-heap of candidates.
private struct CandidateHeap {
    private var items: [Candidate] = []

    mutating func push(_ item: Candidate) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Candidate? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count && items[left].precedes(items[smallest]) { smallest = left }
                if right < items.count && items[right].precedes(items[smallest]) { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
