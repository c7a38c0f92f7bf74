import ImageProcessing
import TensorCore
import TextTokenizer

/// Errors thrown while loading or running a CLIP model. Each case names the file, key, index or
/// shape involved.
public enum CLIPModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A required file is missing from the model directory.
    case missingFile(path: String, reason: String)
    /// The directory holds neither a Hugging Face (`config.json` + safetensors weights) nor an
    /// OpenCLIP (`open_clip_config.json` + `open_clip_model.safetensors`) checkpoint.
    case unrecognizedDirectory(path: String, reason: String)
    /// A configuration file that is not valid JSON or has a value of the wrong type.
    case invalidConfiguration(file: String, key: String, reason: String)
    /// A configuration describing a model this library does not implement (ResNet towers,
    /// SigLIP, custom text towers, unusual activations, …).
    case unsupportedArchitecture(file: String, reason: String)
    /// The checkpoint does not hold exactly the tensors the configuration describes. Every
    /// missing, unexpected and wrong-shaped key is listed.
    case checkpointMismatch(file: String, missing: [String], unexpected: [String], misshaped: [MisshapedKey])
    /// A weight stored with an element type other than F32, F16, BF16 or F64.
    case unsupportedDataType(file: String, key: String, dataType: String)
    /// A weight file could not be opened or read.
    case weightFile(path: String, reason: String)
    /// A token id outside the vocabulary.
    case tokenOutOfRange(sequence: Int, position: Int, id: Int, vocabularySize: Int)
    /// A token sequence longer than the model's context.
    case sequenceTooLong(sequence: Int, length: Int, contextLength: Int)
    /// A token sequence without the end-of-text token the text tower pools at.
    case missingEndOfText(sequence: Int, endOfTextID: Int)
    /// Pixel values whose shape is not `[batch, channels, imageSize, imageSize]`.
    case invalidPixelValues(shape: [Int], expected: [Int])
    /// An empty batch.
    case emptyBatch(input: String)
    /// A text or image path was given but the model directory has no tokenizer or preprocessing
    /// configuration.
    case missingComponent(name: String, reason: String)
    /// The tokenizer's files could not be read: `error` names the file, line or token;
    /// `context` says which tokenizer.
    case tokenizer(TextTokenizerError, context: String)
    /// Image decoding or preprocessing failed (`error` names the file or setting), or
    /// preprocessing settings are invalid; `context` says what was being done.
    case imageProcessing(ImageProcessingError, context: String)
    /// A tensor operation refused its operands (`error` names the shapes); `context` names the
    /// step.
    case tensor(TensorError, context: String)
    /// The matrix-product backend (oneDNN) refused or failed an operation: `operation` names it
    /// with its shape, `status` is oneDNN's status.
    case backend(operation: String, status: String)

    /// A checkpoint key whose stored shape differs from the shape the configuration implies.
    public struct MisshapedKey: Equatable, Sendable, CustomStringConvertible {
        /// The key as stored in the checkpoint.
        public var key: String
        /// The shape the configuration implies.
        public var expected: [Int]
        /// The shape stored in the checkpoint.
        public var actual: [Int]

        /// Creates a record of a mis-shaped key.
        public init(key: String, expected: [Int], actual: [Int]) {
            self.key = key
            self.expected = expected
            self.actual = actual
        }

        public var description: String { "\(key) (expected \(expected), found \(actual))" }
    }

    public var description: String {
        switch self {
        case let .missingFile(path, reason):
            return "missing file \(path): \(reason)"
        case let .unrecognizedDirectory(path, reason):
            return "\(path) is not a CLIP model directory: \(reason)"
        case let .invalidConfiguration(file, key, reason):
            return "\(file): invalid value for \"\(key)\": \(reason)"
        case let .unsupportedArchitecture(file, reason):
            return "\(file): not supported: \(reason)"
        case let .checkpointMismatch(file, missing, unexpected, misshaped):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing keys: " + missing.joined(separator: ", ")) }
            if !unexpected.isEmpty { parts.append("unexpected keys: " + unexpected.joined(separator: ", ")) }
            if !misshaped.isEmpty {
                parts.append("wrong shapes: " + misshaped.map(\.description).joined(separator: ", "))
            }
            return "\(file) does not match its configuration: " + parts.joined(separator: "; ")
        case let .unsupportedDataType(file, key, dataType):
            return "\(file): tensor \(key) is stored as \(dataType); weights must be F32, F16, BF16 or F64"
        case let .weightFile(path, reason):
            return "cannot read weights \(path): \(reason)"
        case let .tokenOutOfRange(sequence, position, id, vocabularySize):
            return "token id \(id) at position \(position) of sequence \(sequence) is outside the vocabulary (size \(vocabularySize))"
        case let .sequenceTooLong(sequence, length, contextLength):
            return "sequence \(sequence) has \(length) tokens, more than the context length \(contextLength)"
        case let .missingEndOfText(sequence, endOfTextID):
            return "sequence \(sequence) has no end-of-text token (\(endOfTextID))"
        case let .invalidPixelValues(shape, expected):
            return "pixel values have shape \(shape), expected \(expected)"
        case let .emptyBatch(input):
            return "empty batch of \(input)"
        case let .missingComponent(name, reason):
            return "no \(name): \(reason)"
        case let .tokenizer(error, context):
            return "\(context): \(error)"
        case let .imageProcessing(error, context):
            return "\(context): \(error)"
        case let .tensor(error, context):
            return "\(context): \(error)"
        case let .backend(operation, status):
            return "oneDNN could not \(operation): \(status)"
        }
    }
}
