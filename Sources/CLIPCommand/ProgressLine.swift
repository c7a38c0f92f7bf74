import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress of a long run on standard error: one line rewritten in place (count, rate, ETA)
/// when standard error is a terminal; plain lines, at most one every few seconds, when it is
/// not (a log file, CI). Per-file warnings go on their own lines either way.
final class ProgressLine {
    private let label: String
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastPlain = Date.distantPast
    private var showing = false
    /// Seconds between plain lines when standard error is not a terminal.
    private let plainInterval: TimeInterval

    init(label: String, plainInterval: TimeInterval = 5) {
        self.label = label
        self.plainInterval = plainInterval
    }

    /// Reports `done` of `total` after `elapsed` seconds (`final` forces a plain line).
    func update(done: Int, total: Int, elapsed: Double, final: Bool = false) {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var text = "\(label) \(done)/\(total)"
        if total > 0 { text += String(format: " (%.1f%%)", 100 * Double(done) / Double(total)) }
        text += String(format: ", %.1f images/s", rate)
        if rate > 0, done < total { text += ", ETA " + Self.duration(Double(total - done) / rate) }
        if isTerminal {
            write("\r\u{1B}[K" + text + (final ? "\n" : ""))
            showing = !final
        } else if final || Date().timeIntervalSince(lastPlain) >= plainInterval {
            write(text + "\n")
            lastPlain = Date()
        }
    }

    /// A line of its own (a file that could not be read), above the progress line.
    func warn(_ line: String) {
        if isTerminal && showing { write("\r\u{1B}[K") }
        write(line + "\n")
        showing = false
    }

    /// Ends the in-place line, if one is showing.
    func finish() {
        if isTerminal && showing { write("\n") }
        showing = false
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// `1h02m`, `3m07s`, `12s`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total >= 3600 { return String(format: "%dh%02dm", total / 3600, (total % 3600) / 60) }
        if total >= 60 { return String(format: "%dm%02ds", total / 60, total % 60) }
        return "\(total)s"
    }
}
