import Foundation
import LikenessCore
import LikenessEngine
import LikenessGovernance
import LikenessSearch
import LikenessStore
import Testing
import TestSupport

/// Erasure removes every copy of a person's templates: proven by scanning every byte of every
/// file in the data directory for any 16-byte window of them.
@Suite struct ErasureTests {
    /// img16, img17, img61 and img62 are one person; the others are three other people.
    static let person = ["img16.jpg", "img17.jpg", "img62.jpg"]
    static let others = ["img10.jpg", "img11.jpg", "img47.jpg", "img12.jpg"]

    static func files(_ matches: [Match]) -> Set<String> {
        Set(matches.map { ($0.origin.location as NSString).lastPathComponent })
    }

    /// A look-up's findings in the strong and possible bands (those a reviewer sees ticked).
    static func ticked(_ rights: SubjectRights, selfie: String, _ caller: Accounts.Caller) async throws -> [SubjectFinding] {
        try await rights.lookUp(selfie: try Samples.bytes(selfie), reference: "SAR-test", caller: caller).filter { $0.band != "weak" }
    }

    static func files(_ findings: [SubjectFinding], in store: any GalleryStore) async throws -> Set<String> {
        Set(try await store.matchDetails(for: findings.map(\.face)).values.map { ($0.origin.location as NSString).lastPathComponent })
    }

    @Test func erasureLeavesNoWindowOfTheTemplatesInAnyFileAndOthersUnchanged() async throws {
        let rig = try await TestGallery()
        _ = try await rig.ingest((Self.person + Self.others).map(Fixtures.face))
        let governance = rig.gallery.store
        let admin = try await governance.createAccount(NewAccount(
            organization: rig.organization.id, username: "privacy-admin", displayName: "Privacy", passwordHash: "-",
            role: .admin, status: .active))
        let caller = Accounts.Caller(account: admin, address: nil)
        let searcher = FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard)
        let rights = SubjectRights(searcher: searcher, gallery: rig.gallery, audit: AuditLog(store: governance))
        func search(_ photo: String) async throws -> [Match] {
            try await searcher.search(probe: try ImageCodec.decode(file: Fixtures.face(photo)), name: photo, top: 10).matches
        }
        let before = try await search("img5.jpg")

        // The person's selfie (a photo not in the gallery) finds exactly their three faces.
        let matches = try await Self.ticked(rights, selfie: "img61.jpg", caller)
        #expect(try await Self.files(matches, in: rig.gallery.store) == Set(Self.person))
        let templates = try await rig.gallery.store.templates(of: matches.map(\.face)).map(\.template.bytes)
        try #require(templates.count == 3)

        let erasure = try await rights.erase(faces: matches.map(\.face), reference: "SAR-2026-1", caller: caller)
        // img62 also shows a bystander, half out of frame at the bottom right: that image stays,
        // with the bystander's face alone.
        #expect(erasure.faces == 3 && erasure.imagesDeleted == 2 && erasure.imagesKept == 1)

