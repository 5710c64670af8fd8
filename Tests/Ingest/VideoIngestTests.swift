import Foundation
import LikenessCore
import LikenessEngine
import LikenessIngest
import LikenessSearch
import LikenessStore
import Testing
import TestSupport

/// Videos built with ffmpeg from fixture photos: two people, cuts between them, zooms.
@Suite struct VideoIngestTests {
    /// img10 and img11 are one person, img16 another; img5 and img17 are other photos of them.
    static let segments = [Videos.Segment("img10.jpg", seconds: 3, zooms: true), Videos.Segment("img16.jpg", seconds: 3),
                           Videos.Segment("img11.jpg", seconds: 2, zooms: true)]
    static let truth: [(start: Double, end: Double)] = [(0, 3), (3, 6), (6, 8)]

    @Test func oneTrackPerAppearanceWithItsTimesAndSearchFindsIt() async throws {
        let rig = try await TestGallery()
        let clip = try Videos.slideshow(Self.segments, in: try Fixtures.scratchDirectory())
        let summary = try await rig.ingest([clip])
        #expect(summary.progress.stored == 1 && summary.progress.failed == 0 && summary.progress.partial.isEmpty)

        let image = try #require(try await rig.gallery.store.imageDetails(1))
        #expect(image.videoDuration.map { abs($0 - 8) < 0.2 } == true)
        let tracks = image.faces.compactMap(\.video).sorted { $0.start < $1.start }
        #expect(tracks.count == Self.truth.count, "\(tracks)")
        let step = 0.5
        for (track, truth) in zip(tracks, Self.truth) {
            // Each track's span brackets the true appearance within one sampling step.
            #expect(track.start >= truth.start - 0.01 && track.start <= truth.start + step, "\(track) vs \(truth)")
            #expect(track.end <= truth.end && track.end >= truth.end - step - 0.11, "\(track) vs \(truth)")
            #expect(track.time >= track.start && track.time <= track.end)
        }

        let searcher = FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard)
        for (probe, appearances) in [("img5.jpg", [0, 2]), ("img17.jpg", [1])] {
            let result = try await searcher.search(probe: try ImageCodec.decode(file: Fixtures.face(probe)), name: probe, top: 3)
            let first = try #require(result.matches.first?.video)
            #expect(appearances.contains { abs(tracks[$0].start - first.start) < 0.01 }, "\(probe) found \(first)")
            #expect(result.matches.first?.band == .strong)
            #expect(result.matches.first?.place.hasSuffix(" @ " + VideoAppearance.clock(first.time)) == true)
            #expect(result.matches.first?.json["video_time"] as? Double != nil && result.matches.first?.json["image"] as? String == clip)
        }
        try await rig.close()
    }

    @Test func truncatedVideoKeepsWhatCouldBeReadAndSaysSo() async throws {
        let rig = try await TestGallery()
        let folder = try Fixtures.scratchDirectory()
        let clip = try Videos.slideshow(Self.segments, in: folder)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: clip))
        let cut = folder.appendingPathComponent("cut.mp4")
        try bytes.prefix(bytes.count * 55 / 100).write(to: cut)
        let summary = try await rig.ingest([cut.path])
        #expect(summary.progress.stored == 1, "\(summary.progress.failures)")
        #expect(summary.progress.faces >= 1)
        let partial = try #require(summary.progress.partial.first)
        #expect(partial.reason.contains("damaged or truncated video: read up to"), "\(partial.reason)")
        try await rig.close()
    }

    /// Videos are found in folders, archives and manifests like photos are.
    @Test func videosInFoldersArchivesAndManifests() async throws {
        let rig = try await TestGallery()
        let folder = try Fixtures.scratchDirectory()
        let short = [Videos.Segment("img16.jpg", seconds: 2)]
        let inFolder = folder.appendingPathComponent("folder", isDirectory: true)
        try FileManager.default.createDirectory(at: inFolder, withIntermediateDirectories: true)
        _ = try Videos.slideshow(short, in: inFolder, name: "walked.mp4")
        let zipped = try Videos.slideshow([Videos.Segment("img10.jpg", seconds: 2)], in: folder, name: "zipped.mp4")
        let archive = folder.appendingPathComponent("footage.zip").path
        let zip = try Subprocess.run("/usr/bin/python3", ["-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w').write(sys.argv[2], 'in/zipped.mp4')",
                                                           archive, zipped])
        try #require(zip.status == 0, "\(zip.stderr)")
        _ = try Videos.slideshow([Videos.Segment("img11.jpg", seconds: 2)], in: folder, name: "listed.mp4")
        let manifest = folder.appendingPathComponent("manifest.csv")
        try "path,source_url\nlisted.mp4,https://example.org/footage/1\n".write(to: manifest, atomically: true, encoding: .utf8)
        let summary = try await rig.ingest([inFolder.path, archive, manifest.path])
        #expect(summary.progress.stored == 3 && summary.progress.videos == 3 && summary.progress.faces == 3, "\(summary.progress.failures)")
        #expect(abs(summary.progress.videoSeconds - 6) < 0.3, "\(summary.progress.videoSeconds)")
        let items = try await rig.gallery.store.jobItems(summary.job)
        #expect(Set(items.map { ($0.item as NSString).lastPathComponent }) == ["walked.mp4", "zipped.mp4", "listed.mp4"])
        try await rig.close()
    }

    @Test func aNonVideoWithAVideoNameIsRefusedByName() async throws {
        let rig = try await TestGallery()
        let path = try Fixtures.scratchDirectory().write(Samples.notAnImage, to: "clip.mp4")
        let summary = try await rig.ingest([path])
        #expect(summary.progress.failed == 1)
        #expect(summary.progress.failures.first?.reason.contains("not a video Likeness can read") == true)
        try await rig.close()
    }
}

