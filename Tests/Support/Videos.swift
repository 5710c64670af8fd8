import Foundation

/// Real videos made with ffmpeg from fixture photos, for the video ingest tests.
public enum Videos {
    public struct Segment: Sendable {
        public var photo: String
        public var seconds: Double
        /// Zoom in (and pan) across the segment, as footage of a still would.
        public var zooms: Bool

        public init(_ photo: String, seconds: Double, zooms: Bool = false) {
            self.photo = photo
            self.seconds = seconds
            self.zooms = zooms
        }
    }

    /// A 640×480, 10 fps H.264 slideshow of the segments, cut from one to the next.
    public static func slideshow(_ segments: [Segment], in folder: URL, name: String = "clip.mp4") throws -> String {
        var arguments = ["-hide_banner", "-loglevel", "error", "-y"]
        var filters: [String] = []
        for (i, segment) in segments.enumerated() {
            arguments += ["-framerate", "10", "-loop", "1", "-t", "\(segment.seconds)", "-i", Fixtures.face(segment.photo)]
            let fit = "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2"
            let motion = segment.zooms ? ",zoompan=z='1+0.006*on':x='iw/2-iw/zoom/2+on':y='ih/2-ih/zoom/2':d=1:s=640x480:fps=10" : ""
            filters.append("[\(i)]\(fit)\(motion),setsar=1[s\(i)]")
        }
        let inputs = segments.indices.map { "[s\($0)]" }.joined()
        filters.append("\(inputs)concat=n=\(segments.count):v=1:a=0,format=yuv420p[v]")
        let output = folder.appendingPathComponent(name).path
        arguments += ["-filter_complex", filters.joined(separator: ";"), "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast",
                      "-movflags", "+faststart", output]
        let result = try Subprocess.run("/usr/bin/ffmpeg", arguments)
        guard result.status == 0 else { throw VideoFixtureError(description: "ffmpeg: \(result.stderr)") }
        return output
    }

    struct VideoFixtureError: Error, CustomStringConvertible { let description: String }
}