        // Every file under the data directory: database, write-ahead log, shared memory, index.
        let files = try Fixtures.filesWithContents(under: rig.directory)
        for (url, contents) in files {
            for template in templates {
                for offset in 0...(template.count - 16) {
                    #expect(contents.range(of: Data(template[offset..<(offset + 16)])) == nil,
                            "\(url.lastPathComponent) still holds bytes \(offset)..<\(offset + 16) of an erased template")
                }
            }
        }
        #expect(files.count >= 2)

        // Other photos of the person find nothing of them; everyone else's results are as before.
        let erased = Set(matches.map(\.face))
        for photo in ["img61.jpg", "img16.jpg"] {
            let found = try await search(photo)
            #expect(Set(found.map(\.face)).isDisjoint(with: erased))
            #expect(Self.files(found.filter { $0.band != .weak }).isDisjoint(with: Self.person))
        }
        #expect(try await search("img5.jpg").map { "\($0.face) \($0.distance)" }
                == before.filter { !erased.contains($0.face) }.map { "\($0.face) \($0.distance)" })
        // The audit keeps the reference and the counts, not the biometric.
        let entry = try #require(try await governance.auditEntries(organization: nil, from: nil, to: nil, after: 0, limit: 100).last)
        #expect(entry.entry.action == "erasure" && entry.entry.caseNumber == "SAR-2026-1")
        #expect(!entry.hasThumbnail && entry.entry.candidates.isEmpty)
        try await rig.close()
    }

    @Test func suppressedPeopleAreNotIngestedAgain() async throws {
        let rig = try await TestGallery()
        _ = try await rig.ingest(["img16.jpg", "img17.jpg", "img10.jpg"].map(Fixtures.face))
        let governance = rig.gallery.store
        let admin = try await governance.createAccount(NewAccount(
            organization: rig.organization.id, username: "privacy-admin", displayName: "Privacy", passwordHash: "-",
            role: .admin, status: .active))
        let caller = Accounts.Caller(account: admin, address: nil)
        let rights = SubjectRights(searcher: FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard),
                                   gallery: rig.gallery, audit: AuditLog(store: governance))
        let matches = try await Self.ticked(rights, selfie: "img62.jpg", caller)
        #expect(try await Self.files(matches, in: rig.gallery.store) == ["img16.jpg", "img17.jpg"])
        _ = try await rights.erase(faces: matches.map(\.face), reference: "SAR-3", suppress: true, caller: caller)
        let list = try await governance.suppressions(of: rig.organization.id)
        #expect(list.count == 2 && list.allSatisfy { $0.reference == "SAR-3" })

        // The same photos again, a new photo of the person, and someone else.
        let again = try await rig.ingest(["img16.jpg", "img17.jpg", "img61.jpg", "img11.jpg"].map(Fixtures.face))
        #expect(again.progress.suppressed == 3, "\(again.progress.suppressed) dropped")
        #expect(again.progress.faces == 1)
        let searcher = FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard)
        let probe = try ImageCodec.decode(file: Fixtures.face("img62.jpg"))
        #expect(try await searcher.search(probe: probe, name: "img62", top: 5).matches.allSatisfy { $0.band == .weak })
        // The sealed templates are not the templates.
        let stored = try #require(list.first).sealedTemplate
        let erasedTemplate = try #require(try await rig.gallery.suppressedTemplates(of: rig.organization.id).first).bytes
        #expect(Data(stored).range(of: Data(erasedTemplate[0..<16])) == nil)
        try await rig.close()
    }

    /// Access lists exactly the person's images; the crop from a group photo shows their face
    /// and no one else's.
    @Test func accessShowsOnlyTheirImagesWithOthersPixelated() async throws {
        let rig = try await TestGallery()
        let folder = try Fixtures.scratchDirectory()
        // A group photo: someone else's face (img10's, small) just beside the person's (img16's,
        // at 304…489 × 118…304), well within the margin of the person's crop.
        let group = folder.appendingPathComponent("group.jpg").path
        let made = try Subprocess.run("/usr/bin/ffmpeg", ["-loglevel", "error", "-y", "-i", Fixtures.face("img16.jpg"), "-i",
                                                          Fixtures.face("img10.jpg"), "-filter_complex",
                                                          "[1]crop=223:223:92:167,scale=84:84[f];[0][f]overlay=496:150",
                                                          "-frames:v", "1", "-q:v", "2", group])
        try #require(made.status == 0, "\(made.stderr)")
        _ = try await rig.ingest([group] + ["img17.jpg", "img12.jpg", "img11.jpg"].map(Fixtures.face))
        let governance = rig.gallery.store
        let admin = try await governance.createAccount(NewAccount(
            organization: rig.organization.id, username: "privacy-admin", displayName: "Privacy", passwordHash: "-",
            role: .admin, status: .active))
        let rights = SubjectRights(searcher: FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard),
                                   gallery: rig.gallery, audit: AuditLog(store: governance))
        let caller = Accounts.Caller(account: admin, address: nil)
        let held = try await rights.held(try await Self.ticked(rights, selfie: "img61.jpg", caller), caller: caller)
        #expect(Set(held.map { ($0.details.origin.location as NSString).lastPathComponent }) == ["group.jpg", "img17.jpg"])

        let fromGroup = try #require(held.first { $0.details.origin.location == group })
        let crop = try ImageCodec.decode(data: fromGroup.crop)
        let selfieTemplate = try await rig.pool.run { engine in
            let selfie = try ImageCodec.decode(file: Fixtures.face("img61.jpg"))
            return try engine.templates(for: try engine.detectFaces(in: selfie, policy: .standard), in: selfie, policy: .standard)[0]
        }
        let other = try await rig.pool.run { engine in
            let photo = try ImageCodec.decode(file: Fixtures.face("img10.jpg"))
            return try engine.templates(for: try engine.detectFaces(in: photo, policy: .standard), in: photo, policy: .standard)[0]
        }
        let inCrop = try await rig.pool.run { engine in
            try engine.templates(for: try engine.detectFaces(in: crop, policy: .standard), in: crop, policy: .standard)
        }
        #expect(inCrop.count == 1, "faces recognisable in the crop: \(inCrop.count)")
        #expect(inCrop.allSatisfy { $0.distance(to: selfieTemplate) < 0.53 && $0.distance(to: other) > 0.6 })
        try await rig.close()
    }

    @Test func imagesWithOtherFacesOrAKeepPolicyStay() async throws {
        let rig = try await TestGallery()
        let kept = try await rig.gallery.store.createCollection(NewCollection(
            organization: rig.organization.id, name: "archive", source: "s", lawfulBasis: "b", jurisdiction: "GB",
            retentionDays: nil, erasurePolicy: .keepImage))
        _ = try await rig.ingester.run(inputs: [Fixtures.face("img16.jpg")], into: kept)
        _ = try await rig.ingest([Fixtures.face("selfie-many-people.jpg")])
        let governance = rig.gallery.store
        let admin = try await governance.createAccount(NewAccount(
            organization: rig.organization.id, username: "privacy-admin", displayName: "Privacy", passwordHash: "-",
            role: .admin, status: .active))
        let rights = SubjectRights(searcher: FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard),
                                   gallery: rig.gallery, audit: AuditLog(store: governance))
        // One face of the group photo, and the face in the keep-policy collection.
        let group = try #require(try await rig.gallery.store.imageDetails(2))
        let archived = try #require(try await rig.gallery.store.imageDetails(1))
        let erasure = try await rights.erase(faces: [group.faces[0].id, archived.faces[0].id], reference: "SAR-2",
                                             caller: Accounts.Caller(account: admin, address: nil))
        #expect(erasure.faces == 2 && erasure.imagesDeleted == 0 && erasure.imagesKept == 2)
        #expect(try await rig.gallery.store.imageDetails(2)?.faces.count == group.faces.count - 1)
        #expect(try await rig.gallery.store.imageDetails(1)?.faces.isEmpty == true)
        try await rig.close()
    }
}
