import Foundation
import Testing
@testable import ImageProcessing

/// Access to Fixtures/ (see Fixtures/README.md and Scripts/make_image_fixtures.py).
enum Fixtures {
    static var root: URL {
        get throws {
            try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        }
    }

    static func image(_ name: String) throws -> URL {
        try root.appendingPathComponent("images").appendingPathComponent(name)
    }

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: image(name))
    }

    static func reference(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent("reference").appendingPathComponent(name)))
    }

    static func referenceFloats(_ name: String) throws -> [Float] {
        let bytes = try reference(name)
        #expect(bytes.count % 4 == 0)
        return (0..<(bytes.count / 4)).map { i in
            Float(bitPattern: UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8
                | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24)
        }
    }

    static var manifest: [String: Any] {
        get throws {
            let data = try Data(contentsOf: root.appendingPathComponent("manifest.json"))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
    }

    /// The deterministic pattern of `resize_pattern` in the generator script: a gradient (red),
    /// 7x5 checker blocks (green), hash noise (blue).
    static func resizePattern(width: Int, height: Int, seed: Int) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                pixels[i] = UInt8((x * 256 / width + y * 128 / height) & 255)
                pixels[i + 1] = UInt8(((x / 7 + y / 5) % 2) * 255)
                var h = Int64(x) &* 73856093 ^ Int64(y) &* 19349663 ^ Int64(seed) &* 83492791
                h = (h ^ (h >> 13)) &* 1274126177
                pixels[i + 2] = UInt8(truncatingIfNeeded: (h ^ (h >> 16)) & 255)
            }
        }
        return pixels
    }
}

/// Differences between two equally long sequences.
struct DifferenceStatistics: CustomStringConvertible {
    var count = 0
    var exact = 0
    var maximum: Double = 0
    var sum: Double = 0

    init<C: Collection>(_ a: C, _ b: C) where C.Element: BinaryFloatingPoint {
        for (x, y) in zip(a, b) { add(Double(x), Double(y)) }
    }

    init(bytes a: [UInt8], _ b: [UInt8]) {
        for (x, y) in zip(a, b) { add(Double(x), Double(y)) }
    }

    private mutating func add(_ x: Double, _ y: Double) {
        let d = abs(x - y)
        count += 1
        if d == 0 { exact += 1 }
        maximum = max(maximum, d)
        sum += d
    }

    var mean: Double { count == 0 ? 0 : sum / Double(count) }
    var exactFraction: Double { count == 0 ? 1 : Double(exact) / Double(count) }

    var description: String {
        "max \(maximum), mean \(String(format: "%.2e", mean)), exact \(String(format: "%.4f", exactFraction * 100))% of \(count)"
    }
}
