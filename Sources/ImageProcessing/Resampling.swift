import CLIPSupport
import TensorCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A convolution filter for resizing, numbered like Pillow's `Image.Resampling` (and the
/// `resample` value of transformers' image-processor settings).
///
/// Resizing with these filters reproduces Pillow's `Image.resize` for 8-bit images: the filter
/// support grows with the downscale factor (antialiasing), coefficients are normalized and
/// rounded to 22-bit fixed point, two separable passes go through an 8-bit intermediate image
/// (horizontal first, unless the height shrinks much more than the width: then vertical first, as
/// Pillow 13 does), and a pass whose size does not change is skipped.
public enum ResamplingFilter: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// Lanczos (truncated sinc, 3 lobes); Pillow's `LANCZOS` (= 1).
    case lanczos = 1
    /// Triangle filter; Pillow's `BILINEAR` (= 2).
    case bilinear = 2
    /// Cubic convolution with a = −0.5 (Keys); Pillow's `BICUBIC` (= 3), what CLIP uses.
    case bicubic = 3
    /// Box (area average); Pillow's `BOX` (= 4).
    case box = 4
    /// Hamming-windowed sinc; Pillow's `HAMMING` (= 5).
    case hamming = 5

    /// The filter's lowercase name, e.g. `bicubic`.
    public var description: String {
        switch self {
        case .lanczos: return "lanczos"
        case .bilinear: return "bilinear"
        case .bicubic: return "bicubic"
        case .box: return "box"
        case .hamming: return "hamming"
        }
    }

    /// Half-width of the filter at scale 1, in input pixels.
    var support: Double {
        switch self {
        case .box: return 0.5
        case .bilinear, .hamming: return 1
        case .bicubic: return 2
        case .lanczos: return 3
        }
    }

    /// The filter kernel; the operations follow Pillow's so the coefficients round identically.
    @inline(__always)
    func weight(_ value: Double) -> Double {
        switch self {
        case .box:
            return value > -0.5 && value <= 0.5 ? 1 : 0
        case .bilinear:
            let x = abs(value)
            return x < 1 ? 1 - x : 0
        case .hamming:
            let x = abs(value)
            if x == 0 { return 1 }
            if x >= 1 { return 0 }
            let px = x * Double.pi
            // Pillow writes the window constants as C float literals (0.54f, 0.46f).
            return sin(px) / px * (Double(Float(0.54)) + Double(Float(0.46)) * cos(px))
        case .bicubic:
            let a = -0.5
            let x = abs(value)
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        case .lanczos:
            guard value >= -3, value < 3 else { return 0 }
            return ResamplingFilter.sinc(value) * ResamplingFilter.sinc(value / 3)
        }
    }

    private static func sinc(_ value: Double) -> Double {
        if value == 0 { return 1 }
        let x = value * Double.pi
        return sin(x) / x
    }
}

/// Fixed-point filter taps for one axis: output position `positions.lowerBound + i` reads
/// `counts[i]` input samples from `starts[i]` with weights `weights[i * taps ..< i * taps + counts[i]]`.
struct ResamplingWeights {
    /// Bits of fraction in a weight (Pillow's PRECISION_BITS = 32 - 8 - 2).
    static let precisionBits: Int32 = 22
    let taps: Int
    var starts: [Int]
    let counts: [Int]
    let weights: [Int32]

    /// The taps of `positions` (a sub-range of `0..<outputSize`) when `inputSize` samples are
    /// resized to `outputSize`. Each position's taps depend only on the position and the scale,
    /// so computing a sub-range gives the same values as Pillow computes for the whole axis.
    init(inputSize: Int, outputSize: Int, positions: Range<Int>, filter: ResamplingFilter) {
        // Pillow takes the source box as C floats; for the full image that is exact below 2^24.
        let boxStart = Double(Float(0))
        let boxEnd = Double(Float(inputSize))
        let scale = (boxEnd - boxStart) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let taps = Int(support.rounded(.up)) * 2 + 1
        let inverseScale = 1 / filterScale
        let one = Double(Int32(1) << ResamplingWeights.precisionBits)

        var starts = [Int](repeating: 0, count: positions.count)
        var counts = [Int](repeating: 0, count: positions.count)
        var weights = [Int32](repeating: 0, count: positions.count * taps)
        var kernel = [Double](repeating: 0, count: taps)
        for (i, out) in positions.enumerated() {
            let center = boxStart + (Double(out) + 0.5) * scale
            // (int) casts truncate toward zero, like Swift's Int(_:).
            let first = max(Int(center - support + 0.5), 0)
            let end = min(Int(center + support + 0.5), inputSize)
            let count = min(max(end - first, 0), taps)
            var total = 0.0
            for t in 0..<count {
                let w = filter.weight((Double(t + first) - center + 0.5) * inverseScale)
                kernel[t] = w
                total += w
            }
            for t in 0..<count {
                var w = kernel[t]
                if total != 0 { w /= total }
                weights[i * taps + t] = w < 0 ? Int32(-0.5 + w * one) : Int32(0.5 + w * one)
            }
            starts[i] = first
            counts[i] = count
        }
        self.taps = taps
        self.starts = starts
        self.counts = counts
        self.weights = weights
    }

