// The `.npy` reader on arbitrary bytes; an array that decodes must encode and decode to the same
// values.
import FuzzSupport
import Foundation
import SafeTensors
import TensorCore

func fuzzNumpy(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = Data(FuzzInput(start, count).bytes)
    guard let tensor = try? NumpyArrayFile.decode(data, source: "fuzz.npy") else { return 0 }
    guard let back = try? NumpyArrayFile.decode(NumpyArrayFile.encode(tensor), source: "rewritten.npy") else {
        fuzzCheck(false, "the encoder's output does not decode")
        return 0
    }
    fuzzCheck(back.shape == tensor.shape && back.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern),
              "values changed through the encoder")
    return 0
}

runFuzzer { data, size in fuzzNumpy(data, size) }
