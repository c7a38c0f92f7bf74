import Foundation

/// The index file's schema and its migrations. The version is SQLite's `user_version`; the
/// file is marked as swift-clip's by `application_id`.
///
/// Version 1:
/// - `files`: one row per indexed file: `path` (absolute, unique), `size` (bytes),
///   `modified_ns` (modification time, nanoseconds since 1970), `hash` (SHA-256 of the content,
///   32 bytes; NULL when the file could not be read), `error` (why the file could not be
///   embedded, NULL when it was).
/// - `models`: one row per model and precision (`fingerprint`, `precision`, `dimension`).
/// - `embeddings`: one L2-normalized little-endian Float32 vector per model and content hash;
///   files with the same content share it, which is how a moved file is recognised.
/// - `info`: key/value facts (the swift-clip version that created the file).
enum IndexSchema {
    /// `PRAGMA application_id` of an index file: "CLIP" in ASCII.
    static let applicationID: Int64 = 0x434C_4950
    /// The newest schema this code reads and writes.
    static let currentVersion = 1

    /// Migration `i` takes a file from version `i` to `i + 1`, in one transaction.
    static let migrations: [String] = [
        """
        CREATE TABLE files (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            modified_ns INTEGER NOT NULL,
            hash BLOB,
            error TEXT
        );
        CREATE INDEX files_by_hash ON files(hash);
        CREATE TABLE models (
            id INTEGER PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            precision TEXT NOT NULL,
            dimension INTEGER NOT NULL CHECK (dimension > 0),
            UNIQUE (fingerprint, precision)
        );
        CREATE TABLE embeddings (
            id INTEGER PRIMARY KEY,
            model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
            hash BLOB NOT NULL,
            vector BLOB NOT NULL,
            UNIQUE (model_id, hash)
        );
        CREATE TABLE info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO info(key, value) VALUES ('created_by', 'swift-clip');
        """,
    ]

    /// Brings the database to ``currentVersion``: creates a new file's tables, migrates an older
    /// file, refuses a newer file or a database of another application.
    static func prepare(_ db: SQLiteConnection, readOnly: Bool) throws(PhotoIndexError) {
        let version = Int(try db.integer("PRAGMA user_version") ?? 0)
        let application = try db.integer("PRAGMA application_id") ?? 0
        let tables = try db.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'table'") ?? 0
        if application != applicationID {
            guard application == 0, version == 0, tables == 0 else {
                throw .notAnIndex(path: db.path, reason: application == 0
                    ? "an SQLite database with \(tables) tables of another application"
                    : "application id \(String(application, radix: 16)) is not swift-clip's")
            }
        }
        guard version <= currentVersion else {
            throw .newerSchema(path: db.path, found: version, supported: currentVersion)
        }
        guard version < currentVersion else { return }
        guard !readOnly else {
            throw .notAnIndex(path: db.path, reason: "schema version \(version) needs migrating; open it writable once")
        }
        if version == 0 {
            // Large pages keep the embedding rows (2 KB for 512 values) packed: a full scan
            // reads the file sequentially. Only takes effect on an empty file.
            try db.execute("PRAGMA page_size = 65536")
        }
        try db.transaction { () throws(PhotoIndexError) in
            for step in version..<currentVersion {
                try db.execute(migrations[step])
            }
            try db.execute("PRAGMA application_id = \(applicationID)")
            try db.execute("PRAGMA user_version = \(currentVersion)")
        }
    }
}
