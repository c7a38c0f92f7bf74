import Testing
import CLIP

@Test func facadeReexportsTensorCore() throws {
    let t = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    #expect(t.shape == [2, 3])
    #expect(try t.reshaped([3, -1]).shape == [3, 2])
}