    /// The input range the taps read (starts and ends grow with the position).
    var inputRange: Range<Int> {
        guard let first = starts.first, let last = starts.last, let lastCount = counts.last else { return 0..<0 }
        return first..<(last + lastCount)
    }
}

/// Pillow-exact convolution resize of 8-bit interleaved pixels.
enum Resampler {
    /// Resizes `width`×`height` pixels of `channels` interleaved 8-bit samples to
    /// `outputWidth`×`outputHeight` and returns only the window `columns`×`rows` of the result
    /// (both within the output size; a center crop asks for its window so that work and memory
    /// follow the crop, not the possibly huge resized image). Every channel is filtered
    /// independently (no alpha premultiplication). The bytes equal the same window of
    /// Pillow's full `Image.resize`.
    static func resize(
        _ source: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int,
        outputWidth: Int, outputHeight: Int, columns: Range<Int>, rows: Range<Int>,
        filter: ResamplingFilter
    ) -> [UInt8] {
        // Pillow skips the pass of an axis whose size does not change.
        let needsHorizontal = outputWidth != width
        let needsVertical = outputHeight != height

        if needsHorizontal && needsVertical
            && verticalPassFirst(width: width, height: height, outputWidth: outputWidth, outputHeight: outputHeight)
        {
            var horizontal = ResamplingWeights(
                inputSize: width, outputSize: outputWidth, positions: columns, filter: filter)
            let inputColumns = horizontal.inputRange
            for i in horizontal.starts.indices { horizontal.starts[i] -= inputColumns.lowerBound }
            let vertical = ResamplingWeights(inputSize: height, outputSize: outputHeight, positions: rows, filter: filter)
            let intermediate = verticalPass(
                source, width: width, channels: channels, columns: inputColumns, weights: vertical)
            return intermediate.withUnsafeBufferPointer {
                horizontalPass($0, width: inputColumns.count, channels: channels, rows: 0..<rows.count, weights: horizontal)
            }
        }

        var vertical: ResamplingWeights?
        var inputRows = rows
        if needsVertical {
            var v = ResamplingWeights(inputSize: height, outputSize: outputHeight, positions: rows, filter: filter)
            inputRows = v.inputRange
            for i in v.starts.indices { v.starts[i] -= inputRows.lowerBound }
            vertical = v
        }

        let intermediate: [UInt8]
        if needsHorizontal {
            let horizontal = ResamplingWeights(
                inputSize: width, outputSize: outputWidth, positions: columns, filter: filter)
            intermediate = horizontalPass(
                source, width: width, channels: channels, rows: inputRows, weights: horizontal)
        } else {
            intermediate = copyWindow(source, width: width, channels: channels, columns: columns, rows: inputRows)
        }
        guard let v = vertical else { return intermediate }
        return intermediate.withUnsafeBufferPointer {
            verticalPass($0, width: columns.count, channels: channels, columns: 0..<columns.count, weights: v)
        }
    }

    /// Pillow 13 (python-pillow/Pillow#9549) runs the vertical pass first when the height shrinks
    /// by more than twice as many pixels as the width does; the order changes the rounding of the
    /// 8-bit intermediate image, so it is reproduced (the rule was confirmed against Pillow 13.0.0
    /// on about 950 random size pairs, see Scripts/check_resize_pass_order.py).
    static func verticalPassFirst(width: Int, height: Int, outputWidth: Int, outputHeight: Int) -> Bool {
        outputHeight < height && height - outputHeight > 2 * (width - outputWidth)
    }

    static func copyWindow(
        _ source: UnsafeBufferPointer<UInt8>, width: Int, channels: Int, columns: Range<Int>, rows: Range<Int>
    ) -> [UInt8] {
        let rowBytes = columns.count * channels
        var out = [UInt8]()
        out.reserveCapacity(rowBytes * rows.count)
        for y in rows {
            let offset = (y * width + columns.lowerBound) * channels
            out.append(contentsOf: source[offset..<(offset + rowBytes)])
        }
        return out
    }

    @inline(__always)
    private static func clip8(_ accumulator: Int32) -> UInt8 {
        UInt8(clamping: accumulator >> ResamplingWeights.precisionBits)
    }

    private static let half: Int32 = 1 << (ResamplingWeights.precisionBits - 1)

