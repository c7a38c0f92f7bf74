import Foundation
import ImageProcessing
import TextTokenizer

extension FamilyDescriptor {
    /// SigLIP and fixed-resolution SigLIP 2 (transformers' `SiglipModel`).
    static let siglip = FamilyDescriptor(
        family: .siglip,
        displayName: "SigLIP ViT",
        // SigLIP's recommended template (transformers' SigLIP documentation and the zero-shot
        // pipeline's SigLIP default).
        defaultTemplates: ["This is a photo of {}."],
        padsTextToContext: true,
        unnamedProcessor: .siglip,
        // `SiglipImageProcessor()`'s: a bicubic resize to the square, mean and standard deviation 0.5.
        defaultPreprocessing: { (size) throws(ImageProcessingError) in try .siglip(imageSize: size) },
        // `spiece.model`, else `tokenizer.json` (Gemma), each with `tokenizer_config.json` when present.
        tokenizerFiles: { file in
            typealias Name = CLIPModelDirectory.FileName
            let settings = file(Name.tokenizerConfiguration)
            if let model = file(Name.sentencePieceModel) { return .sentencePiece(model: model, settings: settings) }
            if let json = file(Name.tokenizer) { return .gemma(tokenizerJSON: json, settings: settings) }
            return nil
        },
        tokenizerWithoutFiles: { _ in nil },
        makeTokenizer: { (source, text, _) throws(CLIPModelError) in
            let tokenizer = try source.makeTokenizer(contextLength: text.contextLength)
            let size = tokenizer.vocabularySize
            guard size <= text.vocabularySize else {
                throw .invalidConfiguration(
                    file: source.description, key: "vocabulary",
                    reason: "the tokenizer has \(size) tokens but the text tower only \(text.vocabularySize) embeddings")
            }
            return tokenizer
        },
        scoring: { scale, bias in .sigmoid(scale: scale, bias: bias ?? 0) },
        makeImageTower: FamilyDescriptor.visionTransformer,
        makeTextTower: FamilyDescriptor.textTransformer,
        describeTextPooling: { text in "bidirectional, padded to \(text.contextLength), pooled at the last position" },
        describeArchitecture: { activation in
            "SigLIP ViT (\(activation)), attention-pooling head, sigmoid scoring"
        })
}
