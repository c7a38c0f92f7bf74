import Foundation

/// A model repository on the Hugging Face Hub and the revision wanted: `owner/name[@revision]`,
/// e.g. `openai/clip-vit-base-patch32` or `laion/CLIP-ViT-B-32-laion2B-s34B-b79K@main`.
public struct HubRepositoryID: Hashable, Sendable, CustomStringConvertible {
    /// The user or organization.
    public let owner: String
    /// The repository name.
    public let name: String
    /// A branch, tag or commit hash; `main` when none is given.
    public let revision: String

    /// `owner/name`.
    public var repository: String { "\(owner)/\(name)" }

    /// `owner/name@revision`.
    public var description: String { "\(repository)@\(revision)" }

    /// The cache folder name huggingface_hub uses for this model repository: `models--owner--name`.
    public var cacheFolderName: String { "models--\(owner)--\(name)" }

    /// Whether `revision` is a full 40-character commit hash.
    public var revisionIsCommitHash: Bool { HubRepositoryID.isCommitHash(revision) }

    /// Creates an id from its parts, validated as ``init(parsing:)`` does.
    public init(owner: String, name: String, revision: String = "main") throws(ModelHubError) {
        let text = "\(owner)/\(name)@\(revision)"
        try Self.validateNamePart(owner, in: text)
        try Self.validateNamePart(name, in: text)
        try Self.validateRevision(revision, in: text)
        self.owner = owner
        self.name = name
        self.revision = revision
    }

    /// Parses `owner/name` or `owner/name@revision`.
    /// - Throws: `ModelHubError.invalidRepositoryID` saying what is wrong.
    public init(parsing text: String) throws(ModelHubError) {
        var repository = Substring(text)
        var revision = "main"
        if let at = text.firstIndex(of: "@") {
            repository = text[..<at]
            revision = String(text[text.index(after: at)...])
        }
        let parts = repository.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw .invalidRepositoryID(text, reason: "expected exactly one \"/\" between owner and name")
        }
        try self.init(owner: String(parts[0]), name: String(parts[1]), revision: revision)
    }

    /// Whether `text` has the shape of a repository id (it may still fail other checks).
    public static func looksLikeRepositoryID(_ text: String) -> Bool {
        (try? HubRepositoryID(parsing: text)) != nil
    }

    static func isCommitHash(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    private static func validateNamePart(_ part: String, in text: String) throws(ModelHubError) {
        guard !part.isEmpty else { throw .invalidRepositoryID(text, reason: "the owner and the name must not be empty") }
        guard part.utf8.count <= 96 else { throw .invalidRepositoryID(text, reason: "\"\(part)\" is longer than 96 characters") }
        let allowed = part.unicodeScalars.allSatisfy {
            (("a"..."z").contains($0) || ("A"..."Z").contains($0)
                || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == ".")
        }
        guard allowed else {
            throw .invalidRepositoryID(text, reason: "\"\(part)\" may only hold letters, digits, \"-\", \"_\" and \".\"")
        }
        guard !part.contains("--"), !part.contains(".."), !part.hasPrefix("-"), !part.hasPrefix("."),
              !part.hasSuffix("-"), !part.hasSuffix(".") else {
            throw .invalidRepositoryID(
                text, reason: "\"\(part)\" must not contain \"--\" or \"..\" nor start or end with \"-\" or \".\"")
        }
    }

    private static func validateRevision(_ revision: String, in text: String) throws(ModelHubError) {
        guard !revision.isEmpty else { throw .invalidRepositoryID(text, reason: "the revision after \"@\" is empty") }
        let allowed = revision.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || $0 == "-" || $0 == "_" || $0 == "." || $0 == "/"
        }
        let components = revision.split(separator: "/", omittingEmptySubsequences: false)
        guard allowed, !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw .invalidRepositoryID(
                text, reason: "revision \"\(revision)\" must be a branch, tag or commit (letters, digits, \"-\", \"_\", "
                    + "\".\", \"/\" between non-empty parts)")
        }
    }
}
