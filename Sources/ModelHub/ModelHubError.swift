import Foundation

/// Everything that can go wrong when a model is looked up in the Hugging Face cache or
/// downloaded from a Hub endpoint. Each case names the repository, file, URL or path at fault.
public enum ModelHubError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text is not a repository id of the form `owner/name[@revision]`.
    case invalidRepositoryID(String, reason: String)
    /// Downloads are forbidden (`HF_HUB_OFFLINE=1`) and the cache does not hold `file`.
    case offline(repository: String, file: String)
    /// The repository, revision or a required file does not exist on the server (HTTP 404).
    case notFound(repository: String, revision: String, file: String)
    /// The server asked for credentials (HTTP 401); `tokenSent` tells whether `HF_TOKEN` was sent.
    case unauthorized(repository: String, file: String, tokenSent: Bool)
    /// The server refused access (HTTP 403), typically a gated model whose conditions the token's
    /// owner has not accepted.
    case forbidden(repository: String, file: String, tokenSent: Bool)
    /// Any other unexpected HTTP status.
    case httpStatus(url: String, status: Int)
    /// The connection failed (DNS, refused, reset, timeout) and could not be resumed.
    case network(url: String, message: String)
    /// A response lacked what the cache layout needs (commit, ETag) or was malformed.
    case invalidResponse(url: String, reason: String)
    /// The downloaded file does not have the size the server announced.
    case sizeMismatch(file: String, expected: Int64, actual: Int64)
    /// The downloaded file's SHA-256 differs from the ETag (the content hash) the server gave.
    case checksumMismatch(file: String, expected: String, actual: String)
    /// The checkpoint exists only in files the ``SnapshotPlan`` marks as unsupported (such as
    /// pickles), which are never downloaded or read; `needed` is the file that would be needed.
    case onlyPickleWeights(repository: String, found: [String], needed: String)
    /// The repository holds none of the ``SnapshotPlan``'s alternatives; `reason` says what was expected.
    case noCheckpoint(repository: String, reason: String)
    /// A file named by the repository (e.g. one an index lists) or by the snapshot plan is unusable.
    case invalidRepositoryFile(repository: String, file: String, reason: String)
    /// Reading or writing the cache failed.
    case fileSystem(path: String, message: String)

    public var description: String {
        switch self {
        case let .invalidRepositoryID(text, reason):
            return "\"\(text)\" is not a Hugging Face repository id (owner/name[@revision]): \(reason)"
        case let .offline(repository, file):
            return "\(repository): \(file) is not in the Hugging Face cache and downloads are disabled "
                + "(HF_HUB_OFFLINE is set); download the model once with network access or unset HF_HUB_OFFLINE"
        case let .notFound(repository, revision, file):
            return "\(repository)@\(revision): \(file) was not found on the Hub (HTTP 404); "
                + "check the repository id, the revision and the file name"
        case let .unauthorized(repository, file, tokenSent):
            return tokenSent
                ? "\(repository): \(file): the Hub rejected the token in HF_TOKEN (HTTP 401); check that it is valid "
                    + "and can read this repository"
                : "\(repository): \(file): the Hub requires authentication (HTTP 401): the repository does not exist, "
                    + "or it is private or gated; set HF_TOKEN to a token with access"
        case let .forbidden(repository, file, tokenSent):
            return "\(repository): \(file): access forbidden (HTTP 403)"
                + (tokenSent ? "; this is usually a gated model whose conditions the token's owner has not accepted "
                    + "on the model page" : "; set HF_TOKEN to a token with access to this (gated) model")
        case let .httpStatus(url, status):
            return "\(url): unexpected HTTP status \(status)"
        case let .network(url, message):
            return "\(url): network error: \(message)"
        case let .invalidResponse(url, reason):
            return "\(url): \(reason)"
        case let .sizeMismatch(file, expected, actual):
            return "\(file): downloaded \(actual) bytes but the server announced \(expected)"
        case let .checksumMismatch(file, expected, actual):
            return "\(file): SHA-256 of the download is \(actual), the server's ETag says \(expected)"
        case let .onlyPickleWeights(repository, found, needed):
            return "\(repository) has only pickle weights (\(found.joined(separator: ", "))), which are never "
                + "downloaded or loaded; \(needed) is needed"
        case let .noCheckpoint(repository, reason):
            return "\(repository): no usable checkpoint: \(reason)"
        case let .invalidRepositoryFile(repository, file, reason):
            return "\(repository): \(file): \(reason)"
        case let .fileSystem(path, message):
            return "\(path): \(message)"
        }
    }
}
