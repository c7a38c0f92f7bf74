import Foundation
import ImageProcessing
import TextTokenizer

extension FamilyDescriptor {
    /// CLIP: OpenAI CLIP, OpenCLIP's native ViT + text transformer, transformers' `CLIPModel`.
    static let clip = FamilyDescriptor(
        family: .clip,
        displayName: "CLIP ViT",
        // The single template CLIP's paper used as its baseline.
        defaultTemplates: ["a photo of a {}."],
        padsTextToContext: false,
        unnamedProcessor: .clip,
        // OpenAI CLIP's preprocessing at the model's image size: for 224-pixel models,
        // `CLIPImageProcessor()`'s default.
        defaultPreprocessing: { (size) throws(ImageProcessingError) in
            try PreprocessingConfiguration(resize: .shortestEdge(size), cropSize: (height: size, width: size))
        },
        // `vocab.json` + `merges.txt`, else `tokenizer.json`, else OpenAI's merges file (`.txt.gz`, else `.txt`).
        tokenizerFiles: { file in
            typealias Name = CLIPModelDirectory.FileName
            if let vocabulary = file(Name.vocabulary), let merges = file(Name.merges) {
                return .vocabularyAndMerges(vocabulary: vocabulary, merges: merges)
            }
            if let json = file(Name.tokenizer) { return .tokenizerJSON(json) }
            if let merges = file(Name.openAIMerges + ".gz") ?? file(Name.openAIMerges) { return .mergesFile(merges) }
            // CLIPA's BERT vocabulary.
            if let vocabulary = file(Name.wordPieceVocabulary) { return .wordPiece(vocabulary: vocabulary) }
            return nil
        },
        // CLIP's standard vocabulary when the text tower has it (49408 tokens, end of text 49407).
        tokenizerWithoutFiles: { text in
            text.vocabularySize == 49408 && text.endOfTextTokenID == clipEndOfTextTokenID ? .standard : nil
        },
        makeTokenizer: { (source, text, context) throws(CLIPModelError) in
            // CLIPA's BERT tokenizer pads every text to the context; its tower pools the last position.
            if case .wordPiece = source { return try source.makeTokenizer(contextLength: text.contextLength) }
            let tokenizer: CLIPTokenizer
            do {
                tokenizer = try CLIPTokenizer(vocabulary: try source.vocabulary(), contextLength: text.contextLength)
            } catch let error as CLIPModelError {
                throw error
            } catch {
                throw .tokenizer(TextTokenizerError(wrapping: error), context: context)
            }
            guard tokenizer.endOfTextID == text.endOfTextTokenID else {
                throw .invalidConfiguration(
                    file: "tokenizer", key: "<|endoftext|>",
                    reason: "the tokenizer's end-of-text id \(tokenizer.endOfTextID) is not the id the model pools at "
                        + "(\(text.endOfTextTokenID))")
            }
            return tokenizer
        },
        scoring: { scale, _ in .softmax(scale: scale) },
        makeImageTower: FamilyDescriptor.visionTransformer,
        makeTextTower: FamilyDescriptor.textTransformer,
        describeTextPooling: { text in "pooled at token \(text.endOfTextTokenID)" },
        describeArchitecture: { activation in "custom CLIP ViT (\(activation))" })
}
