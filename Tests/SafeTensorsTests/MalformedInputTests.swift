import Foundation
import Testing
@testable import SafeTensors
import TensorCore

/// Each malformed input throws its own specific error (and never crashes).
@Suite("Malformed files")
struct MalformedInputTests {
    /// A valid two-tensor file: `a` is F32 [2] at [0, 8), `b` is U8 [3] at [8, 11).
    static let validHeader = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}"#
    static let validData: [UInt8] = [0, 0, 128, 63, 0, 0, 0, 64, 1, 2, 3]

    @Test func validBaseOpens() throws {
        let file = try SafeTensorsFile(bytes: makeFile(header: Self.validHeader, data: Self.validData), name: testName)
        #expect(try file.tensor(named: "a").scalars == [1, 2])
        #expect(try file.int64Values(named: "b") == [1, 2, 3])
    }

    @Test func emptyFile() throws {
        #expect(openError([]) == .fileTooSmall(file: testName, size: 0))
        #expect(openError([1, 0, 0]) == .fileTooSmall(file: testName, size: 3))
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("empty.safetensors")
        FileManager.default.createFile(atPath: url.path, contents: Data())
        #expect(thrownError { try SafeTensorsFile(contentsOf: url) } == .fileTooSmall(file: url.path, size: 0))
    }

    @Test func truncatedInsideHeader() throws {
        let full = makeFile(header: Self.validHeader, data: Self.validData)
        let length = UInt64(Self.validHeader.utf8.count)
        for cut in [8, 9, 20, 8 + Int(length) - 1] {
            #expect(openError(Array(full.prefix(cut)))
                == .headerLengthExceedsFile(file: testName, length: length, fileSize: cut))
        }
        // The same through a real file (the memory-mapped path).
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("cut.safetensors")
        try Data(full.prefix(30)).write(to: url)
        #expect(thrownError { try SafeTensorsFile(contentsOf: url) }
            == .headerLengthExceedsFile(file: url.path, length: length, fileSize: 30))
    }

    @Test func truncatedInsideData() throws {
        let full = makeFile(header: Self.validHeader, data: Self.validData)
        #expect(openError(Array(full.dropLast(1)))
            == .offsetsOutOfBounds(file: testName, tensor: "b", begin: 8, end: 11, bufferSize: 10))
        // Entries are checked in header order: `a` is the first that no longer fits.
        #expect(openError(Array(full.dropLast(7)))
            == .offsetsOutOfBounds(file: testName, tensor: "a", begin: 0, end: 8, bufferSize: 4))
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("cut.safetensors")
        try Data(full.dropLast(5)).write(to: url)
        #expect(thrownError { try SafeTensorsFile(contentsOf: url) }
            == .offsetsOutOfBounds(file: url.path, tensor: "a", begin: 0, end: 8, bufferSize: 6))
    }

    @Test func headerLengthLargerThanFile() {
        let bytes = makeFile(header: Self.validHeader, data: Self.validData, headerLength: 5000)
        #expect(openError(bytes) == .headerLengthExceedsFile(file: testName, length: 5000, fileSize: bytes.count))
    }

    @Test func headerLengthTooLarge() {
        #expect(openError(makeFile(header: "{}", headerLength: 1 << 63))
            == .headerTooLarge(file: testName, length: 1 << 63, limit: 100_000_000))
        #expect(openError(makeFile(header: "{}", headerLength: UInt64.max))
            == .headerTooLarge(file: testName, length: UInt64.max, limit: 100_000_000))
        #expect(openError(makeFile(header: "{}", headerLength: 100_000_001))
            == .headerTooLarge(file: testName, length: 100_000_001, limit: 100_000_000))
    }

    @Test func nonJSONHeader() {
        #expect(openError(makeFile(header: "hello"))
            == .invalidJSON(file: testName, offset: 0, message: "expected a JSON object, found 'h'"))
        #expect(openError(makeFile(header: ""))
            == .invalidJSON(file: testName, offset: 0, message: "expected a JSON object, found the end of the JSON text"))
        #expect(openError(makeFile(header: #"{"__metadata__":{"k":"v"}"#))
            == .invalidJSON(file: testName, offset: 25, message: "expected ',' or '}' in object, found the end of the JSON text"))
        // A tensor entry is checked as soon as it has been read, before what follows it.
        #expect(openError(makeFile(header: #"{"a":1"#))
            == .invalidTensorEntry(file: testName, tensor: "a", message: "expected an object, found a number"))
        #expect(openError(makeFile(header: #"{"a" 1}"#))
            == .invalidJSON(file: testName, offset: 5, message: "expected ':' after key, found a number"))
        #expect(openError(makeFile(header: "{} x"))
            == .invalidJSON(file: testName, offset: 3, message: "unexpected characters after the header object"))
        #expect(openError(makeFile(header: "{'a':1}"))
            == .invalidJSON(file: testName, offset: 1, message: "expected a string key, found '''"))
        #expect(openError(makeFile(header: #"{"__metadata__":{},}"#))
            == .invalidJSON(file: testName, offset: 19, message: "expected a string key, found '}'"))
        var invalidUTF8 = makeFile(header: #"{"__metadata__":{"k":"xx"}}"#)
        invalidUTF8[8 + 22] = 0xFF
        #expect(openError(invalidUTF8) == .invalidJSON(file: testName, offset: 21, message: "string is not valid UTF-8"))
    }

    @Test func jsonThatIsNotAnObject() {
        #expect(openError(makeFile(header: "[1, 2]")) == .headerNotObject(file: testName, found: "an array"))
        #expect(openError(makeFile(header: #""text""#)) == .headerNotObject(file: testName, found: "a string"))
        #expect(openError(makeFile(header: " 42 ")) == .headerNotObject(file: testName, found: "a number"))
        #expect(openError(makeFile(header: "null")) == .headerNotObject(file: testName, found: "null"))
        #expect(openError(makeFile(header: #"{"a":[1]}"#))
            == .invalidTensorEntry(file: testName, tensor: "a", message: "expected an object, found an array"))
    }

    @Test func unknownDType() {
        let header = #"{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#
        #expect(openError(makeFile(header: header, data: .init(repeating: 0, count: 16)))
            == .unknownDType(file: testName, tensor: "a", dtype: "F128"))
        let lower = #"{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}"#
        #expect(openError(makeFile(header: lower, data: [0, 0, 0, 0])) == .unknownDType(file: testName, tensor: "a", dtype: "f32"))
        let number = #"{"a":{"dtype":7,"shape":[1],"data_offsets":[0,4]}}"#
        #expect(openError(makeFile(header: number, data: [0, 0, 0, 0]))
            == .invalidTensorEntry(file: testName, tensor: "a", message: "dtype must be a string, found a number"))
    }

    @Test func negativeShape() {
        let header = #"{"a":{"dtype":"U8","shape":[2,-3],"data_offsets":[0,6]}}"#
        #expect(openError(makeFile(header: header, data: .init(repeating: 0, count: 6)))
            == .negativeDimension(file: testName, tensor: "a", axis: 1, value: -3))
    }

    @Test func overflowingShape() {
        // Each extent fits, the product does not.
        let header = #"{"a":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}}"#
        #expect(openError(makeFile(header: header, data: [0, 0, 0, 0]))
            == .shapeOverflow(file: testName, tensor: "a", shape: [4_294_967_296, 4_294_967_296, 4]))
        // The element count fits, the byte count does not.
        let bytes = #"{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,4]}}"#
        #expect(openError(makeFile(header: bytes, data: [0, 0, 0, 0]))
            == .shapeOverflow(file: testName, tensor: "a", shape: [2_305_843_009_213_693_952]))
        // An extent that does not fit a 64-bit integer at all.
        let literal = #"{"a":{"dtype":"U8","shape":[99999999999999999999],"data_offsets":[0,4]}}"#
        #expect(openError(makeFile(header: literal, data: [0, 0, 0, 0]))
            == .integerOutOfRange(file: testName, tensor: "a", field: "shape", literal: "99999999999999999999"))
        let fraction = #"{"a":{"dtype":"U8","shape":[2.0],"data_offsets":[0,2]}}"#
        #expect(openError(makeFile(header: fraction, data: [0, 0]))
            == .invalidTensorEntry(file: testName, tensor: "a", message: "shape entry 0 must be an integer, found 2.0"))
    }

    @Test func offsetsPastTheEnd() {
        let header = #"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#
        #expect(openError(makeFile(header: header, data: [1, 2, 3, 4, 5, 6]))
            == .offsetsOutOfBounds(file: testName, tensor: "b", begin: 4, end: 8, bufferSize: 6))
        let huge = #"{"a":{"dtype":"U8","shape":[0],"data_offsets":[9223372036854775807,9223372036854775807]}}"#
        #expect(openError(makeFile(header: huge))
            == .offsetsOutOfBounds(file: testName, tensor: "a", begin: Int.max, end: Int.max, bufferSize: 0))
        let beyond = #"{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,18446744073709551616]}}"#
        #expect(openError(makeFile(header: beyond))
            == .integerOutOfRange(file: testName, tensor: "a", field: "data_offsets", literal: "18446744073709551616"))
        let reversed = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[3,1]}}"#
        #expect(openError(makeFile(header: reversed, data: [1, 2, 3]))
            == .invalidOffsets(file: testName, tensor: "a", begin: 3, end: 1))
        let negative = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[-1,1]}}"#
        #expect(openError(makeFile(header: negative, data: [1, 2]))
            == .invalidTensorEntry(file: testName, tensor: "a", message: "data_offsets entry 0 is negative (-1)"))
        let three = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2,4]}}"#
        #expect(openError(makeFile(header: three, data: [1, 2]))
            == .invalidTensorEntry(file: testName, tensor: "a", message: "data_offsets must have 2 entries, found more"))
    }

    @Test func overlappingOffsets() {
        let header = #"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}"#
        #expect(openError(makeFile(header: header, data: [1, 2, 3, 4, 5, 6]))
            == .overlappingTensors(file: testName, tensor: "b", other: "a"))
        let same = #"{"x":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"y":{"dtype":"I8","shape":[4],"data_offsets":[0,4]}}"#
        #expect(openError(makeFile(header: same, data: [1, 2, 3, 4]))
            == .overlappingTensors(file: testName, tensor: "y", other: "x"))
    }

    @Test func bytesOutsideEveryTensor() {
        let hole = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[3,5]}}"#
        #expect(openError(makeFile(header: hole, data: [1, 2, 3, 4, 5])) == .uncoveredBytes(file: testName, offset: 2, length: 1))
        let trailing = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#
        #expect(openError(makeFile(header: trailing, data: [1, 2, 3])) == .uncoveredBytes(file: testName, offset: 2, length: 1))
    }

    @Test func shapeSizeMismatch() {
        let header = #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#
        #expect(openError(makeFile(header: header, data: .init(repeating: 0, count: 12)))
            == .sizeMismatch(file: testName, tensor: "a", dtype: .float32, shape: [2, 2], expectedBytes: 16, actualBytes: 12))
        let subByte = #"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#
        #expect(openError(makeFile(header: subByte, data: [0, 0]))
            == .sizeMismatch(file: testName, tensor: "a", dtype: .float4E2M1, shape: [3], expectedBytes: nil, actualBytes: 2))
    }

    @Test func duplicateKeys() {
        let topLevel = #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#
        #expect(openError(makeFile(header: topLevel, data: [1])) == .duplicateKey(file: testName, key: "a", offset: 53))
        let field = #"{"a":{"dtype":"U8","dtype":"I8","shape":[1],"data_offsets":[0,1]}}"#
        #expect(openError(makeFile(header: field, data: [1])) == .duplicateKey(file: testName, key: "dtype", offset: 19))
        let metadata = #"{"__metadata__":{"k":"1","k":"2"}}"#
        #expect(openError(makeFile(header: metadata)) == .duplicateKey(file: testName, key: "k", offset: 25))
        let twoMetadata = #"{"__metadata__":{},"__metadata__":{}}"#
        #expect(openError(makeFile(header: twoMetadata)) == .duplicateKey(file: testName, key: "__metadata__", offset: 19))
        // Inside an ignored field, too.
        let nested = #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":{"x":1,"x":2}}}"#
        #expect(openError(makeFile(header: nested, data: [1])) == .duplicateKey(file: testName, key: "x", offset: 67))
        // Keys equal after unescaping are duplicates.
        let escaped = #"{"__metadata__":{"k":"1","\u006b":"2"}}"#
        #expect(openError(makeFile(header: escaped)) == .duplicateKey(file: testName, key: "k", offset: 25))
    }

    @Test func missingOrMistypedFields() {
        #expect(openError(makeFile(header: #"{"a":{"shape":[1],"data_offsets":[0,1]}}"#, data: [1]))
            == .invalidTensorEntry(file: testName, tensor: "a", message: "missing \"dtype\""))
        #expect(openError(makeFile(header: #"{"a":{"dtype":"U8","data_offsets":[0,1]}}"#, data: [1]))
            == .invalidTensorEntry(file: testName, tensor: "a", message: "missing \"shape\""))
        #expect(openError(makeFile(header: #"{"a":{"dtype":"U8","shape":[1]}}"#, data: [1]))
            == .invalidTensorEntry(file: testName, tensor: "a", message: "missing \"data_offsets\""))
        #expect(openError(makeFile(header: #"{"a":{"dtype":"U8","shape":"1","data_offsets":[0,1]}}"#, data: [1]))
            == .invalidTensorEntry(file: testName, tensor: "a", message: "shape must be an array, found a string"))
        #expect(openError(makeFile(header: #"{"__metadata__":{"k":1}}"#))
            == .invalidMetadata(file: testName, key: "k", message: "value must be a string, found a number"))
        #expect(openError(makeFile(header: #"{"__metadata__":[]}"#))
            == .invalidMetadata(file: testName, key: nil, message: "must be an object of strings, found an array"))
    }

    /// Accepted like the reference implementation: unknown fields, `null` metadata,
    /// surrounding whitespace, an empty header object.
    @Test func lenientWhereTheReferenceIs() throws {
        let header = "  {\"__metadata__\":null,\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":[true,false,null,{}]}}\n\t "
        let file = try SafeTensorsFile(bytes: makeFile(header: header, data: [9]), name: testName)
        #expect(file.metadata == [:])
        #expect(try file.int64Values(named: "a") == [9])
        let empty = try SafeTensorsFile(bytes: makeFile(header: "{}"), name: testName)
        #expect(empty.tensorNames.isEmpty)
        #expect(empty.parameterCount == 0)
    }

    @Test func stringsAndNumbersFollowTheGrammar() throws {
        let good = #"{"__metadata__":{"e":"\u00e9\ud83d\ude00\n\"\\\/\b\f\r\t"}}"#
        #expect(try SafeTensorsFile(bytes: makeFile(header: good), name: testName).metadata == ["e": "é😀\n\"\\/\u{8}\u{c}\r\t"])
        #expect(openError(makeFile(header: #"{"__metadata__":{"e":"\ud83d"}}"#))
            == .invalidJSON(file: testName, offset: 22, message: "unpaired high surrogate in \\u escape"))
        #expect(openError(makeFile(header: #"{"__metadata__":{"e":"\ude00"}}"#))
            == .invalidJSON(file: testName, offset: 22, message: "unpaired low surrogate in \\u escape"))
        #expect(openError(makeFile(header: #"{"__metadata__":{"e":"\x"}}"#))
            == .invalidJSON(file: testName, offset: 22, message: "invalid escape \\'x'"))
        #expect(openError(makeFile(header: "{\"__metadata__\":{\"e\":\"a\u{1}\"}}"))
            == .invalidJSON(file: testName, offset: 23, message: "unescaped control character in string"))
        #expect(openError(makeFile(header: #"{"__metadata__":{"e":"abc}}"#))
            == .invalidJSON(file: testName, offset: 21, message: "unterminated string"))
        #expect(openError(makeFile(header: #"{"a":{"dtype":"U8","shape":[01],"data_offsets":[0,1]}}"#, data: [1]))
            == .invalidJSON(file: testName, offset: 28, message: "number with a leading zero"))
        #expect(openError(makeFile(header: #"{"a":{"dtype":"U8","shape":[1.],"data_offsets":[0,1]}}"#, data: [1]))
            == .invalidJSON(file: testName, offset: 28, message: "invalid number: no digit after '.'"))
        #expect(openError(makeFile(header: #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":tru}}"#, data: [1]))
            == .invalidJSON(file: testName, offset: 56, message: "invalid literal (expected true)"))
    }

    @Test func nestingIsBounded() throws {
        func header(depth: Int) -> String {
            #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":"# + String(repeating: "[", count: depth)
                + String(repeating: "]", count: depth) + "}}"
        }
        // Two levels for the header object and the entry, 62 more are allowed.
        #expect(try SafeTensorsFile(bytes: makeFile(header: header(depth: 62), data: [1]), name: testName).tensorNames == ["a"])
        #expect(openError(makeFile(header: header(depth: 63), data: [1]))
            == .invalidJSON(file: testName, offset: 118, message: "nesting deeper than 64 levels"))
        // Deep enough to overflow the stack of a naive recursive parser.
        let deep = String(repeating: "[", count: 1_000_000)
        #expect(openError(makeFile(header: "{\"__metadata__\":{},\"x\":" + deep))
            == .invalidTensorEntry(file: testName, tensor: "x", message: "expected an object, found an array"))
        #expect(openError(makeFile(header: #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":"# + deep, data: [1]))
            == .invalidJSON(file: testName, offset: 118, message: "nesting deeper than 64 levels"))
    }

    /// Many tensors and long strings parse in linear time (no timing assertion; this would
    /// take minutes with quadratic duplicate detection or string handling).
    @Test func largeHeadersParse() throws {
        var writer = SafeTensorsWriter(metadata: ["long": String(repeating: "x\\\"y", count: 250_000)])
        for i in 0..<20_000 {
            try writer.add(rawBytes: [UInt8(i & 0xFF)], dtype: .uint8, shape: [1], named: "tensor.\(i)")
        }
        let file = try SafeTensorsFile(bytes: writer.serialized(), name: testName)
        #expect(file.tensorNames.count == 20_000)
        #expect(file.metadata["long"]?.count == 1_000_000)
        #expect(try file.int64Values(named: "tensor.19999") == [Int64(19_999 & 0xFF)])
    }

    @Test func notARegularFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(thrownError { try SafeTensorsFile(contentsOf: directory) } == .notARegularFile(file: directory.path))
        // A FIFO must not block the open.
        let fifo = directory.appendingPathComponent("fifo")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        #expect(thrownError { try SafeTensorsFile(contentsOf: fifo) } == .notARegularFile(file: fifo.path))
        let missing = directory.appendingPathComponent("missing.safetensors")
        if case .cannotOpen(let file, let reason)? = thrownError({ try SafeTensorsFile(contentsOf: missing) }) {
            #expect(file == missing.path)
            #expect(reason.contains("No such file"))
        } else {
            Issue.record("opening a missing file must throw cannotOpen")
        }
    }

    /// Error descriptions are single lines that name the file and the tensor, even for hostile names.
    @Test func descriptionsAreSingleLines() {
        let error = SafeTensorsError.unknownDType(file: "/m/w.safetensors", tensor: "evil\nname\u{1b}[31m", dtype: "X")
        #expect(error.description == #""/m/w.safetensors": tensor "evil\nname\u001b[31m": unknown dtype "X""#)
        let long = SafeTensorsError.tensorNotFound(file: "f", tensor: String(repeating: "a", count: 1000))
        #expect(long.description.count < 260)
        #expect(!long.description.contains("\n"))
    }
}
