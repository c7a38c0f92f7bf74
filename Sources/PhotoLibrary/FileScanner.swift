import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file found by a scan: where it is and what `stat` said of it.
struct ScannedFile: Sendable, Equatable {
    /// Absolute path.
    let path: String
    /// Size in bytes.
    let size: Int64
    /// Modification time, nanoseconds since 1970.
    let modifiedNanoseconds: Int64
}

/// Walks folders for image files, with POSIX calls (one `stat` per entry, no Foundation
/// enumerator): sorted, deterministic, never following a symbolic link to a folder (no cycles).
struct FileScanner {
    let extensions: Set<String>
    let recursive: Bool

    /// The scan of `roots`: the image files under them (a root that is a file is taken whatever
    /// its extension), sorted by path bytes and without duplicates, plus the folders that could
    /// not be listed.
    /// - Throws: `PhotoIndexError.notFound` for a root that does not exist.
    func scan(_ roots: [String]) throws(PhotoIndexError) -> (files: [ScannedFile], unreadableFolders: [String]) {
        var files: [ScannedFile] = []
        var unreadable: [String] = []
        for root in roots {
            guard let info = Self.status(root, followingLinks: true) else { throw .notFound(path: root) }
            if Self.isDirectory(info) {
                walk(root, into: &files, unreadable: &unreadable)
            } else if Self.isRegular(info) {
                files.append(ScannedFile(path: root, size: Int64(info.st_size), modifiedNanoseconds: Self.nanoseconds(info)))
            }
        }
        files.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        var unique: [ScannedFile] = []
        unique.reserveCapacity(files.count)
        for file in files where unique.last?.path != file.path { unique.append(file) }
        return (unique, unreadable)
    }

    private func walk(_ folder: String, into files: inout [ScannedFile], unreadable: inout [String]) {
        guard let directory = opendir(folder) else {
            unreadable.append(folder)
            return
        }
        defer { closedir(directory) }
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        var subfolders: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            let path = prefix + name
            guard let link = Self.status(path, followingLinks: false) else { continue }
            if Self.isDirectory(link) {
                if recursive { subfolders.append(path) }
                continue
            }
            // A symbolic link is followed to a file, never to a folder.
            guard let info = Self.isLink(link) ? Self.status(path, followingLinks: true) : link,
                  Self.isRegular(info) else { continue }
            let ext = (name as NSString).pathExtension.lowercased()
            guard extensions.contains(ext) else { continue }
            files.append(ScannedFile(path: path, size: Int64(info.st_size), modifiedNanoseconds: Self.nanoseconds(info)))
        }
        for subfolder in subfolders { walk(subfolder, into: &files, unreadable: &unreadable) }
    }

    /// The `stat` (or `lstat`) of a path, nil when it does not exist or cannot be examined.
    static func status(_ path: String, followingLinks: Bool) -> stat? {
        var info = stat()
        let result = followingLinks ? stat(path, &info) : lstat(path, &info)
        return result == 0 ? info : nil
    }

    static func isDirectory(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFDIR }
    static func isRegular(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFREG }
    static func isLink(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFLNK }
    static func nanoseconds(_ info: stat) -> Int64 {
        Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }

    /// `path` made absolute (against the working directory) and standardized (no `.`, `..`,
    /// or trailing slash), without resolving symbolic links.
    static func absolute(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        var text = url.path
        while text.count > 1, text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
