import Foundation

/// Files that hold people's images (uploads, archived videos on their way to ffmpeg): created
/// new with mode 0600, readable by this process's user alone from the first byte.
public enum PrivateFile {
    public static func create(atPath path: String) throws -> FileHandle {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw IngestError("cannot create \(path): \(String(cString: strerror(errno)))") }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }
}
