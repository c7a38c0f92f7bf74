import CLIP
import Foundation

/// The text `clip info --model DIR` prints: one `key: value` line per fact about the model.
///
/// The weights are checked against the configuration (names, shapes and dtypes from the file
/// headers) without being loaded, so a damaged checkpoint is reported as an error here too.
struct ModelReport {
    let text: String

    init(directory folder: URL) throws {
        let directory = try CLIPModelDirectory(contentsOf: folder)
        let dataType = try directory.validateWeights()
        let a = directory.architecture
        let v = a.vision.encoder
        let t = a.text.encoder
        var lines: [String] = []
        lines.append("model: \(directory.url.path)")
        switch directory.layout {
        case .huggingFace:
            lines.append("layout: Hugging Face (\(directory.configurationFile.lastPathComponent), "
                         + "\(directory.weightsFile.lastPathComponent))")
        case .openCLIP:
            lines.append("layout: OpenCLIP (\(directory.configurationFile.lastPathComponent), "
                         + "\(directory.weightsFile.lastPathComponent))")
        }
        let activation = v.activation == .quickGELU ? "QuickGELU" : v.activation == .geluTanh ? "tanh GELU" : "GELU"
        let family = a.family.descriptor
        lines.append("architecture: " + (a.preset.map { $0.name(for: a) } ?? family.architectureDescription(activation: activation)))
        lines.append("vision: image \(a.vision.imageSize), patch \(a.vision.patchSize), width \(v.width), "
                     + "layers \(v.layers), heads \(v.heads), MLP \(v.mlpWidth), \(v.activation.rawValue), "
                     + "LayerNorm eps \(v.layerNormEpsilon)")
        if a.vision.options != .defaults(for: a.family, encoder: v) {
            lines.append("vision tower: " + a.vision.options.summary)
        }
        lines.append("text: vocabulary \(a.text.vocabularySize), context \(a.text.contextLength), width \(t.width), "
                     + "layers \(t.layers), heads \(t.heads), MLP \(t.mlpWidth), \(t.activation.rawValue), "
                     + "LayerNorm eps \(t.layerNormEpsilon), "
                     + family.textPoolingDescription(a.text))
        lines.append("embedding dimension: \(a.embeddingDimension)")
        lines.append("dtype: \(dataType)")
        lines.append("parameters: \(a.parameterCount)")
        switch directory.tokenizerSource {
        case .standard?:
            lines.append("tokenizer: none in the directory (CLIP's standard vocabulary is used)")
        case let files?:
            lines.append("tokenizer: \(files)")
        case nil:
            lines.append("tokenizer: none (no tokenizer files and not CLIP's standard vocabulary; texts need token ids)")
        }
        if let file = directory.preprocessingFile {
            lines.append("preprocessing: \(file.lastPathComponent)")
        } else {
            lines.append("preprocessing: none in the directory (OpenAI's defaults are used)")
        }
        text = lines.joined(separator: "\n") + "\n"
    }
}
