import CZlib

/// gzip / zlib decompression through the system zlib.
enum Gzip {
    /// Whether data starts with the gzip magic number.
    static func isGzip(_ data: [UInt8]) -> Bool {
        data.count >= 2 && data[0] == 0x1F && data[1] == 0x8B
    }

    /// Decompresses a complete gzip (or zlib) stream. `limit` bounds the output size so that a
    /// small malicious file cannot make us allocate without bound.
    static func decompress(_ input: [UInt8], path: String, limit: Int = 64 << 20) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: maximum window, detect gzip or zlib header automatically.
        var status = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            throw TextTokenizerError.invalidCompressedData(path: path, reason: "zlib initialisation failed (\(status))")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(input.count * 3, 1 << 16)))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        try input.withUnsafeBufferPointer { inputBuffer in
            stream.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress)
            stream.avail_in = UInt32(inputBuffer.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = UInt32(chunkBuffer.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return chunkBuffer.count - Int(stream.avail_out)
                }
                guard status == Z_OK || status == Z_STREAM_END else {
                    let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw TextTokenizerError.invalidCompressedData(path: path, reason: message)
                }
                guard output.count + produced <= limit else {
                    throw TextTokenizerError.invalidCompressedData(path: path, reason: "decompressed size exceeds \(limit) bytes")
                }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_OK && produced == 0 && stream.avail_in == 0 {
                    throw TextTokenizerError.invalidCompressedData(path: path, reason: "truncated stream")
                }
            } while status != Z_STREAM_END
        }
        return output
    }
}
