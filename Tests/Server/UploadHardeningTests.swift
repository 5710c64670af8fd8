import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessGovernance
@testable import LikenessServer
import LikenessStore
import NIOCore
import Testing
import TestSupport

/// Uploads leave Likeness holding plain files only, each one an image's record: archives are
/// unpacked, duplicates not kept, formats nobody documented refused; so erasure can find and
/// delete every byte of a person's images.
@Suite struct UploadHardeningTests {
    /// Uploads files through the API into organisation A's collection and waits for the ingest.
    static func upload(_ files: [(name: String, bytes: [UInt8])], rig: ServerRig) async throws -> [String: Any] {
        try await rig.application.test(.router) { client in
            var form = Multipart()
            for file in files { form.file("files", filename: file.name, file.bytes) }
            var headers = rig.headers("A.admin")
            headers[.contentType] = form.contentType
            let upload = try await client.execute(uri: "/api/v1/collections/\(rig.rig.collection.id)/uploads", method: .post,
                                                  headers: headers, body: form.finished()) { response in
                #expect(response.status == .accepted, "\(String(buffer: response.body))")
                return response.body.json
            }
            let id = try #require(upload["id"] as? String)
            try await rig.services.uploads.waitUntilSettled(id)
            return try await client.execute(uri: "/api/v1/uploads/\(id)", method: .get, headers: rig.headers("A.admin")) { $0.body.json }
        }
    }

