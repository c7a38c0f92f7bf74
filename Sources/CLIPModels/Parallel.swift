import Dispatch
import Foundation

/// Work started on another thread that the caller picks up later: used to parse a tokenizer's
/// vocabulary while the calling thread opens and reorders the weights. The background work must
/// not run numerical kernels: those belong to the calling thread's OpenMP team (a second
/// thread starting OpenMP regions would bring a second team and oversubscribe the cores).
final class BackgroundWork<Value>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Value, CLIPModelError>?
    private let lock = NSLock()

    /// Starts `work` on a global queue.
    init(_ work: @escaping @Sendable () throws(CLIPModelError) -> Value) {
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let outcome = Result { () throws(CLIPModelError) -> Value in try work() }
            lock.lock()
            result = outcome
            lock.unlock()
            done.signal()
        }
    }

    /// Waits for the work and returns its value or throws its error (callable once or more).
    func value() throws(CLIPModelError) -> Value {
        lock.lock()
        if let result {
            lock.unlock()
            return try result.get()
        }
        lock.unlock()
        done.wait()
        done.signal()
        lock.lock()
        defer { lock.unlock() }
        guard let result else { throw .underlying(context: "background loading", message: "the work did not finish") }
        return try result.get()
    }
}
