import Dispatch

/// A value moved across threads by code that guarantees the accesses do not overlap.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    var value: Value
}

/// Runs `first` on the calling thread and `second` on another one at the same time, and returns
/// both results once both have finished (or the first error, `first`'s if both fail). Used to
/// open a model's towers and tokenizer side by side: most of that time is page faults and
/// copies, which two cores do in about half the time.
func inParallel<A, B>(_ first: () throws(CLIPModelError) -> A,
                      _ second: () throws(CLIPModelError) -> B) throws(CLIPModelError) -> (A, B) {
    let results = withoutActuallyEscaping(first) { first in
        withoutActuallyEscaping(second) { second in
            let work = UncheckedSendable(value: (first, second))
            let slots = UncheckedSendable(value: (
                UnsafeMutablePointer<Result<A, CLIPModelError>?>.allocate(capacity: 1),
                UnsafeMutablePointer<Result<B, CLIPModelError>?>.allocate(capacity: 1)))
            slots.value.0.initialize(to: nil)
            slots.value.1.initialize(to: nil)
            // Each iteration writes only its own slot; concurrentPerform returns after both.
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                if index == 0 {
                    slots.value.0.pointee = Result { () throws(CLIPModelError) -> A in try work.value.0() }
                } else {
                    slots.value.1.pointee = Result { () throws(CLIPModelError) -> B in try work.value.1() }
                }
            }
            defer {
                slots.value.0.deinitialize(count: 1).deallocate()
                slots.value.1.deinitialize(count: 1).deallocate()
            }
            return (slots.value.0.pointee, slots.value.1.pointee)
        }
    }
    guard let a = results.0, let b = results.1 else {
        throw .underlying(context: "parallel loading", message: "a task did not run")
    }
    return (try a.get(), try b.get())
}
