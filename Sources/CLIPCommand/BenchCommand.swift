import ArgumentParser
import CLIP
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `clip bench`: in-process timings of a model, printed as one JSON object on the last line.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time model loading, image and text encoding; print JSON timings.",
        discussion: """
            Fields: load_s (opening the model, including reordering its weights for the backend),
            image_first_ms and text8_first_ms (the first image and the first 8 prompts after
            opening, which also set up the products' kernels), image_b1_ms (one image),
            image_ms_per_image (a batch of --batch images, per image), text8_ms (8 prompts of about
            7 tokens); each *_ms timing has a *_cpu_ms twin, the CPU time of the whole process over
            the same runs (all threads; wall × threads when every thread computes all the time).
            peak_rss_mb (the process's peak resident memory after loading, one image and the 8
            prompts — what classifying one image needs), peak_rss_batch_mb (the peak after the batch
            as well), precision, isa (the kernels oneDNN ran, e.g. brg:avx512_core_bf16), threads,
            thread_runtime (openmp: one team shared with oneDNN), blas_core (OpenBLAS's kernel
            family, used for attention). Each timing is the median of --repeat runs after one
            warm-up run. Inputs are fixed pseudo-random pixels, so no image files are needed.

            With IMAGE arguments and a reduced --precision, the same images and the 8 prompts are
            also embedded with a Float32 copy of the model (after the timings, so peaks are not
            mixed), and cosine_f32_image_min / _mean and cosine_f32_text_min / _mean say how close
            the reduced precision stays to Float32 on your model and your images.
            """
    )

    @OptionGroup var options: ModelOptions
    @OptionGroup var compute: ComputeOptions

    @Option(name: .long, help: ArgumentHelp("Images per batch for image_ms_per_image.", valueName: "n"))
    var batch = 32

    @Option(name: .long, help: ArgumentHelp("Timed runs per measurement (the median is reported).", valueName: "n"))
    var `repeat` = 5

    @Argument(help: ArgumentHelp(
        "Images to compare the chosen precision with Float32 on (optional).", valueName: "image"))
    var images: [String] = []

    func validate() throws {
        if batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if `repeat` < 1 { throw ValidationError("--repeat must be at least 1, got \(`repeat`)") }
    }

    struct Report: Encodable {
        let load_s: Double
        let image_first_ms: Double
        let text8_first_ms: Double
        let image_b1_ms: Double
        let image_b1_cpu_ms: Double
        let image_ms_per_image: Double
        let image_cpu_ms_per_image: Double
        let batch: Int
        let text8_ms: Double
        let text8_cpu_ms: Double
        let peak_rss_mb: Double
        let peak_rss_batch_mb: Double
        let precision: String
        let isa: String
        let threads: Int
        let thread_runtime: String
        let blas_core: String
        var cosine_f32_image_min: Double?
        var cosine_f32_image_mean: Double?
        var cosine_f32_text_min: Double?
        var cosine_f32_text_mean: Double?
    }

    static let prompts = [
        "a photo of a cat", "a photo of a dog", "a red sports car", "a bowl of fresh fruit",
        "a man riding a horse", "a city at night", "a plate of pasta", "an old wooden bridge",
    ]

    /// A wall-clock and a process CPU-time duration, in seconds.
    struct Timing {
        var wall: Double
        var cpu: Double
    }

    func run() throws {
        let directory = try options.directory()
        let loadStart = ContinuousClock.now
        let model = try compute.openModel(directory)
        let load = seconds(since: loadStart)

        let size = model.architecture.vision.imageSize
        let one = try Self.pixels(count: 1, size: size)
        let many = try Self.pixels(count: batch, size: size)
        // The first call after opening also creates the kernels of its product shapes.
        let imageFirst = try timed { _ = try model.encode(pixelValues: one) }
        let imageB1 = try median { _ = try model.encode(pixelValues: one) }
        let ids = Self.promptIDs(for: model)
        let textFirst = try timed { _ = try model.encode(tokenIDs: ids) }
        let text8 = try median { _ = try model.encode(tokenIDs: ids) }
        // What classifying one image needs: the model, one image, a few prompts.
        let peakOneImage = Self.peakResidentMegabytes()
        let imageBatch = try median { _ = try model.encode(pixelValues: many) }
        var report = Report(
            load_s: load, image_first_ms: imageFirst.wall * 1e3, text8_first_ms: textFirst.wall * 1e3,
            image_b1_ms: imageB1.wall * 1e3, image_b1_cpu_ms: imageB1.cpu * 1e3,
            image_ms_per_image: imageBatch.wall * 1e3 / Double(batch),
            image_cpu_ms_per_image: imageBatch.cpu * 1e3 / Double(batch), batch: batch,
            text8_ms: text8.wall * 1e3, text8_cpu_ms: text8.cpu * 1e3,
            peak_rss_mb: peakOneImage, peak_rss_batch_mb: Self.peakResidentMegabytes(),
            precision: model.precision.shortName, isa: model.kernelDescription, threads: ComputeThreads.count,
            thread_runtime: ComputeThreads.runtimeName, blas_core: BLASRuntime.coreName)
        if !images.isEmpty, model.precision != .float32 {
            let urls = images.map { URL(fileURLWithPath: $0) }
            let reference = try CLIPModel(contentsOf: directory, precision: .float32)
            let imageCosines = Self.cosines(try model.encode(imagesAt: urls, normalized: true),
                                            try reference.encode(imagesAt: urls, normalized: true))
            let textCosines = Self.cosines(try model.encode(tokenIDs: ids, normalized: true),
                                           try reference.encode(tokenIDs: ids, normalized: true))
            report.cosine_f32_image_min = imageCosines.min()
            report.cosine_f32_image_mean = imageCosines.reduce(0, +) / Double(imageCosines.count)
            report.cosine_f32_text_min = textCosines.min()
            report.cosine_f32_text_mean = textCosines.reduce(0, +) / Double(textCosines.count)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
    }

    /// The tokenized prompts, or for a model without a tokenizer 7-token sequences inside its
    /// vocabulary (SigLIP: sequences at the context length, as its tokenizers pad them).
    static func promptIDs(for model: CLIPModel) -> [[Int]] {
        if let tokenizer = model.tokenizer { return tokenizer.tokenize(prompts) }
        let text = model.architecture.text
        if text.family.descriptor.padsTextToContext {
            return (0..<8).map { i in (0..<text.contextLength).map { ($0 * 31 + i * 7) % text.vocabularySize } }
        }
        let eot = text.endOfTextTokenID
        return (0..<8).map { i in (0..<6).map { ($0 * 31 + i * 7) % max(eot, 1) } + [eot] }
    }

    /// The cosine of each row of `a` to the same row of `b` (both unit rows).
    static func cosines(_ a: Tensor, _ b: Tensor) -> [Double] {
        let rows = a.shape[0], width = a.shape[1]
        let x = a.scalars, y = b.scalars
        return (0..<rows).map { r in
            (0..<width).reduce(0.0) { $0 + Double(x[r * width + $1]) * Double(y[r * width + $1]) }
        }
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// The process's CPU time so far (all threads), in seconds.
    static func processCPUSeconds() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time) == 0 else { return 0 }
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The wall and CPU time of one run of `body`.
    private func timed(_ body: () throws -> Void) throws -> Timing {
        let start = ContinuousClock.now
        let cpu = Self.processCPUSeconds()
        try body()
        return Timing(wall: seconds(since: start), cpu: Self.processCPUSeconds() - cpu)
    }

    /// The median wall time of `repeat` runs of `body`, after one warm-up run, with the CPU
    /// time of the same run.
    private func median(_ body: () throws -> Void) throws -> Timing {
        try body()
        var times: [Timing] = []
        for _ in 0..<`repeat` { times.append(try timed(body)) }
        times.sort { $0.wall < $1.wall }
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

    /// VmHWM from /proc/self/status, in MB (0 where that file does not exist). The value follows
    /// a tab, and with eight or more digits no space: split on any whitespace.
    static func peakResidentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kilobytes = line.dropFirst("VmHWM:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
                .compactMap { Double($0) }.first ?? 0
            return kilobytes / 1024
        }
        return 0
    }
}
