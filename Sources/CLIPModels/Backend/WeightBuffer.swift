/// Memory for a reordered weight, 64-byte aligned, freed with the value.
///
/// (Transparent huge pages were measured here and left out: on this project's virtual machines
/// a fresh 2 MB page costs far more to fault in than the 512 small pages it replaces, so a
/// ViT-B/32 opened 1 s slower, and products ran no faster.)
final class WeightBuffer: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let byteCount: Int

    init(byteCount: Int) {
        self.byteCount = byteCount
        base = .allocate(byteCount: max(byteCount, 64), alignment: 64)
    }

    deinit { base.deallocate() }
}
