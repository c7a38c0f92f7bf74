import CLIP
import Foundation
import ImageTestSupport
import PhotoLibrary
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `clip index`, `clip search --db`, `clip embed-folder` and `clip merge-shards` as processes:
/// a killed indexer resumes to the same database, concurrent shard workers merge to what one
/// worker writes.
@Suite("clip index and shards")
struct IndexCommandTests {
    let model = testsDirectory.appendingPathComponent("CLIPCommandTests/Fixtures/tiny-vocab-clip").path

    /// `count` distinct PNGs in three albums under `folder/photos`.
    func makePhotos(in folder: TemporaryFolder, count: Int, width: Int = 48, height: Int = 40) throws -> String {
        let root = folder.url.appendingPathComponent("photos")
        for i in 0..<count {
            try TestImages.writeRandomPNG(seed: UInt64(i) &+ 10_000, to: root.appendingPathComponent("album-\(i % 3)/\(i).png"),
                                          width: width, height: height)
        }
        return root.path
    }

    /// Files (exactly) and embeddings of a database.
    func contents(_ path: String) throws -> (files: [IndexedFile], embeddings: [String: [Float]]) {
        let index = try PhotoIndex(contentsOf: URL(fileURLWithPath: path), readOnly: true)
        let files = try index.files()
        let key = try #require(try index.models().first?.model)
        var embeddings: [String: [Float]] = [:]
        for file in files where file.error == nil { embeddings[file.path] = try index.embedding(ofFileAt: file.path, model: key) }
        return (files, embeddings)
    }

    @Test func indexThenSearchTheDatabase() throws {
        let folder = try TemporaryFolder()
        let photos = try makePhotos(in: folder, count: 6)
        try Data("junk".utf8).write(to: URL(fileURLWithPath: photos + "/album-0/junk.jpg"))
        let db = folder.path("photos.db").path
        let first = try runTool(["index", "--model", model, "--db", db, "--json", photos])
        #expect(first.status == 0, "\(first.standardError)")
        let summary = try JSONDecoder().decode(IndexUpdateSummary.self, from: Data(first.standardOutput.utf8))
        #expect(summary.found == 7 && summary.embedded == 6 && summary.failed == 1)
        #expect(first.errorLines.filter { $0.hasPrefix("warning: skipped") && $0.contains("junk.jpg") }.count == 1)
        let second = try runTool(["index", "--model", model, "--db", db, photos])
        #expect(second.status == 0 && second.standardOutput.contains("0 embedded, 0 reused, 7 unchanged, 0 failed"))
        #expect(!second.standardError.contains("junk.jpg"))

        let search = try runTool(["search", "--model", model, "--db", db, "--top", "3", "--json", "a photo of a dog"])
        #expect(search.status == 0, "\(search.standardError)")
        struct Output: Decodable { let query: String; let results: [SearchResult] }
        let output = try JSONDecoder().decode(Output.self, from: Data(search.standardOutput.utf8))
        let library = try PhotoIndex(contentsOf: URL(fileURLWithPath: db), readOnly: true)
        let clip = try CLIPModel(contentsOf: URL(fileURLWithPath: model))
        let expected = try library.search(text: "a photo of a dog", model: clip, topK: 3)
        #expect(output.results.map(\.identifier) == expected.map(\.path))
        #expect(zip(output.results, expected).allSatisfy { abs($0.similarity - $1.similarity) <= 1e-6 })
        let byImage = try runTool(["search", "--model", model, "--db", db, "--top", "1", "--image", photos + "/album-1/4.png"])
        #expect(byImage.status == 0 && byImage.standardOutput.hasSuffix("/album-1/4.png\n"))
    }

    @Test func searchAndIndexErrorsAreOneLine() throws {
        let folder = try TemporaryFolder()
        let photos = try makePhotos(in: folder, count: 2)
        let db = folder.path("x.db").path
        expectSingleErrorLine(try runTool(["search", "--model", model, "cat"]), containing: "--db")
        expectSingleErrorLine(try runTool(["search", "--model", model, "--db", db]), containing: "text query or --image")
        expectSingleErrorLine(try runTool(["search", "--model", model, "--db", db, "--image", photos, "cat"]), containing: "not both")
        expectSingleErrorLine(try runTool(["search", "--model", model, "--db", db, "cat"]), containing: "no embeddings of model")
        expectSingleErrorLine(try runTool(["index", "--model", model, "--db", db, folder.path("missing").path]), containing: "no such file or folder")
        try Data("plain text, not SQLite, long enough to be read as a header by SQLite itself...".utf8).write(to: URL(fileURLWithPath: folder.path("text.db").path))
        expectSingleErrorLine(try runTool(["index", "--model", model, "--db", folder.path("text.db").path, photos]), containing: "not a swift-clip photo index")
        expectSingleErrorLine(try runTool(["embed-folder", "--model", model, "--output", folder.path("o").path, "--shard", "3/3", photos]),
                              containing: "shard 3 is not in 0..<3")
        expectSingleErrorLine(try runTool(["embed-folder", "--model", model, "--output", folder.path("o").path, "--shard", "auto", photos]),
                              containing: "JOB_COMPLETION_INDEX")
        expectSingleErrorLine(try runTool(["merge-shards", "--db", db, folder.path("nothing-here").path]), containing: "nothing-here")
    }

