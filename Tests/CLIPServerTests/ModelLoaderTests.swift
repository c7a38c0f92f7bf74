#if Server
import CLIP
@testable import CLIPServer
import Foundation
import Logging
import PhotoLibrary
import ServiceLifecycle
import Testing

/// The loader behind `/readyz`: loading until the bind and the model's open, ready after,
/// shutting down (batcher drained) on graceful shutdown, failed when the model cannot open.
@Suite struct ModelLoaderTests {
    final class Gate: @unchecked Sendable {
        let semaphore = DispatchSemaphore(value: 0)
    }

    static func waitFor(_ condition: () -> Bool) async throws {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func readinessFollowsTheModelAndShutdownDrainsTheBatcher() async throws {
        let model = try fixture().model
        let state = ServerState()
        let gate = Gate()
        let (bound, boundContinuation) = AsyncStream.makeStream(of: Void.self)
        let loader = ModelLoaderService(
            configuration: ServerConfiguration(modelName: "mini-clip"), state: state, metrics: ServerMetrics(),
            logger: Logger(label: "test"), openModel: {
                gate.semaphore.wait()
                return model
            }, bound: bound)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [loader], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            guard case .loading = state.phase else { Issue.record("not loading before the bind"); return }
            boundContinuation.yield()
            try await Task.sleep(for: .milliseconds(50))
            guard case .loading = state.phase else { Issue.record("ready before the model opened"); return }
            gate.semaphore.signal()
            try await Self.waitFor { if case .ready = state.phase { true } else { false } }
            guard case let .ready(served) = state.phase else { Issue.record("never ready"); return }
            #expect(try await served.batcher.embed(texts: ["a red star"]).shape == [1, model.architecture.embeddingDimension])
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            guard case .shuttingDown = state.phase else { Issue.record("not shutting down after the shutdown"); return }
            await #expect(throws: EmbeddingBatcherError.shutDown) { try await served.batcher.embed(texts: ["a"]) }
        }
    }

    @Test func aModelThatFailsToOpenFailsTheService() async throws {
        struct Broken: Error, CustomStringConvertible { var description: String { "the weights are damaged" } }
        let state = ServerState()
        let (bound, boundContinuation) = AsyncStream.makeStream(of: Void.self)
        boundContinuation.yield()
        let loader = ModelLoaderService(
            configuration: ServerConfiguration(modelName: "mini-clip"), state: state, metrics: ServerMetrics(),
            logger: Logger(label: "test"), openModel: { throw Broken() }, bound: bound)
        await #expect(throws: Broken.self) { try await loader.run() }
        guard case let .failed(message) = state.phase else { Issue.record("not failed"); return }
        #expect(message == "the weights are damaged")
    }

    @Test func anIndexWithoutTheModelFailsTheService() async throws {
        let model = try fixture().model
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clip-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("empty.db")
        _ = try PhotoIndex(contentsOf: url)   // a valid index, with no embeddings
        let configuration = ServerConfiguration(modelName: "mini-clip", indexURL: url)
        #expect(throws: PhotoIndexError.self) {
            try ModelServer.openServedModel(model, configuration: configuration, metrics: ServerMetrics())
        }
    }
}
#endif