    static func heldFiles(_ rig: ServerRig) -> [URL] {
        let uploads = rig.rig.directory.appendingPathComponent("uploads")
        guard let walk = FileManager.default.enumerator(at: uploads, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        return walk.compactMap { $0 as? URL }.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
    }

    /// A zip (stored, so its entries' bytes appear in it as they are) of a photo and a video of
    /// one person and a photo of another. The person asks for erasure: afterwards no file of the
    /// data directory holds a 64-byte window of their photo or video, or a 16-byte window of a
    /// template; the other person's photo is still held.
    @Test func erasureRemovesEveryByteOfImagesAndVideosThatCameInAnUploadedArchive() async throws {
        let rig = try await ServerRig()
        let folder = try Fixtures.scratchDirectory()
        let video = try Videos.slideshow([Videos.Segment("img16.jpg", seconds: 2)], in: folder, name: "footage.mp4")
        let archive = folder.appendingPathComponent("box.zip").path
        let zip = try Subprocess.run("/usr/bin/python3", ["-c", """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_STORED) as z:
                z.write(sys.argv[2], 'people/img17.jpg'); z.write(sys.argv[3], 'people/img53.jpg'); z.write(sys.argv[4], 'cctv/footage.mp4')
            """, archive, Fixtures.face("img17.jpg"), Fixtures.face("img53.jpg"), video])
        try #require(zip.status == 0, "\(zip.stderr)")
        let status = try await Self.upload([("box.zip", Array(try Data(contentsOf: URL(fileURLWithPath: archive))))], rig: rig)
        #expect(status["stored"] as? Int == 3 && status["failed"] as? Int == 0, "\(status)")
        // Held as three plain files of mode 0600, the archive gone.
        let held = Self.heldFiles(rig)
        #expect(Set(held.map { String($0.lastPathComponent.drop { $0 != "-" }.dropFirst()) }) == ["img17.jpg", "img53.jpg", "footage.mp4"],
                "\(held)")
        #expect(held.allSatisfy { (try? FileManager.default.attributesOfItem(atPath: $0.path)[.posixPermissions] as? Int) == 0o600 })

        let admin = try #require(rig.accounts["A.admin"])
        let caller = Accounts.Caller(account: admin, address: nil)
        let request = try await rig.services.requests.file(organization: "test", kind: "erasure", selfie: try Samples.bytes("img61.jpg"),
                                                           contact: "person@example.org", suppressionConsent: false, address: nil)
        _ = try await rig.services.requests.verify(request.id, method: .inPerson, note: "came to the office",
                                                   answerTo: "person@example.org", caller: caller)
        // The faces a reviewer sees ticked: the strong and possible bands.
        let findings = try await rig.services.requests.findings(request.id, caller: caller).filter { $0.finding.band != "weak" }
        let places = Set(findings.map { ($0.details.origin.location as NSString).lastPathComponent })
        #expect(places.contains { $0.hasSuffix("img17.jpg") } && places.contains { $0.hasSuffix("footage.mp4") }, "\(places)")
        let faces = findings.map(\.finding.face)
        let templates = try await rig.rig.gallery.store.templates(of: faces).map(\.template.bytes)
        try #require(templates.count == faces.count)
        _ = try await rig.services.requests.close(request.id, erasing: faces, caller: caller)

        let erasedFiles = [try Samples.bytes("img17.jpg"), Array(try Data(contentsOf: URL(fileURLWithPath: video)))]
        let files = try Fixtures.filesWithContents(under: rig.rig.directory)
        for (url, contents) in files {
            for template in templates {
                for offset in 0...(template.count - 16) {
                    #expect(contents.range(of: Data(template[offset..<(offset + 16)])) == nil,
                            "\(url.lastPathComponent) still holds bytes \(offset)..<\(offset + 16) of an erased template")
                }
            }
            for file in erasedFiles {
                for offset in stride(from: 0, to: file.count - 64, by: max(64, file.count / 50)) {
                    #expect(contents.range(of: Data(file[offset..<(offset + 64)])) == nil,
                            "\(url.path) still holds bytes \(offset)..<\(offset + 64) of an erased image or video")
                }
            }
        }
        #expect(files.count >= 3)
        #expect(Self.heldFiles(rig).map(\.lastPathComponent).contains { $0.hasSuffix("img53.jpg") })
        try await rig.close()
    }

    /// An upload of an image already held (here twice in one upload, and once again later)
    /// keeps one file: the copies that are nobody's record are removed.
    @Test func aDuplicateUploadLeavesNoSecondFile() async throws {
        let rig = try await ServerRig(engine: .fake)
        let photo = try Samples.bytes("img53.jpg")
        let first = try await Self.upload([("a.jpg", photo), ("b.jpg", photo)], rig: rig)
        #expect(first["stored"] as? Int == 1 && first["duplicates"] as? Int == 1, "\(first)")
        let again = try await Self.upload([("c.jpg", photo)], rig: rig)
        #expect(again["duplicates"] as? Int == 1, "\(again)")
        let held = Self.heldFiles(rig)
        #expect(held.count == 1, "\(held)")
        try await rig.close()
    }

    /// An archive that cannot be unpacked (here not an archive at all) fails the upload, and
    /// nothing of it is kept: not the archive, not the photo uploaded beside it.
    @Test func anArchiveThatCannotBeUnpackedFailsTheUploadKeepingNothing() async throws {
        let rig = try await ServerRig(engine: .fake)
        let status = try await Self.upload([("img53.jpg", try Samples.bytes("img53.jpg")), ("box.zip", Samples.corrupt())], rig: rig)
        #expect(status["state"] as? String == "failed" && (status["error"] as? String)?.contains("box.zip") == true, "\(status)")
        #expect(Self.heldFiles(rig).isEmpty, "\(Self.heldFiles(rig))")
        try await rig.close()
    }

    /// An uploaded file's content is the request body's own bytes, not a copy of them: a 500 MB
    /// upload held three times over (body, an array of it, the part) ended a server capped at
    /// 2 GiB of address space (scripts/test/bombs.sh).
    @Test func anUploadedFileIsASliceOfTheRequestBodyNotACopy() throws {
        let photo = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var form = Multipart()
        form.field("note", "kept as text")
        form.file("files", filename: "big.jpg", photo)
        let body = form.finished()
        let parsed = try MultipartForm.parse(body, boundary: form.boundary)
        #expect(parsed["note"] == "kept as text")
        let file = try #require(parsed.files.first)
        #expect(file.bytes == photo)
        let bodyAddresses = body.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress)..<(UInt(bitPattern: $0.baseAddress) + UInt($0.count)) }
        #expect(file.content.withUnsafeReadableBytes { bodyAddresses.contains(UInt(bitPattern: $0.baseAddress)) })
    }

    /// Files named as photos whose bytes are SVG or PDF reach no loader but the whitelisted
    /// ones: each fails, naming its format.
    /// Foundation's NSString path methods trap on names such as "///a//" (FileName says why);
    /// an upload's file names are the uploader's to choose, so one such name took the server
    /// down. Now it is refused, naming it, and the server goes on answering.
    @Test func aFileNameFoundationCannotSplitIsRefusedAndTheServerStaysUp() async throws {
        let rig = try await ServerRig(engine: .fake)
        try await rig.application.test(.router) { client in
            var form = Multipart()
            form.file("files", filename: "///a//", try Samples.bytes("img53.jpg"))
            var headers = rig.headers("A.admin")
            headers[.contentType] = form.contentType
            try await client.execute(uri: "/api/v1/collections/\(rig.rig.collection.id)/uploads", method: .post,
                                     headers: headers, body: form.finished()) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("///a//: not an image"), "\(String(buffer: response.body))")
            }
        }
        let status = try await Self.upload([("x///a//img53.jpg", try Samples.bytes("img53.jpg"))], rig: rig)
        #expect(status["stored"] as? Int == 1, "\(status)")
        #expect(Self.heldFiles(rig).map { String($0.lastPathComponent.drop { $0 != "-" }.dropFirst()) } == ["img53.jpg"])
        try await rig.close()
    }

    @Test func imagesInUndocumentedFormatsAreRefusedNamingTheFormat() async throws {
        let rig = try await ServerRig(engine: .fake)
        let svg = #"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>"#
        let pdf = "%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
        let status = try await Self.upload([("drawing.jpg", Array(svg.utf8)), ("scan.jpg", Array(pdf.utf8))], rig: rig)
        #expect(status["stored"] as? Int == 0 && status["failed"] as? Int == 2, "\(status)")
        let reasons = (status["failures"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String }
        #expect(reasons.contains { $0.contains("SVG files are not accepted") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("PDF files are not accepted") }, "\(reasons)")
        // Refused files are no image's record: their copies are not kept.
        #expect(Self.heldFiles(rig).isEmpty, "\(Self.heldFiles(rig))")
        try await rig.close()
    }
}
