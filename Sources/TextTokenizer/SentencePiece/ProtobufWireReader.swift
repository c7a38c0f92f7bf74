/// A bounds-checked reader of the protocol buffer wire format over one byte buffer: varints,
/// fixed 32/64-bit values and length-delimited fields. Every read names the byte offset of a
/// problem; nothing reads past `end`.
struct ProtobufWireReader {
    /// Wire types of the encoding (groups, 3 and 4, are not accepted).
    enum WireType: UInt8 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    /// A malformed byte sequence at `offset` (an offset into the whole file).
    struct Failure: Error {
        let offset: Int
        let reason: String
    }

    let bytes: [UInt8]
    /// The next byte to read.
    private(set) var position: Int
    /// One past the last byte of the message being read.
    let end: Int

    init(bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        position = range.lowerBound
        end = range.upperBound
    }

    var isAtEnd: Bool { position >= end }

    /// A varint of at most 10 bytes, as the 64 bits it encodes.
    mutating func readVarint() throws(Failure) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else {
                throw Failure(offset: start, reason: "truncated varint")
            }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 {
                throw Failure(offset: start, reason: "varint longer than 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 {
                throw Failure(offset: start, reason: "varint longer than 10 bytes")
            }
        }
    }

    /// A field key: the field number and its wire type.
    mutating func readKey() throws(Failure) -> (field: Int, wireType: WireType, offset: Int) {
        let start = position
        let key = try readVarint()
        let field = key >> 3
        guard field >= 1, field <= 0x1FFF_FFFF else {
            throw Failure(offset: start, reason: "invalid field number \(field)")
        }
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw Failure(offset: start, reason: "unsupported wire type \(key & 7) for field \(field)")
        }
        return (Int(field), wireType, start)
    }

    /// The byte range of a length-delimited field's payload (the length varint is consumed).
    mutating func readLengthDelimited() throws(Failure) -> Range<Int> {
        let start = position
        let length = try readVarint()
        guard length <= UInt64(end - position) else {
            throw Failure(offset: start, reason: "length \(length) runs past the end of the enclosing message (\(end - position) bytes left)")
        }
        let lower = position
        position += Int(length)
        return lower..<position
    }

    /// A little-endian 32-bit value.
    mutating func readFixed32() throws(Failure) -> UInt32 {
        guard end - position >= 4 else {
            throw Failure(offset: position, reason: "truncated 32-bit value")
        }
        var value: UInt32 = 0
        for index in 0..<4 {
            value |= UInt32(bytes[position + index]) << (8 * UInt32(index))
        }
        position += 4
        return value
    }

    /// Skips a field of an unknown number.
    mutating func skip(_ wireType: WireType) throws(Failure) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64:
            guard end - position >= 8 else {
                throw Failure(offset: position, reason: "truncated 64-bit value")
            }
            position += 8
        case .lengthDelimited: _ = try readLengthDelimited()
        case .fixed32: _ = try readFixed32()
        }
    }

    /// Checks that a known field has the wire type its declaration implies.
    static func expect(_ wireType: WireType, _ expected: WireType, field: String, offset: Int) throws(Failure) {
        guard wireType == expected else {
            throw Failure(offset: offset, reason: "field \(field) has wire type \(wireType.rawValue), expected \(expected.rawValue)")
        }
    }

    /// An `int32` field: the low 32 bits of the varint (negative values are sign-extended to 10
    /// bytes on the wire).
    mutating func readInt32() throws(Failure) -> Int32 {
        Int32(truncatingIfNeeded: try readVarint())
    }

    /// A `bool` field.
    mutating func readBool() throws(Failure) -> Bool {
        try readVarint() != 0
    }
}