    static func horizontalPass(
        _ source: UnsafeBufferPointer<UInt8>, width: Int, channels: Int, rows: Range<Int>,
        weights: ResamplingWeights
    ) -> [UInt8] {
        let outputWidth = weights.counts.count
        let firstRow = rows.lowerBound, rowCount = rows.count
        let inRowBytes = width * channels
        let outRowBytes = outputWidth * channels
        return [UInt8](unsafeUninitializedCapacity: outRowBytes * rowCount) { out, initialized in
            weights.weights.withUnsafeBufferPointer { k in
            weights.starts.withUnsafeBufferPointer { starts in
            weights.counts.withUnsafeBufferPointer { counts in
                guard let src = source.baseAddress, let dst = out.baseAddress, let kk = k.baseAddress,
                      let startBase = starts.baseAddress, let countBase = counts.baseAddress else { return }
                let taps = weights.taps
                // Rows are independent: large images are filtered on the compute threads.
                let input = SendablePointer(src), output = SendableMutablePointer(dst), kernel = SendablePointer(kk)
                let starts = SendablePointer(startBase), counts = SendablePointer(countBase)
                let work = rowCount * outputWidth * max(1, weights.taps) * channels
                let minimumRows = work >= 1 << 20 ? 16 : rowCount
                ComputeThreads.forEachChunk(of: rowCount, minimumChunk: minimumRows) { chunk in
                    for row in chunk {
                        horizontalRow(input.base + (row + firstRow) * inRowBytes, into: output.base + row * outRowBytes,
                                      outputWidth: outputWidth, channels: channels, weights: kernel.base, taps: taps,
                                      starts: starts.base, counts: counts.base)
                    }
                }
            }
            }
            }
            initialized = outRowBytes * rowCount
        }
    }

    /// One row of the horizontal pass: `outputWidth` pixels from `inRow`.
    @inline(__always)
    private static func horizontalRow(
        _ inRow: UnsafePointer<UInt8>, into outRow: UnsafeMutablePointer<UInt8>, outputWidth: Int, channels: Int,
        weights kk: UnsafePointer<Int32>, taps tapCount: Int, starts: UnsafePointer<Int>, counts: UnsafePointer<Int>
    ) {
        for x in 0..<outputWidth {
            let taps = kk + x * tapCount
            let count = counts[x]
            let p = inRow + starts[x] * channels
            switch channels {
            case 3:
                var s0 = half, s1 = half, s2 = half
                for t in 0..<count {
                    let w = taps[t]
                    let q = p + 3 * t
                    s0 &+= Int32(q[0]) &* w
                    s1 &+= Int32(q[1]) &* w
                    s2 &+= Int32(q[2]) &* w
                }
                outRow[3 * x] = clip8(s0)
                outRow[3 * x + 1] = clip8(s1)
                outRow[3 * x + 2] = clip8(s2)
            case 1:
                var s0 = half
                for t in 0..<count { s0 &+= Int32(p[t]) &* taps[t] }
                outRow[x] = clip8(s0)
            default:
                for c in 0..<channels {
                    var s = half
                    for t in 0..<count { s &+= Int32(p[t * channels + c]) &* taps[t] }
                    outRow[x * channels + c] = clip8(s)
                }
            }
        }
    }

    /// Filters `columns` of an image `width` pixels wide down the rows; the result is
    /// `columns.count` pixels wide.
    static func verticalPass(
        _ source: UnsafeBufferPointer<UInt8>, width: Int, channels: Int, columns: Range<Int>,
        weights: ResamplingWeights
    ) -> [UInt8] {
        let outputHeight = weights.counts.count
        let inRowBytes = width * channels
        let columnOffset = columns.lowerBound * channels
        let rowBytes = columns.count * channels
        var accumulator = [Int32](repeating: 0, count: rowBytes)
        return [UInt8](unsafeUninitializedCapacity: rowBytes * outputHeight) { out, initialized in
            accumulator.withUnsafeMutableBufferPointer { acc in
                guard let src = source.baseAddress, let dst = out.baseAddress, let a = acc.baseAddress else { return }
                for y in 0..<outputHeight {
                    for i in 0..<rowBytes { a[i] = half }
                    let start = weights.starts[y]
                    for t in 0..<weights.counts[y] {
                        let w = weights.weights[y * weights.taps + t]
                        let row = src + (start + t) * inRowBytes + columnOffset
                        for i in 0..<rowBytes { a[i] &+= Int32(row[i]) &* w }
                    }
                    let outRow = dst + y * rowBytes
                    for i in 0..<rowBytes { outRow[i] = clip8(a[i]) }
                }
            }
            initialized = rowBytes * outputHeight
        }
    }
}

extension RGBImage {
    /// This image resized to `width`×`height` with Pillow's convolution resampling
    /// (`Image.resize((width, height), filter)` on an RGB image gives the same bytes).
    /// - Throws: `ImageProcessingError.invalidTargetSize` for a non-positive size.
    public func resized(width newWidth: Int, height newHeight: Int, filter: ResamplingFilter = .bicubic)
        throws(ImageProcessingError) -> RGBImage
    {
        guard (try? RGBImage.byteCount(width: newWidth, height: newHeight, channels: 3, source: "")) != nil else {
            throw .invalidTargetSize(operation: "resize", width: newWidth, height: newHeight)
        }
        let out = pixels.withUnsafeBufferPointer {
            Resampler.resize(
                $0, width: width, height: height, channels: 3, outputWidth: newWidth, outputHeight: newHeight,
                columns: 0..<newWidth, rows: 0..<newHeight, filter: filter)
        }
        return RGBImage(unchecked: newWidth, newHeight, out)
    }
}
