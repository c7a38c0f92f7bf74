/// An owner of borrowed tensor memory that can drop the memory's resident pages without
/// changing its contents — a read-only file mapping, which the system re-reads on the next
/// access. ``Tensor/releaseResidentPages()`` uses it after a tensor's values have been copied
/// elsewhere (for example into a backend's weight layout), so the process does not keep both copies
/// resident.
public protocol ResidentPagesReleasing: AnyObject, Sendable {
    /// Drops the resident pages wholly inside `bytes` (the contents stay readable).
    func releaseResidentPages(_ bytes: UnsafeRawBufferPointer)
}

extension Tensor {
    /// For a tensor borrowing a read-only file mapping, drops its resident pages (they are read
    /// again from the file if the tensor is used later); does nothing for other tensors.
    public func releaseResidentPages() {
        guard let owner = storage.owner as? any ResidentPagesReleasing else { return }
        owner.releaseResidentPages(UnsafeRawBufferPointer(start: storage.base, count: count * MemoryLayout<Float>.stride))
    }
}
