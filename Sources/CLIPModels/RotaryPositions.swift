import Foundation

/// Axial 2-D rotary position embeddings of an image tower's attention (timm's
/// `RotaryEmbeddingCat` with `in_pixels=False` and interleaved pairs: PE-Core's and EVA02's).
///
/// Each head's query and key of the patch at row `r`, column `c` of a `g × g` grid are rotated in
/// pairs `(2i, 2i+1)` by angle `a_i`, for `i < headWidth / 2`, where with `n = headWidth / 4`
/// frequencies `f_j = temperature^(-j/n)`, the column coordinate `X = (c + gridOffset) · ref / g`
/// and the row coordinate `Y = (r + gridOffset) · ref / g`: with `'xy'` indexing (PE)
/// `a_j = X · f_j` and `a_{n+j} = Y · f_j`; with `'ij'` (EVA02) the row comes first.
/// Prefix tokens (a class token) are not rotated.
public struct RotaryPositions: Sendable, Equatable, Hashable, Codable {
    /// The base of the frequencies (10000).
    public var temperature: Double
    /// Added to every grid index before scaling (PE: 1, except bigG: 0).
    public var gridOffset: Double
    /// The grid the coordinates are scaled to (`ref_feat_shape`, square): coordinates are
    /// multiplied by `referenceGrid / grid`.
    public var referenceGrid: Int
    /// Which grid axis the first half of the angles follows (timm's `grid_indexing`).
    public var indexing: GridIndexing

    /// The order of the two axes' angles.
    public enum GridIndexing: String, Sendable, Equatable, Hashable, Codable {
        /// Columns first (PE-Core).
        case xy
        /// Rows first (timm's default; EVA02).
        case ij
    }

    /// Creates rotary position settings.
    public init(temperature: Double = 10000, gridOffset: Double, referenceGrid: Int, indexing: GridIndexing = .xy) {
        self.temperature = temperature
        self.gridOffset = gridOffset
        self.referenceGrid = referenceGrid
        self.indexing = indexing
    }

    private enum CodingKeys: String, CodingKey { case temperature, gridOffset, referenceGrid, indexing }

    // `indexing` is encoded only when it is not `xy`, so PE's settings encode as before.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(temperature: try c.decode(Double.self, forKey: .temperature),
                  gridOffset: try c.decode(Double.self, forKey: .gridOffset),
                  referenceGrid: try c.decode(Int.self, forKey: .referenceGrid),
                  indexing: try c.decodeIfPresent(GridIndexing.self, forKey: .indexing) ?? .xy)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(temperature, forKey: .temperature)
        try c.encode(gridOffset, forKey: .gridOffset)
        try c.encode(referenceGrid, forKey: .referenceGrid)
        if indexing != .xy { try c.encode(indexing, forKey: .indexing) }
    }
}

/// The angles of ``RotaryPositions`` for one grid and head width, as cosines and sines, and the
/// rotation of query and key rows by them.
struct RotaryTable: Sendable {
    /// `[grid², headWidth / 2]`.
    let cosines: [Float]
    /// `[grid², headWidth / 2]`.
    let sines: [Float]
    /// The tokens before the patches, not rotated.
    let prefixTokens: Int
    let pairs: Int

    /// The table of a `grid × grid` patch grid for heads of `headWidth` (a multiple of 4).
    init(_ settings: RotaryPositions, grid: Int, headWidth: Int, prefixTokens: Int) {
        let bands = headWidth / 4
        pairs = headWidth / 2
        self.prefixTokens = prefixTokens
        let frequencies = (0..<bands).map { Foundation.pow(settings.temperature, -Double($0) / Double(bands)) }
        let scale = Double(settings.referenceGrid) / Double(max(grid, 1))
        var cosines = [Float](repeating: 0, count: grid * grid * pairs)
        var sines = cosines
        for row in 0..<grid {
            for column in 0..<grid {
                let c = (Double(column) + settings.gridOffset) * scale
                let r = (Double(row) + settings.gridOffset) * scale
                let (x, y) = settings.indexing == .xy ? (c, r) : (r, c)
                let base = (row * grid + column) * pairs
                for j in 0..<bands {
                    // timm computes the angles in float32: round them as it does.
                    let ax = Double(Float(x) * Float(frequencies[j]))
                    let ay = Double(Float(y) * Float(frequencies[j]))
                    cosines[base + j] = Float(Foundation.cos(ax))
                    sines[base + j] = Float(Foundation.sin(ax))
                    cosines[base + bands + j] = Float(Foundation.cos(ay))
                    sines[base + bands + j] = Float(Foundation.sin(ay))
                }
            }
        }
        self.cosines = cosines
        self.sines = sines
    }

    /// Rotates one head's query (or key) rows of a sequence in place: `tokens` rows of
    /// `2 · pairs` values, `stride` apart, token 0 at `base`; the first ``prefixTokens`` rows stay.
    func rotate(_ base: UnsafeMutablePointer<Float>, stride: Int, tokens: Int) {
        cosines.withUnsafeBufferPointer { cosines in
            sines.withUnsafeBufferPointer { sines in
                guard let cosines = cosines.baseAddress, let sines = sines.baseAddress else { return }
                for token in prefixTokens..<tokens {
                    let row = base + token * stride
                    let c = cosines + (token - prefixTokens) * pairs, s = sines + (token - prefixTokens) * pairs
                    for i in 0..<pairs {
                        let x0 = row[2 * i], x1 = row[2 * i + 1]
                        row[2 * i] = x0 * c[i] - x1 * s[i]
                        row[2 * i + 1] = x1 * c[i] + x0 * s[i]
                    }
                }
            }
        }
    }
}
