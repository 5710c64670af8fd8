import Foundation
import LikenessCore
import LikenessEngine
@testable import LikenessIngest
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
            #expect(result.matches.first?.origin.location == clip)
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

/// Untrusted videos: only real containers, read from their own file, within limits of time,
/// pixels and size, through private temporary files.
@Suite struct VideoHardeningTests {
    /// An HLS playlist named clip.mp4 pointing at a local media file: ffmpeg, left to guess the
    /// format from the bytes, would read that file into the collection (or, with no end tag,
    /// wait for ever for a live stream's next segment).
    @Test(.timeLimit(.minutes(2)), arguments: [true, false])
    func aPlaylistNamedLikeAVideoIsRefusedAndReadsNothing(ended: Bool) async throws {
        let rig = try await TestGallery()
        let folder = try Fixtures.scratchDirectory()
        let secret = try Videos.slideshow([Videos.Segment("img16.jpg", seconds: 2)], in: folder, name: "secret.mp4")
        let segment = folder.appendingPathComponent("secret.ts").path
        let remux = try Subprocess.run("/usr/bin/ffmpeg", ["-loglevel", "error", "-y", "-i", secret, "-c", "copy", "-f", "mpegts", segment])
        try #require(remux.status == 0, "\(remux.stderr)")
        let playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.0,\n\(segment)\n"
            + (ended ? "#EXT-X-ENDLIST\n" : "")
        let clip = try folder.write(Array(playlist.utf8), to: "clip.mp4")
        let summary = try await rig.ingest([clip])
        #expect(summary.progress.stored == 0 && summary.progress.faces == 0 && summary.progress.failed == 1)
        let reason = summary.progress.failures.first?.reason ?? "no failure"
        #expect(reason.contains("not a video Likeness can read (none of mov, matroska"), "\(reason)")
        #expect(try await rig.gallery.store.imageDetails(1) == nil)
        try await rig.close()
    }

    /// A file ffprobe cannot finish reading (a FIFO nobody writes to blocks its open for ever)
    /// is refused once the probe's time limit passes.
    @Test(.timeLimit(.minutes(1)))
    func aProbeThatNeverFinishesIsStopped() throws {
        let fifo = try Fixtures.scratchDirectory().appendingPathComponent("stuck.mp4").path
        try #require(mkfifo(fifo, 0o600) == 0)
        let error = try #require(throws: VideoError.self) {
            _ = try VideoDecoder(path: fifo, step: 0.5, probeTimeLimit: .seconds(1))
        }
        #expect(error.description.contains("ffprobe did not finish within 1"), "\(error)")
    }

    /// Frames are capped like images (100 MP by default): here a 640×480 video against a lower
    /// cap, refused from its header before a frame is decoded.
    @Test func framesOverThePixelLimitAreRefused() throws {
        let clip = try Videos.slideshow([Videos.Segment("img16.jpg", seconds: 1)], in: try Fixtures.scratchDirectory())
        let error = try #require(throws: VideoError.self) {
            _ = try VideoDecoder(path: clip, step: 0.5, pixelLimit: 640 * 480 - 1)
        }
        #expect(error.description == "video frames are 640×480 pixels, over the limit of \(640 * 480 - 1) pixels")
        #expect(try VideoDecoder(path: clip, step: 0.5, pixelLimit: 640 * 480).next() != nil)
    }

    /// An archived video is streamed from libarchive into a new file of mode 0600, never read
    /// into memory whole; past its cap it is refused and its partial file removed.
    @Test func anArchivedVideoIsStreamedToAPrivateFileWithinItsCap() throws {
        let folder = try Fixtures.scratchDirectory()
        let clip = try Videos.slideshow([Videos.Segment("img10.jpg", seconds: 2)], in: folder)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: clip))
        let archive = folder.appendingPathComponent("footage.zip").path
        let zip = try Subprocess.run("/usr/bin/python3", ["-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w').write(sys.argv[2], 'in/clip.mp4')",
                                                           archive, clip])
        try #require(zip.status == 0, "\(zip.stderr)")

        let reader = try ArchiveReader(path: archive)
        _ = try #require(try reader.nextEntry())
        let capped = folder.appendingPathComponent("capped.mp4").path
        #expect(throws: ArchiveReader.EntryOverLimit.self) { try reader.extract(to: capped, limit: bytes.count - 1) }
        #expect(!FileManager.default.fileExists(atPath: capped))

        let again = try ArchiveReader(path: archive)
        _ = try #require(try again.nextEntry())
        let whole = folder.appendingPathComponent("whole.mp4").path
        #expect(try again.extract(to: whole, limit: bytes.count) == bytes.count)
        #expect(try Data(contentsOf: URL(fileURLWithPath: whole)) == bytes)
        #expect(try FileManager.default.attributesOfItem(atPath: whole)[.posixPermissions] as? Int == 0o600)

        // Ingest's inputs hand the video over as such a file; ingest removes it once settled.
        let inputs = try IngestInputs([archive])
        let item = try #require(inputs.next())
        guard case .extractedVideo(let temporary) = item.payload else {
            Issue.record("an archived video came as \(item.payload)")
            return
        }
        #expect(try FileManager.default.attributesOfItem(atPath: temporary)[.posixPermissions] as? Int == 0o600)
        #expect(try Data(contentsOf: URL(fileURLWithPath: temporary)) == bytes)
        item.removeTemporaryFile()
        #expect(!FileManager.default.fileExists(atPath: temporary))
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
