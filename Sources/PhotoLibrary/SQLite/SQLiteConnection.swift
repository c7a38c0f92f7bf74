import CSQLite
import Foundation

/// The `SQLITE_TRANSIENT` destructor: SQLite copies bound text and blobs before the call returns.
private let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// One connection to an SQLite database file (the system libsqlite3), used from one thread at a
/// time (`PhotoIndex` serializes its calls). Every failure is a ``PhotoIndexError/database(path:operation:message:)``
/// naming the file, the operation and SQLite's message.
final class SQLiteConnection {
    let path: String
    private var handle: OpaquePointer?

    /// Opens (creating when `create`) the database at `path` (":memory:" for a private in-memory one).
    init(path: String, readOnly: Bool = false, create: Bool = true) throws(PhotoIndexError) {
        self.path = path
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        flags |= readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0))
        var db: OpaquePointer?
        let status = sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_close_v2(db)
            throw .database(path: path, operation: "open", message: message)
        }
        handle = db
        // Another process's write transaction (an indexer committing a batch) is waited for, not an error.
        sqlite3_busy_timeout(db, 10_000)
    }

    deinit { sqlite3_close_v2(handle) }

    private func failure(_ operation: String, _ status: Int32? = nil) -> PhotoIndexError {
        var message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed"
        if let status, message == "not an error" { message = String(cString: sqlite3_errstr(status)) }
        return .database(path: path, operation: operation, message: message)
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws(PhotoIndexError) {
        let status = sqlite3_exec(handle, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw failure(Self.summary(sql), status) }
    }

    /// A prepared statement (compiled once, run many times).
    func prepare(_ sql: String) throws(PhotoIndexError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure(Self.summary(sql), status) }
        return SQLiteStatement(connection: self, handle: statement, sql: sql)
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    /// `BEGIN IMMEDIATE` takes the write lock up front, so two writers wait instead of failing midway.
    func transaction<R>(immediate: Bool = true, _ body: () throws(PhotoIndexError) -> R) throws(PhotoIndexError) -> R {
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// The single integer the query returns (nil for no row or NULL).
    func integer(_ sql: String, _ bindings: [SQLiteValue] = []) throws(PhotoIndexError) -> Int64? {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        guard try statement.step() else { return nil }
        return statement.isNull(0) ? nil : statement.int64(0)
    }

    /// Row id of the last insert on this connection.
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// A number that changes whenever another connection commits (`PRAGMA data_version`), plus
    /// this connection's own changes: together they tell whether cached reads are stale.
    func changeCounter() throws(PhotoIndexError) -> Int64 {
        let other = try integer("PRAGMA data_version") ?? 0
        return other &* 1_000_003 &+ Int64(sqlite3_total_changes64(handle))
    }

    static func summary(_ sql: String) -> String {
        let flat = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return flat.count > 60 ? String(flat.prefix(57)) + "..." : flat
    }
}

/// A value bound to a statement's parameter.
enum SQLiteValue {
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case null
}

/// A compiled statement of a ``SQLiteConnection``.
final class SQLiteStatement {
    private let connection: SQLiteConnection
    private let handle: OpaquePointer
    let sql: String

    fileprivate init(connection: SQLiteConnection, handle: OpaquePointer, sql: String) {
        self.connection = connection
        self.handle = handle
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    private func failure(_ status: Int32) -> PhotoIndexError {
        var message = String(cString: sqlite3_errmsg(sqlite3_db_handle(handle)))
        if message == "not an error" { message = String(cString: sqlite3_errstr(status)) }
        return .database(path: connection.path, operation: SQLiteConnection.summary(sql), message: message)
    }

    /// Clears earlier bindings and binds `values` to parameters 1, 2, ...
    func bind(_ values: [SQLiteValue]) throws(PhotoIndexError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case let .integer(v): status = sqlite3_bind_int64(handle, index, v)
            case let .real(v): status = sqlite3_bind_double(handle, index, v)
            case let .text(v): status = sqlite3_bind_text(handle, index, v, -1, transient)
            case let .blob(v): status = v.withUnsafeBytes { sqlite3_bind_blob64(handle, index, $0.baseAddress, UInt64($0.count), transient) }
            case .null: status = sqlite3_bind_null(handle, index)
            }
            guard status == SQLITE_OK else { throw failure(status) }
        }
    }

    /// Binds raw bytes (a vector of floats) to parameter `index` (1-based), copied.
    func bindBlob(_ bytes: UnsafeRawBufferPointer, at index: Int32) throws(PhotoIndexError) {
        let status = sqlite3_bind_blob64(handle, index, bytes.baseAddress, UInt64(bytes.count), transient)
        guard status == SQLITE_OK else { throw failure(status) }
    }

    /// Steps once: true when a row is available, false when done.
    @discardableResult
    func step() throws(PhotoIndexError) -> Bool {
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw failure(status)
        }
    }

    /// Binds `values`, runs the statement to completion and resets it.
    func run(_ values: [SQLiteValue]) throws(PhotoIndexError) {
        try bind(values)
        while try step() {}
        sqlite3_reset(handle)
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }
    func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: bytes)
    }
    func blob(_ column: Int32) -> [UInt8]? {
        guard sqlite3_column_type(handle, column) != SQLITE_NULL else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let base = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }
    /// The blob of `column` without copying, valid until the next step; nil for NULL.
    func withBlob<R>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws(PhotoIndexError) -> R) throws(PhotoIndexError) -> R? {
        guard sqlite3_column_type(handle, column) != SQLITE_NULL else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let base = sqlite3_column_blob(handle, column) else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base, count: count))
    }
}