@Suite struct FaceTrackerTests {
    static func template(_ seed: Float) -> FaceTemplate {
        var values = (0..<128).map { Float(sin(Double($0) * Double(seed))) }
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        values = values.map { $0 / norm }
        return FaceTemplate(values)
    }

    static func seen(_ time: Double, _ box: FaceBox, _ template: FaceTemplate, quality: Double = 1, _ payload: Int) -> FaceTracker.Observation {
        .init(time: time, box: box, template: template, quality: quality, payload: payload)
    }

    @Test func aCutToAnotherPersonInTheSamePlaceStartsANewTrack() {
        let box = FaceBox(left: 100, top: 100, right: 200, bottom: 200)
        let (anna, ben) = (Self.template(1.1), Self.template(2.7))
        #expect(anna.distance(to: ben) > 0.6)
        var tracker = FaceTracker(maxGap: 1.01)
        for t in stride(from: 0.0, through: 2.5, by: 0.5) { tracker.add([Self.seen(t, box, anna, Int(t * 2))], at: t) }
        for t in stride(from: 3.0, through: 5.5, by: 0.5) { tracker.add([Self.seen(t, box, ben, Int(t * 2))], at: t) }
        let tracks = tracker.finished()
        #expect(tracks.map(\.start) == [0, 3] && tracks.map(\.end) == [2.5, 5.5])
    }

    @Test func aMissedFrameOrAPanKeepsTheTrackAndTheBestFrameWins() {
        let anna = Self.template(1.1)
        var tracker = FaceTracker(maxGap: 1.01)
        tracker.add([Self.seen(0, FaceBox(left: 0, top: 0, right: 100, bottom: 100), anna, quality: 1, 0)], at: 0)
        // 0.5 s: not detected. 1.0 s: the camera panned, the box no longer overlaps.
        tracker.add([Self.seen(1, FaceBox(left: 300, top: 0, right: 400, bottom: 100), anna, quality: 5, 1)], at: 1)
        tracker.add([], at: 1.5)
        // Gone for longer than the gap: a new appearance.
        tracker.add([Self.seen(3, FaceBox(left: 300, top: 0, right: 400, bottom: 100), anna, quality: 2, 2)], at: 3)
        let tracks = tracker.finished()
        #expect(tracks.count == 2)
        #expect(tracks[0].start == 0 && tracks[0].end == 1 && tracks[0].best.payload == 1 && tracks[0].observations == 2)
        #expect(tracks[1].start == 3)
    }
}
