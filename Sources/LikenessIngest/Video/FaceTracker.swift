import LikenessCore

/// Follows each person across sampled frames: a face joins the track whose face it resembles
/// (a pan or a zoom moves the box), or whose last box it overlaps while resembling it loosely
/// (a turn of the head), when that track was seen within `maxGap` seconds; otherwise it starts
/// a new track. Overlap alone is not enough: a cut can put another person where the last was. A person who leaves the
/// picture and comes back after a cut is a new appearance, so a new track.
public struct FaceTracker: Sendable {
    public struct Observation: Sendable {
        public var time: Double
        public var box: FaceBox
        public var template: FaceTemplate
        /// Higher is a better frame to keep: sharper, larger, more frontal.
        public var quality: Double
        public var payload: Int

        public init(time: Double, box: FaceBox, template: FaceTemplate, quality: Double, payload: Int) {
            self.time = time
            self.box = box
            self.template = template
            self.quality = quality
            self.payload = payload
        }
    }

    public struct Track: Sendable {
        public var start: Double
        public var end: Double
        public var lastBox: FaceBox
        /// The best observation so far: the one stored for the track.
        public var best: Observation
        public var observations: Int
    }

    /// Faces closer than this are the same person wherever their boxes are: below the
    /// calibrated 'strong' band (0.5112), so different people are not merged.
    public static let maximumDistance: Float = 0.5
    /// Boxes overlapping at least this much (intersection over union) are the same face if
    /// their templates are within the looser distance.
    public static let minimumOverlap = 0.3
    public static let maximumDistanceWhenOverlapping: Float = 0.6

    public let maxGap: Double
    public private(set) var open: [Track] = []
    public private(set) var closed: [Track] = []

    public init(maxGap: Double) { self.maxGap = maxGap }

    /// Adds the faces seen in one frame (frames in time order).
    public mutating func add(_ faces: [Observation], at time: Double) {
        // Tracks not seen for too long have ended.
        let (stale, current) = open.reduce(into: ([Track](), [Track]())) { split, track in
            if time - track.end > maxGap { split.0.append(track) } else { split.1.append(track) }
        }
        closed += stale
        open = current
        // Greedy assignment, best pairs first; each track takes at most one face per frame.
        var pairs: [(score: Double, face: Int, track: Int)] = []
        for (f, face) in faces.enumerated() {
            for (t, track) in open.enumerated() {
                let overlap = face.box.overlap(with: track.lastBox)
                let distance = face.template.distance(to: track.best.template)
                if distance <= Self.maximumDistance || (overlap >= Self.minimumOverlap && distance <= Self.maximumDistanceWhenOverlapping) {
                    pairs.append((overlap + Double(Self.maximumDistanceWhenOverlapping - distance), f, t))
                }
            }
        }
        var usedFaces = Set<Int>(), usedTracks = Set<Int>()
        for pair in pairs.sorted(by: { $0.score > $1.score }) where !usedFaces.contains(pair.face) && !usedTracks.contains(pair.track) {
            usedFaces.insert(pair.face)
            usedTracks.insert(pair.track)
            let face = faces[pair.face]
            open[pair.track].end = time
            open[pair.track].lastBox = face.box
            open[pair.track].observations += 1
            if face.quality > open[pair.track].best.quality { open[pair.track].best = face }
        }
        for (f, face) in faces.enumerated() where !usedFaces.contains(f) {
            open.append(Track(start: time, end: time, lastBox: face.box, best: face, observations: 1))
        }
    }

    /// Every track, ended or not, in order of appearance.
    public func finished() -> [Track] {
        (closed + open).sorted { ($0.start, $0.best.payload) < ($1.start, $1.best.payload) }
    }
}
