import Foundation
import LikenessIngest
import Testing
import TestSupport

/// Uploaded archives become plain files within limits: entry names are never paths, links and
/// devices are not unpacked, and a limit passed keeps nothing.
@Suite struct UploadFolderTests {
    /// A tar with a photo under a climbing name, a symbolic link to /etc/passwd named as a photo,
    /// a text file and a video.
    static func hostileTar(in folder: URL) throws -> URL {
        let archive = folder.appendingPathComponent("0000-box.tar")
        let made = try Subprocess.run("/usr/bin/python3", ["-c", """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], 'w') as t:
                t.add(sys.argv[2], '../../escaped.jpg')
                link = tarfile.TarInfo('link.jpg'); link.type = tarfile.SYMTYPE; link.linkname = '/etc/passwd'; t.addfile(link)
                notes = tarfile.TarInfo('notes.txt'); notes.size = 5; t.addfile(notes, io.BytesIO(b'notes'))
                t.add(sys.argv[3], 'cctv/clip.mp4')
            """, archive.path, Fixtures.face("img17.jpg"), Fixtures.face("img5.jpg")])
        try #require(made.status == 0, "\(made.stderr)")
        return archive
    }

    @Test func unpacksImagesAndVideosAsNumberedFilesInsideTheFolderOnly() throws {
        let folder = try Fixtures.scratchDirectory()
        let archive = try Self.hostileTar(in: folder)
        let unpacked = try UploadFolder.unpack(archive)
        #expect(!FileManager.default.fileExists(atPath: archive.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [unpacked.lastPathComponent])
        let files = try FileManager.default.contentsOfDirectory(atPath: unpacked.path).sorted()
        #expect(files == ["00001-escaped.jpg", "00002-clip.mp4"])
        #expect(try Data(contentsOf: unpacked.appendingPathComponent("00001-escaped.jpg")) == Data(try Samples.bytes("img17.jpg")))
        for file in files {
            #expect(try FileManager.default.attributesOfItem(atPath: unpacked.appendingPathComponent(file).path)[.posixPermissions] as? Int == 0o600)
        }
    }

    @Test(arguments: [
        ("entries", { var limits = UploadFolder.Limits(); limits.entries = 2; return limits }(), "box.tar: more than 2 entries"),
        ("image", { var limits = UploadFolder.Limits(); limits.imageBytes = 1000; return limits }(),
         "box.tar!/../../escaped.jpg: larger than the 1000-byte limit for one image"),
        ("total", { var limits = UploadFolder.Limits(); limits.totalBytes = 60_000; return limits }(),
         "box.tar!/cctv/clip.mp4: the archive unpacks to more than the 60000-byte limit"),
    ])
    func aLimitPassedKeepsNothingUnpackedAndSaysWhich(label: String, limits: UploadFolder.Limits, message: String) throws {
        let folder = try Fixtures.scratchDirectory()
        let archive = try Self.hostileTar(in: folder)
        let error = try #require(throws: (any Error).self) { try UploadFolder.unpack(archive, limits: limits) }
        #expect("\(error)".hasSuffix(message), "\(label): \(error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [archive.lastPathComponent], "\(label)")
    }

    /// A zip holding a photo and a zip (the shape of a nested zip bomb) is refused naming the
    /// inner archive, rather than unpacked to the photo alone with the rest passed over unsaid.
    @Test func anArchiveInsideTheArchiveIsRefusedNamingIt() throws {
        let folder = try Fixtures.scratchDirectory()
        let archive = folder.appendingPathComponent("0000-box.zip")
        let made = try Subprocess.run("/usr/bin/python3", ["-c", """
            import io, sys, zipfile
            inner = io.BytesIO()
            with zipfile.ZipFile(inner, 'w') as z: z.write(sys.argv[2], 'img17.jpg')
            with zipfile.ZipFile(sys.argv[1], 'w') as z:
                z.write(sys.argv[2], 'img17.jpg'); z.writestr('more/photos.zip', inner.getvalue())
            """, archive.path, Fixtures.face("img17.jpg")])
        try #require(made.status == 0, "\(made.stderr)")
        let error = try #require(throws: (any Error).self) { try UploadFolder.unpack(archive) }
        #expect("\(error)" == "0000-box.zip!/more/photos.zip: an archive inside an archive is not unpacked; upload it on its own")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [archive.lastPathComponent])
    }
}
