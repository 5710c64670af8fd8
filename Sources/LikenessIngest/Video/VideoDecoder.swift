import Foundation
import LikenessEngine
import Synchronization

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
    private let stallLimit: Duration
    private let stalled = Flag()

    /// Scene changes above this (ffmpeg's 0…1 scene score) are sampled as well as the rate.
    public static let sceneThreshold = 0.3

    /// The demuxers a video may be read with: containers that hold their media. ffmpeg would
    /// otherwise pick one from the bytes, and playlists (HLS, DASH, concat) named `clip.mp4`
    /// read other local files into the collection, or wait for ever on a "live" stream.
    public static let demuxers = ["mov", "matroska", "avi", "mpegts", "mpeg", "asf"]

    /// How long ffprobe may take to read a header; past it, the file is refused.
    public static let defaultProbeTimeLimit: Duration = .seconds(30)
    /// How long ffmpeg may take to produce the next frame; past it, decoding stops there.
    public static let defaultStallLimit: Duration = .seconds(120)

    /// - Parameter pixelLimit: frames above this many pixels are refused, as images are.
    public init(path: String, step: Double, maxSide: Int = 1280, pixelLimit: Int = ImageCodec.defaultPixelLimit,
                probeTimeLimit: Duration = defaultProbeTimeLimit, stallLimit: Duration = defaultStallLimit) throws {
        self.path = path
        self.step = step
        self.stallLimit = stallLimit
        let (info, demuxer) = try Self.probe(path, pixelLimit: pixelLimit, timeLimit: probeTimeLimit)
        self.info = info
        // ffprobe's decoder refuses such frames when it opens one; when the container's header
        // gave the size without decoding, the size is checked here.
        guard info.width * info.height <= pixelLimit else {
            throw VideoError("video frames are \(info.width)×\(info.height) pixels, over the limit of \(pixelLimit) pixels")
        }
        let scale = min(1, Double(maxSide) / Double(max(info.width, info.height)))
        frameWidth = max(2, Int((Double(info.width) * scale / 2).rounded()) * 2)
        frameHeight = max(2, Int((Double(info.height) * scale / 2).rounded()) * 2)

        process.executableURL = try Self.tool("ffmpeg")
        let select = "select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,\(step))+gt(scene\\,\(Self.sceneThreshold))'"
        // The input is read with the demuxer the probe found, from this file only, and the
        // decoder refuses frames over the limit should a later frame grow. The output (pipe:1)
        // is not an input, so the protocol whitelist does not apply to it.
        process.arguments = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "info"]
            + Self.inputOptions(demuxer: demuxer, pixelLimit: pixelLimit) + ["-i", Self.fileURL(path), "-an", "-sn", "-dn",
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

    static func inputOptions(demuxer: String, pixelLimit: Int) -> [String] {
        ["-f", demuxer, "-protocol_whitelist", "file", "-max_pixels", "\(pixelLimit)"]
    }

    /// A path as a `file:` URL, so that a name like `concat:a|b` is never taken for a protocol.
    static func fileURL(_ path: String) -> String {
        "file:" + (path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path)
    }

    /// The next sampled frame and its time in seconds, or nil at the end.
    public func next() -> (image: RGBImage, time: Double)? {
        let size = frameWidth * frameHeight * 3
        var buffer = Data(capacity: size)
        // Only ffmpeg's own time counts (not the engine's between frames): a stream that stops
        // producing frames is stopped, so it cannot hold its engine for ever.
        let watchdog = Watchdog(killing: process, after: stallLimit, flag: stalled)
        defer { watchdog.cancel() }
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
        let detail = stalled.isSet ? "ffmpeg produced no frame for \(stallLimit), stopped"
            : times.errors.last ?? "ffmpeg exited with status \(process.terminationStatus)"
        let total = info.duration.map { String(format: " of %.1f s", $0) } ?? ""
        return String(format: "damaged or truncated video: read up to %.1f s", lastTime) + total + ": " + detail
    }

    static func isDamage(_ line: String) -> Bool {
        ["Invalid data", "partial file", "corrupt", "Truncat", "error while decoding", "moov atom not found", "max pixel count"]
            .contains { line.localizedCaseInsensitiveContains($0) }
    }

    static func tool(_ name: String) throws -> URL {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw VideoError("\(name) is not installed (Debian package ffmpeg; `make setup` installs it)")
    }

    /// The first video stream's size and the file's duration, and the demuxer that read it: each
    /// of `demuxers` is tried in turn, so a file none of them reads is not a video, whatever
    /// ffmpeg would have guessed from its bytes. A probe past `timeLimit` is killed and refused.
    static func probe(_ path: String, pixelLimit: Int, timeLimit: Duration) throws -> (Info, demuxer: String) {
        var firstReason: String?
        for demuxer in demuxers {
            let probe = Process()
            probe.executableURL = try tool("ffprobe")
            probe.arguments = ["-v", "error"] + inputOptions(demuxer: demuxer, pixelLimit: pixelLimit)
                + ["-select_streams", "v:0", "-show_entries", "stream=width,height:format=duration,format_name",
                   "-of", "json", fileURL(path)]
            let output = Pipe()
            let errors = Pipe()
            probe.standardOutput = output
            probe.standardError = errors
            probe.standardInput = FileHandle.nullDevice
            try probe.run()
            let timedOut = Flag()
            let watchdog = Watchdog(killing: probe, after: timeLimit, flag: timedOut)
            // Standard error is read on its own thread so that neither pipe fills and blocks ffprobe.
            let message = PipeText(errors.fileHandleForReading)
            let data = output.fileHandleForReading.readDataToEndOfFile()
            probe.waitUntilExit()
            watchdog.cancel()
            if timedOut.isSet {
                throw VideoError("not a video Likeness can read (ffprobe did not finish within \(timeLimit))")
            }
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            if probe.terminationStatus == 0, let stream = (json?["streams"] as? [[String: Any]])?.first,
               let width = stream["width"] as? Int, let height = stream["height"] as? Int, width > 0, height > 0 {
                let format = json?["format"] as? [String: Any]
                let info = Info(width: width, height: height, duration: (format?["duration"] as? String).flatMap(Double.init),
                                container: (format?["format_name"] as? String) ?? demuxer)
                return (info, demuxer)
            }
            // The decoder refuses to open frames over the limit; its message names their size.
            if let size = message.text.firstMatch(of: /Picture size (\d+)x(\d+) exceeds specified max pixel count/) {
                throw VideoError("video frames are \(size.1)×\(size.2) pixels, over the limit of \(pixelLimit) pixels")
            }
            if firstReason == nil {
                firstReason = message.text.split(separator: "\n").last.map(String.init)
            }
        }
        throw VideoError("not a video Likeness can read (none of \(demuxers.joined(separator: ", ")) reads it: "
                         + "\(firstReason ?? "no video stream"))")
    }
}

/// Kills a process (SIGKILL: ffmpeg may be blocked in a read that SIGTERM would not interrupt)
/// unless cancelled within `limit`, and says so in `flag`. Cancel as soon as the wait is over.
final class Watchdog: Sendable {
    private let cancelled = Flag()

    init(killing process: Process, after limit: Duration, flag: Flag) {
        let pid = process.processIdentifier
        let (seconds, attoseconds) = limit.components
        DispatchQueue.global().asyncAfter(deadline: .now() + Double(seconds) + Double(attoseconds) * 1e-18) { [cancelled] in
            guard !cancelled.isSet else { return }
            flag.set()
            kill(pid, SIGKILL)
        }
    }

    func cancel() { cancelled.set() }
}

/// A flag set once, from any thread.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// A pipe's text, read to its end on a thread of its own.
final class PipeText: @unchecked Sendable {  // Sendable: `collected` is written once, before `done` is signalled.
    private var collected = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            collected = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    var text: String {
        done.wait()
        done.signal()
        return String(decoding: collected, as: UTF8.self)
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