    @Test func aKilledIndexerResumesToTheSameDatabase() throws {
        let folder = try TemporaryFolder()
        // Enough work that the kill lands mid-run: 240 images, one per committed batch.
        let photos = try makePhotos(in: folder, count: 240, width: 320, height: 240)
        let whole = folder.path("whole.db").path, resumed = folder.path("resumed.db").path
        let arguments = ["index", "--model", model, "--batch-size", "1", "--threads", "1", "--json", photos]
        let reference = try runTool(arguments + ["--db", whole])
        #expect(reference.status == 0, "\(reference.standardError)")

        let process = Process()
        process.executableURL = try toolURL()
        process.arguments = arguments + ["--db", resumed]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Kill it (SIGKILL: no chance to clean up) once some batches are committed.
        var committed = 0
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline {
            if FileManager.default.fileExists(atPath: resumed),
               let count = try? PhotoIndex(contentsOf: URL(fileURLWithPath: resumed), readOnly: true).files().count, count >= 20 {
                committed = count
                break
            }
            usleep(2_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the indexer finished before it could be killed")
        let survived = try contents(resumed)
        #expect(survived.files.count >= committed && survived.files.count < 240)
        // What was committed is whole: every file row has its embedding.
        #expect(survived.files.allSatisfy { survived.embeddings[$0.path] != nil })

        let rerun = try runTool(arguments + ["--db", resumed])
        #expect(rerun.status == 0, "\(rerun.standardError)")
        let summary = try JSONDecoder().decode(IndexUpdateSummary.self, from: Data(rerun.standardOutput.utf8))
        #expect(summary.unchanged == survived.files.count && summary.embedded == 240 - survived.files.count)
        let a = try contents(whole), b = try contents(resumed)
        #expect(a.files == b.files)
        #expect(a.embeddings == b.embeddings)
    }

    @Test func threeConcurrentShardWorkersMergeToOneWorkersResult() throws {
        let folder = try TemporaryFolder()
        let photos = try makePhotos(in: folder, count: 40)
        try Data("junk".utf8).write(to: URL(fileURLWithPath: photos + "/album-2/junk.png"))
        // Three workers at once, as three pods of an Indexed Job would run.
        var workers: [Process] = []
        for shard in 0..<3 {
            let process = Process()
            process.executableURL = try toolURL()
            process.arguments = ["embed-folder", "--model", model, "--output", folder.path("sharded").path, "--shard", "auto",
                                 "--part-size", "5", "--threads", "1", photos]
            var environment = ProcessInfo.processInfo.environment
            environment["JOB_COMPLETION_INDEX"] = String(shard)
            environment["JOB_COMPLETIONS"] = "3"
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            workers.append(process)
        }
        for worker in workers {
            worker.waitUntilExit()
            #expect(worker.terminationStatus == 0)
        }
        let single = try runTool(["embed-folder", "--model", model, "--output", folder.path("single").path, "--threads", "1", photos])
        #expect(single.status == 0, "\(single.standardError)")
        for name in ["sharded", "single"] {
            let merge = try runTool(["merge-shards", "--db", folder.path("\(name).db").path, folder.path(name).path])
            #expect(merge.status == 0 && merge.standardOutput.contains("40 files with embeddings, 1 failures"), "\(merge.standardError)")
        }
        let a = try contents(folder.path("sharded.db").path), b = try contents(folder.path("single.db").path)
        #expect(a.files == b.files && a.files.count == 41)
        #expect(a.embeddings == b.embeddings)
        // The merged index is current for `clip index`.
        let index = try runTool(["index", "--model", model, "--db", folder.path("sharded.db").path, "--json", photos])
        let summary = try JSONDecoder().decode(IndexUpdateSummary.self, from: Data(index.standardOutput.utf8))
        #expect(summary.embedded == 0 && summary.unchanged == 41)
    }
}
