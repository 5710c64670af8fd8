import Foundation
import LikenessCore
import LikenessEngine
import LikenessSearch
import Testing
import TestSupport

@Suite struct FaceSearcherTests {
    /// Held-out photos of each labelled identity find that identity first.
    @Test func heldOutPhotosFindTheirIdentityFirst() async throws {
        let labels = try Fixtures.labels().filter { $0.identity != nil }
        let byIdentity = Dictionary(grouping: labels, by: { $0.identity! })
        // The first photo of each identity is the probe; the rest go into the gallery.
        let probes = byIdentity.values.map { $0.sorted { $0.file < $1.file }[0] }
        let probeFiles = Set(probes.map(\.file))
        let identityOf = Dictionary(uniqueKeysWithValues: labels.map { ($0.file, $0.identity!) })

        let rig = try await TestGallery()
        let summary = try await rig.ingest(labels.map(\.file).filter { !probeFiles.contains($0) }.map(Fixtures.face))
        #expect(summary.progress.failed == 0)

        let searcher = FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard)
        for probe in probes {
            let result = try await searcher.search(probe: try ImageCodec.decode(file: Fixtures.face(probe.file)),
                                                   name: probe.file, top: 5)
            let first = try #require(result.matches.first, "\(probe.file): no candidates")
            let found = URL(fileURLWithPath: first.origin.location).lastPathComponent
            #expect(identityOf[found] == probe.identity, "\(probe.file) found \(found) at distance \(first.distance)")
            #expect(first.rank == 1)
            // Both models scored every candidate (all were found by YuNet), and they are listed
            // by band, then by the fused score's similarity.
            #expect(result.matches.allSatisfy { $0.fusedDistance != nil })
            let order = result.matches.map { ($0.band.rank, -$0.similarity) }
            #expect(zip(order, order.dropFirst()).allSatisfy { $0 <= $1 })
        }
        try await rig.close()
    }

    /// A JPEG `factor` times the size of a fixture photo: a camera-sized probe.
    func enlarged(_ fixture: String, by factor: Double) throws -> [UInt8] {
        let large = try ImageCodec.resize(try ImageCodec.decode(file: Fixtures.face(fixture)), scale: factor)
        return try ImageCodec.jpeg(of: large, left: 0, top: 0, width: large.width, height: large.height,
                                   maxSide: max(large.width, large.height), quality: 92)
    }

    /// A large probe whose face is large is searched decoded shrunk: the same candidates at the
    /// same distances (within the resampling's noise) as at full size, and its face boxes in the
    /// photo's own pixels. A face too small in the shrunk copy is searched at full size.
    @Test func aLargeProbeIsSearchedShrunkUnlessItsFaceIsSmall() async throws {
        let rig = try await TestGallery()
        #expect(try await rig.ingest(["img10.jpg", "img11.jpg", "img6.jpg", "img16.jpg", "img17.jpg"].map(Fixtures.face)).progress.failed == 0)
        let searcher = FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard)

        let photo = try enlarged("img5.jpg", by: 8)  // 2640×4096, the face some 1,000 px wide
        let shrunk = try ProbePhoto.decoding(photo)
        #expect(shrunk.shrink == 2 && shrunk.fullSize != nil)
        let fast = try await searcher.search(probe: shrunk, name: "large", top: 3)
        let full = try await searcher.search(probe: ProbePhoto(image: try ImageCodec.decode(data: photo)), name: "large", top: 3)
        #expect(!fast.timings.stages.contains { $0.name == "decode-full" })
        #expect(fast.matches.map(\.face) == full.matches.map(\.face))
        for (a, b) in zip(fast.matches, full.matches) { #expect(abs(a.distance - b.distance) < 0.03, "\(a.distance) against \(b.distance)") }
        let (box, fullBox) = (try #require(fast.faces.first), try #require(full.faces.first))
        #expect(abs(box.left - fullBox.left) <= 16 && abs(box.right - fullBox.right) <= 16 && abs(box.top - fullBox.top) <= 16,
                "\(box) against \(fullBox) at full size")

        // The mosaic's faces are about 100 px: twice as large, then shrunk back, they are too small.
        let crowdPhoto = try enlarged("mosaic-100-faces.jpg", by: 2)
        let crowd = try await searcher.search(probe: try ProbePhoto.decoding(crowdPhoto), name: "crowd", top: 3)
        let crowdAtFullSize = try await searcher.search(probe: ProbePhoto(image: try ImageCodec.decode(data: crowdPhoto)),
                                                        name: "crowd", top: 3)
        #expect(crowd.timings.stages.contains { $0.name == "decode-full" })
        #expect(crowd.faces == crowdAtFullSize.faces && crowd.matches.map(\.distance) == crowdAtFullSize.matches.map(\.distance))
        try await rig.close()
    }

    /// A face stored before the second model (or found only by HOG) has dlib's template alone:
    /// it is scored on dlib's distance and bands, and the result says which models scored it.
    @Test func facesWithoutTheSecondTemplateAreScoredByDlibAloneAndSaySo() async throws {
        let rig = try await TestGallery()
        _ = try await rig.ingest([Fixtures.face("img16.jpg"), Fixtures.face("img10.jpg"), Fixtures.face("img12.jpg")])
        let searcher = FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard)
        let probe = try ImageCodec.decode(file: Fixtures.face("img17.jpg"))
        let fused = try await searcher.search(probe: probe, name: "img17", top: 5).matches
        #expect(fused.count == 3 && fused.allSatisfy { $0.scoredBy == [.dlibResNetV1, .sface2021dec] })
        #expect(Match.modelsNamed(fused) == "dlib-resnet-v1+sface-2021dec")

        try await rig.removeSecondTemplates()
        let alone = try await searcher.search(probe: probe, name: "img17", top: 5).matches
        #expect(Set(alone.map(\.face)) == Set(fused.map(\.face)))
        #expect(alone.allSatisfy { $0.fusedDistance == nil && $0.scoredBy == [.dlibResNetV1] })
        #expect(alone.allSatisfy { $0.band == BandThresholds.standard.band(forDistance: $0.distance) })
        #expect(Match.modelsNamed(alone) == "dlib-resnet-v1")
        // The same person (img16) comes first either way, in the strong band.
        #expect(URL(fileURLWithPath: try #require(alone.first).origin.location).lastPathComponent == "img16.jpg")
        #expect(URL(fileURLWithPath: try #require(fused.first).origin.location).lastPathComponent == "img16.jpg")
        #expect(fused.first?.band == .strong)
        try await rig.close()
    }

    @Test func searchesOnlyTheCollectionsAsked() async throws {
        let rig = try await TestGallery()
        _ = try await rig.ingest([Fixtures.face("img6.jpg")])
        let other = try await rig.gallery.store.createCollection(.init(
            organization: rig.organization.id, name: "other", source: "s", lawfulBasis: "b", jurisdiction: "FR", retentionDays: nil))
        _ = try await rig.ingester.run(inputs: [Fixtures.face("img10.jpg")], into: other)

        let searcher = FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard)
        let probe = try ImageCodec.decode(file: Fixtures.face("img5.jpg"))
        let all = try await searcher.search(probe: probe, name: "img5", top: 10)
        let onlyOther = try await searcher.search(probe: probe, name: "img5", top: 10, collections: [other.id])
        #expect(Set(all.matches.map(\.collection)) == ["press", "other"])
        #expect(onlyOther.matches.map(\.collection) == ["other"])
        try await rig.close()
    }

    /// A blurred probe is searched, with a warning that a miss means little (measured in
    /// scripts/bench/probe-quality.py); a sharp one gets no warning.
    @Test func blurredProbeIsSearchedWithAWarning() async throws {
        let rig = try await TestGallery()
        _ = try await rig.ingest([Fixtures.face("img10.jpg")])
        let searcher = FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard)
        let sharp = try ImageCodec.decode(file: Fixtures.face("img5.jpg"))
        #expect(try await searcher.search(probe: sharp, name: "sharp", top: 1).warnings.isEmpty)
        // Shrunk to a twelfth and blown up again: the face is all there, its detail is not.
        let small = try ImageCodec.resize(sharp, scale: 1.0 / 12)
        let blurred = try ImageCodec.resize(small, scale: Double(sharp.width) / Double(small.width))
        let result = try await searcher.search(probe: blurred, name: "blurred", top: 1)
        let warning = try #require(result.warnings.first)
        #expect(warning.contains("blurred") && warning.contains("not evidence of absence"), "\(warning)")
        try await rig.close()
    }

    @Test func probeWithoutFaceOrMissingFaceIsAClearError() async throws {
        let rig = try await TestGallery()
        let searcher = FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard)
        let side = 200
        let flat = try ImageCodec.decode(data: try ImageCodec.jpeg(rgb: [UInt8](repeating: 90, count: side * side * 3), width: side, height: side))
        await #expect(throws: SearchError.self) { try await searcher.search(probe: flat, name: "flat", top: 5) }
        let one = try ImageCodec.decode(file: Fixtures.face("img12.jpg"))
        let error = await #expect(throws: SearchError.self) { try await searcher.search(probe: one, name: "img12", face: 3, top: 5) }
        #expect(error?.description.contains("has 1 face") == true)
        try await rig.close()
    }
}
