import ArgumentParser
import CLIP
import Foundation

/// `clip bench`: in-process timings of a model, printed as one JSON object on the last line.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time model loading, image and text encoding; print JSON timings.",
        discussion: """
            Fields: load_s (opening the model), image_first_ms and text8_first_ms (the first image
            and the first 8 prompts after opening, which also pack the weights they use),
            image_b1_ms (one image), image_ms_per_image (a batch
            of --batch images, per image), text8_ms (8 prompts of about 7 tokens), peak_rss_mb
            (the process's peak resident memory after loading, one image and the 8 prompts — what
            classifying one image needs), peak_rss_batch_mb (the peak after the batch as well),
            threads (BLAS threads), blas_core (the OpenBLAS kernel family in use). Each timing is the median of --repeat runs after
            one warm-up run. Inputs are fixed pseudo-random pixels, so no image files are needed.
            """
    )

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: ArgumentHelp("Images per batch for image_ms_per_image.", valueName: "n"))
    var batch = 32

    @Option(name: .long, help: ArgumentHelp("Timed runs per measurement (the median is reported).", valueName: "n"))
    var `repeat` = 5

    func validate() throws {
        if batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if `repeat` < 1 { throw ValidationError("--repeat must be at least 1, got \(`repeat`)") }
    }

    struct Report: Encodable {
        let load_s: Double
        let image_first_ms: Double
        let text8_first_ms: Double
        let image_b1_ms: Double
        let image_ms_per_image: Double
        let batch: Int
        let text8_ms: Double
        let peak_rss_mb: Double
        let peak_rss_batch_mb: Double
        let threads: Int
        let blas_core: String
    }

    static let prompts = [
        "a photo of a cat", "a photo of a dog", "a red sports car", "a bowl of fresh fruit",
        "a man riding a horse", "a city at night", "a plate of pasta", "an old wooden bridge",
    ]

    func run() throws {
        let loadStart = ContinuousClock.now
        let model = try options.loadModel()
        let load = seconds(since: loadStart)

        let size = model.architecture.vision.imageSize
        let one = try Self.pixels(count: 1, size: size)
        let many = try Self.pixels(count: batch, size: size)
        // The first call after opening also packs the weights it uses (once per model).
        let imageFirst = try timed { _ = try model.encode(pixelValues: one) }
        let imageB1 = try median { _ = try model.encode(pixelValues: one) }
        let ids: [[Int]]
        if let tokenizer = model.tokenizer {
            ids = tokenizer.tokenize(Self.prompts)
        } else {
            // A model without a tokenizer: 7-token sequences inside its vocabulary.
            let eot = model.architecture.text.endOfTextTokenID
            ids = (0..<8).map { i in (0..<6).map { ($0 * 31 + i * 7) % max(eot, 1) } + [eot] }
        }
        let textFirst = try timed { _ = try model.encode(tokenIDs: ids) }
        let text8 = try median { _ = try model.encode(tokenIDs: ids) }
        // What classifying one image needs: the model, one image, a few prompts.
        let peakOneImage = Self.peakResidentMegabytes()
        let imageBatch = try median { _ = try model.encode(pixelValues: many) } / Double(batch)
        let report = Report(
            load_s: load, image_first_ms: imageFirst * 1e3, text8_first_ms: textFirst * 1e3, image_b1_ms: imageB1 * 1e3, image_ms_per_image: imageBatch * 1e3, batch: batch,
            text8_ms: text8 * 1e3, peak_rss_mb: peakOneImage, peak_rss_batch_mb: Self.peakResidentMegabytes(),
            threads: ComputeThreads.count, blas_core: BLASRuntime.coreName)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// The duration in seconds of one run of `body`.
    private func timed(_ body: () throws -> Void) throws -> Double {
        let start = ContinuousClock.now
        try body()
        return seconds(since: start)
    }

    /// The median duration in seconds of `repeat` runs of `body`, after one warm-up run.
    private func median(_ body: () throws -> Void) throws -> Double {
        try body()
        var times: [Double] = []
        for _ in 0..<`repeat` {
            let start = ContinuousClock.now
            try body()
            times.append(seconds(since: start))
        }
        times.sort()
        return times[times.count / 2]
    }

    /// `[count, 3, size, size]` fixed pseudo-random values in about [-2, 2].
    static func pixels(count: Int, size: Int) throws -> Tensor {
        var state: UInt32 = 12345
        return try Tensor(shape: [count, 3, size, size]) { buffer in
            for i in buffer.indices {
                state = state &* 1_664_525 &+ 1_013_904_223
                buffer[i] = Float(state >> 8) / Float(1 << 22) - 2
            }
        }
    }

    /// VmHWM from /proc/self/status, in MB (0 where that file does not exist).
    static func peakResidentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kilobytes / 1024
        }
        return 0
    }
}
