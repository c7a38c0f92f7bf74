import ArgumentParser
import CLIP
import Foundation

/// `clip classify`: zero-shot classification of image files against a label list.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Rank labels for each image by zero-shot classification.",
        discussion: """
            Each label is written into the templates (default: "a photo of a {}." for CLIP, "This is \
            a photo of {}." for SigLIP), embedded, and compared with each image. CLIP: probability = \
            softmax over the labels of exp(logit_scale) · cosine similarity. SigLIP: probability = \
            sigmoid(exp(logit_scale) · cosine + logit_bias), per label: the probabilities of an \
            image do not sum to 1. A file that cannot be read gets an error line on stderr; the \
            others are still classified.
            """
    )

    @OptionGroup var options: ModelOptions
    @OptionGroup var compute: ComputeOptions

    @Option(name: .long, help: ArgumentHelp("Comma-separated labels, e.g. \"cat,dog,car\".", valueName: "labels"))
    var labels: String?

    @Option(name: .long, help: ArgumentHelp("A caption template with {} for the label; repeat to ensemble.", valueName: "template"))
    var template: [String] = []

    @Option(name: .long, help: ArgumentHelp("Load label embeddings saved with --save-labels instead of --labels.", valueName: "file"))
    var loadLabels: String?

    @Option(name: .long, help: ArgumentHelp("Save the label embeddings to this file for later runs.", valueName: "file"))
    var saveLabels: String?

    @Option(name: .long, help: ArgumentHelp("Show the best K labels per image (default: 5; all with --json).", valueName: "k"))
    var top: Int?

    @Option(name: .long, help: ArgumentHelp("Images per forward pass.", valueName: "n"))
    var batchSize = 16

    @Flag(name: .long, help: "Print JSON: per image its path and the ranked label / probability / similarity.")
    var json = false

    @Argument(help: ArgumentHelp("Image files (JPEG or PNG).", valueName: "image"))
    var images: [String] = []

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one image file") }
        if let top, top < 1 { throw ValidationError("--top must be at least 1, got \(top)") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if loadLabels != nil, labels != nil { throw ValidationError("give either --labels or --load-labels, not both") }
        if loadLabels == nil {
            guard let labels else { throw ValidationError("give --labels \"a,b,c\" (or --load-labels FILE)") }
            if Self.parse(labels).isEmpty { throw ValidationError("the label list is empty") }
        }
    }

    /// Labels from a comma-separated list, trimmed, empty entries dropped.
    static func parse(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    struct ImageResult: Encodable {
        let path: String
        /// "softmax" (CLIP: over the labels) or "sigmoid" (SigLIP: per label).
        let scoring: String
        let predictions: [Prediction]
    }

    func run() throws {
        let model = try options.loadModel(compute)
        let classifier: ZeroShotClassifier
        if let loadLabels {
            classifier = try ZeroShotClassifier(model: model, contentsOf: URL(fileURLWithPath: loadLabels))
        } else {
            classifier = try ZeroShotClassifier(
                model: model, labels: Self.parse(labels ?? ""),
                templates: template.isEmpty ? nil : template)
        }
        if let saveLabels { try classifier.write(to: URL(fileURLWithPath: saveLabels)) }

        let keep = top ?? (json ? classifier.labels.count : 5)
        let scoring = classifier.probabilitiesSumToOne ? "softmax" : "sigmoid"
        if !json, !classifier.probabilitiesSumToOne {
            let note = "SigLIP scoring: each probability is sigmoid(exp(logit_scale) · cosine + logit_bias), "
                + "one per label; they do not sum to 1\n"
            FileHandle.standardOutput.write(Data(note.utf8))
        }
        var failures = 0
        var results: [ImageResult] = []
        var done = 0
        for start in stride(from: 0, to: images.count, by: batchSize) {
            let batch = Array(images[start..<min(start + batchSize, images.count)])
            if let (paths, pixels) = preprocessImages(batch, with: model, failures: &failures) {
                let ranked = try classifier.classify(pixelValues: pixels, topK: keep)
                for (path, predictions) in zip(paths, ranked) {
                    let result = ImageResult(path: path, scoring: scoring, predictions: predictions)
                    if json { results.append(result) } else { printReadable(result) }
                }
            }
            done += batch.count
            if images.count > batchSize { printToStandardError("classified \(done)/\(images.count) images") }
        }
        if json { try printJSON(results) }
        if failures > 0 { throw ExitCode.failure }
    }

    private func printReadable(_ result: ImageResult) {
        var text = "\(result.path)\n"
        let width = result.predictions.map(\.label.count).max() ?? 0
        for p in result.predictions {
            let label = p.label.padding(toLength: width, withPad: " ", startingAt: 0)
            text += "  \(String(format: "%6.2f%%", Double(p.probability) * 100))  \(label)  (cosine \(String(format: "%.4f", p.similarity)))\n"
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
