import Foundation

/// Counts of a running ingest, reported as images settle.
public struct IngestProgress: Sendable {
    /// Items in the inputs, when they could be counted up front.
    public var total: Int?
    public var stored = 0
    public var duplicates = 0
    public var failed = 0
    public var faces = 0
    /// Faces dropped, never stored, because they match the organisation's suppression list.
    public var suppressed = 0
    /// Items settled by an earlier, interrupted run of the same job.
    public var alreadyDone = 0
    /// Files and archive entries passed over because their names are not images.
    public var ignored = 0
    public var failures: [(item: String, reason: String)] = []
    /// Videos being read now: how far each has got, and its length when known (seconds).
    public var videosInProgress: [String: (read: Double, duration: Double?)] = [:]
    /// Videos stored, and the seconds of video read from them.
    public var videos = 0
    public var videoSeconds = 0.0
    /// Items stored from what could be read, and what could not (a truncated video's end).
    public var partial: [(item: String, reason: String)] = []
    /// Per-stage time summed over the images stored.
    public var timings = StageTimings()
    public var elapsed: Duration = .zero

    public init(total: Int?) { self.total = total }

    public var settled: Int { stored + duplicates + failed + alreadyDone }

    /// Images processed per second in this run (resumed items excluded).
    public var imagesPerSecond: Double {
        let seconds = elapsed.seconds
        return seconds > 0 ? Double(stored + duplicates + failed) / seconds : 0
    }

    public var secondsRemaining: Double? {
        guard let total, imagesPerSecond > 0 else { return nil }
        return Double(max(0, total - settled)) / imagesPerSecond
    }

    mutating func record(_ outcome: Ingester.Outcome) {
        switch outcome {
        case .stored(let n, let stageTimings, let item, let note, let seconds, let dropped):
            stored += 1
            suppressed += dropped
            if let seconds {
                videos += 1
                videoSeconds += seconds
            }
            faces += n
            timings.add(stageTimings)
            if let note { partial.append((item, note)) }
        case .duplicate: duplicates += 1
        case .alreadyDone: alreadyDone += 1
        case .failed(let item, let reason):
            failed += 1
            failures.append((item, reason))
        }
    }
}

/// The result of `likeness ingest`, printed as a table or JSON, and kept as JSON with a queued job.
public struct IngestSummary: Sendable, Encodable {
    public var job: Int64
    public var collection: String
    public var resumed: Bool
    public var progress: IngestProgress

    enum CodingKeys: String, CodingKey {
        case job, collection, resumed, stored, duplicates, failed, alreadyDone = "already_done", ignored, faces, suppressed
        case seconds, imagesPerSecond = "images_per_second", failures, partial, videos, videoSeconds = "video_seconds"
    }

    struct ItemProblem: Encodable {
        var item: String
        var reason: String
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(job, forKey: .job)
        try container.encode(collection, forKey: .collection)
        try container.encode(resumed, forKey: .resumed)
        try container.encode(progress.stored, forKey: .stored)
        try container.encode(progress.duplicates, forKey: .duplicates)
        try container.encode(progress.failed, forKey: .failed)
        try container.encode(progress.alreadyDone, forKey: .alreadyDone)
        try container.encode(progress.ignored, forKey: .ignored)
        try container.encode(progress.faces, forKey: .faces)
        try container.encode(progress.suppressed, forKey: .suppressed)
        try container.encode((progress.elapsed.seconds * 1000).rounded() / 1000, forKey: .seconds)
        try container.encode((progress.imagesPerSecond * 100).rounded() / 100, forKey: .imagesPerSecond)
        try container.encode(progress.failures.map { ItemProblem(item: $0.item, reason: $0.reason) }, forKey: .failures)
        try container.encode(progress.partial.map { ItemProblem(item: $0.item, reason: $0.reason) }, forKey: .partial)
        try container.encode(progress.videos, forKey: .videos)
        try container.encode((progress.videoSeconds * 10).rounded() / 10, forKey: .videoSeconds)
    }
}

extension Duration {
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
