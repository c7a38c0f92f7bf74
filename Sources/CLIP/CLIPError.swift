/// Errors of the facade module: classifiers, label-embedding files and search indexes.
public enum CLIPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A classifier needs at least one label.
    case noLabels
    /// A label that is empty or appears twice.
    case invalidLabel(String)
    /// A classifier needs at least one template.
    case noTemplates
    /// A saved file (label embeddings or an index) is malformed; names the file and the problem.
    case invalidFile(path: String, reason: String)
    /// A saved file was made with another model than the one given.
    case modelMismatch(path: String, expected: String, found: String)
    /// `topK` must be positive.
    case invalidTopK(Int)
    /// Search in an empty index.
    case emptyIndex

    public var description: String {
        switch self {
        case .noLabels: return "the label list is empty"
        case let .invalidLabel(label): return "invalid label \"\(label)\": labels must be non-empty and distinct"
        case .noTemplates: return "the template list is empty"
        case let .invalidFile(path, reason): return "\(path): \(reason)"
        case let .modelMismatch(path, expected, found):
            return "\(path): made with model \(found), not with the loaded model \(expected)"
        case let .invalidTopK(k): return "top-k must be at least 1, got \(k)"
        case .emptyIndex: return "the index holds no items"
        }
    }
}
