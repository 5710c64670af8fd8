import Foundation
import LikenessEngine

/// A video file → sampled frames with their times, through Debian's ffmpeg as a subprocess:
/// one frame every `step` seconds plus every scene change, scaled to at most `maxSide`
/// pixels, as packed RGB. A damaged or truncated file yields the frames ffmpeg could read,
/// and `problem` says where it stopped.
public final class VideoDecoder {
    public struct Info: Sendable {
        public var width: Int
        public var height: Int
        public var duration: Double?
        public var container: String
    }

    public let path: String
    public let info: Info
    public let step: Double
    let frameWidth: Int
    let frameHeight: Int
    private let process = Process()
    private let frames: FileHandle
    private let times = FrameTimes()
    private var taken = 0

    /// Scene changes above this (ffmpeg's 0…1 scene score) are sampled as well as the rate.
    public static let sceneThreshold = 0.3

    public init(path: String, step: Double, maxSide: Int = 1280) throws {
        self.path = path
        self.step = step
        info = try Self.probe(path)
        let scale = min(1, Double(maxSide) / Double(max(info.width, info.height)))
        frameWidth = max(2, Int((Double(info.width) * scale / 2).rounded()) * 2)
        frameHeight = max(2, Int((Double(info.height) * scale / 2).rounded()) * 2)

        process.executableURL = try Self.tool("ffmpeg")
        let select = "select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,\(step))+gt(scene\\,\(Self.sceneThreshold))'"
        process.arguments = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-i", path, "-an", "-sn", "-dn",
                             "-vf", "\(select),scale=\(frameWidth):\(frameHeight),showinfo", "-fps_mode", "vfr",
                             "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        frames = output.fileHandleForReading
        // showinfo writes each frame's time to standard error as ffmpeg emits the frame.
        let times = self.times
        let log = errors.fileHandleForReading
        Thread.detachNewThread { times.read(log) }
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// The next sampled frame and its time in seconds, or nil at the end.
    public func next() -> (image: RGBImage, time: Double)? {
        let size = frameWidth * frameHeight * 3
        var buffer = Data(capacity: size)
        while buffer.count < size {
            let chunk = frames.readData(ofLength: size - buffer.count)
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
        guard let time = times.time(of: taken) else { return nil }
        taken += 1
        let image = buffer.withUnsafeBytes { RGBImage(width: frameWidth, height: frameHeight, rgb: $0, format: "video") }
        return (image, time)
    }

    /// After the last frame: why decoding stopped early, if it did.
    public func finish() -> String? {
        process.waitUntilExit()
        let lastTime = times.lastTime
        let stoppedEarly = info.duration.map { lastTime < $0 - 2 * step - 0.5 } ?? false
        guard process.terminationStatus != 0 || stoppedEarly || times.errors.contains(where: Self.isDamage) else { return nil }
        let detail = times.errors.last ?? "ffmpeg exited with status \(process.terminationStatus)"
        let total = info.duration.map { String(format: " of %.1f s", $0) } ?? ""
        return String(format: "damaged or truncated video: read up to %.1f s", lastTime) + total + ": " + detail
    }

    static func isDamage(_ line: String) -> Bool {
        ["Invalid data", "partial file", "corrupt", "Truncat", "error while decoding", "moov atom not found"]
            .contains { line.localizedCaseInsensitiveContains($0) }
    }

    static func tool(_ name: String) throws -> URL {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw VideoError("\(name) is not installed (Debian package ffmpeg; `make setup` installs it)")
    }

    /// The first video stream's size and the file's duration; a file without one is not a video.
    static func probe(_ path: String) throws -> Info {
        let probe = Process()
        probe.executableURL = try tool("ffprobe")
        probe.arguments = ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height:format=duration,format_name",
                           "-of", "json", path]
        let output = Pipe()
        let errors = Pipe()
        probe.standardOutput = output
        probe.standardError = errors
        try probe.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        probe.waitUntilExit()
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        guard probe.terminationStatus == 0, let stream = (json?["streams"] as? [[String: Any]])?.first,
              let width = stream["width"] as? Int, let height = stream["height"] as? Int, width > 0, height > 0 else {
            let reason = message.split(separator: "\n").last.map(String.init) ?? "no video stream"
            throw VideoError("not a video Likeness can read (ffprobe: \(reason))")
        }
        let format = json?["format"] as? [String: Any]
        return Info(width: width, height: height, duration: (format?["duration"] as? String).flatMap(Double.init),
                    container: (format?["format_name"] as? String) ?? "video")
    }
}

/// Frame times from ffmpeg's showinfo lines, read on their own thread, and its error lines.
final class FrameTimes: @unchecked Sendable {  // Sendable: all state is guarded by `condition`.
    private let condition = NSCondition()
    private var times: [Double] = []
    private var ended = false
    private var errorLines: [String] = []

    func read(_ log: FileHandle) {
        var pending = Data()
        while true {
            let chunk = log.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                record(line)
            }
        }
        condition.lock()
        ended = true
        condition.broadcast()
        condition.unlock()
    }

    private func record(_ line: String) {
        condition.lock()
        defer { condition.unlock() }
        if line.contains("Parsed_showinfo"), let range = line.range(of: "pts_time:") {
            let value = line[range.upperBound...].prefix { !$0.isWhitespace }
            if let time = Double(value) {
                times.append(time)
                condition.broadcast()
            }
        } else if !line.contains("Parsed_showinfo"), VideoDecoder.isDamage(line) || line.localizedCaseInsensitiveContains("error") {
            errorLines.append(line.trimmingCharacters(in: .whitespaces))
        }
    }

    /// The time of frame `index`, waiting for ffmpeg to report it.
    func time(of index: Int) -> Double? {
        condition.lock()
        defer { condition.unlock() }
        while times.count <= index, !ended { condition.wait() }
        return times.count > index ? times[index] : nil
    }

    /// ffmpeg's error lines, once it has closed its log.
    var errors: [String] {
        condition.lock()
        defer { condition.unlock() }
        while !ended { condition.wait() }
        return errorLines
    }

    var lastTime: Double {
        condition.lock()
        defer { condition.unlock() }
        return times.last ?? 0
    }
}

public struct VideoError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
