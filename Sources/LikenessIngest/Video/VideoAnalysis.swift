import LikenessCore
import LikenessEngine
import LikenessStore

/// Video → sampled frames → faces per frame → tracks → one face per track, from the track's
/// best frame, with its time and the track's span. Runs on one engine thread for the whole
/// video; other engines go on with other items.
struct VideoAnalysis {
    var info: VideoDecoder.Info
    var faces: [NewFace]
    var framesRead: Int
    var secondsRead: Double
    /// Why decoding stopped before the end, when it did: the faces above are from what was read.
    var problem: String?

    /// One frame every this many seconds, plus scene changes.
    static let defaultStep = 0.5

    static func analyse(path: String, engine: any FaceEngine, templates templatePolicy: TemplatePolicy,
                        step: Double = defaultStep,
                        onFrame: (_ time: Double, _ duration: Double?) -> Void = { _, _ in }) throws -> VideoAnalysis {
        let decoder = try VideoDecoder(path: path, step: step)
        // A person unseen for two samples (a missed detection) keeps their track; longer is a new appearance.
        var tracker = FaceTracker(maxGap: 2 * step + 0.01)
        var chips: [Int: (face: DetectedFace, chip: [UInt8], sface: FaceTemplate?)] = [:]
        var next = 0
        var frames = 0
        var lastTime = 0.0
        while let (frame, time) = decoder.next() {
            frames += 1
            lastTime = time
            let detected = try engine.detectFaces(in: frame, policy: .video)
            let templates = try engine.templates(for: detected, in: frame, policy: templatePolicy)
            // The second model's template is kept for each track's best frame, as its chip is:
            // the frame itself is gone by the time the track ends.
            let sfaceTemplates = try engine.sfaceTemplates(for: detected, in: frame)
            var observations: [FaceTracker.Observation] = []
            for (i, face) in detected.enumerated() {
                let template = templates[i]
                let chip = try engine.chip(for: face, in: frame)
                chips[next] = (face, chip, sfaceTemplates[i])
                observations.append(FaceTracker.Observation(time: time, box: face.box, template: template,
                                                            quality: FaceQuality.frameScore(face: face, chip: chip), payload: next))
                next += 1
            }
            tracker.add(observations, at: time)
            // Keep only the chips of each track's best frame so far.
            let kept = Set((tracker.open + tracker.closed).map(\.best.payload))
            chips = chips.filter { kept.contains($0.key) }
            onFrame(time, decoder.info.duration)
        }
        let problem = decoder.finish()
        let side = DlibFaceEngine.chipSide
        let faces = try tracker.finished().map { track in
            let (face, chip, sface) = chips[track.best.payload]!
            return NewFace(face: face, quality: FaceQuality.score(face: face, chip: chip), template: track.best.template,
                           sfaceTemplate: sface, crop: try ImageCodec.jpeg(rgb: chip, width: side, height: side),
                           video: VideoAppearance(time: track.best.time, start: track.start, end: track.end))
        }
        if frames == 0 {
            throw VideoError(problem ?? "no frame could be decoded")
        }
        return VideoAnalysis(info: decoder.info, faces: faces, framesRead: frames, secondsRead: lastTime, problem: problem)
    }
}
