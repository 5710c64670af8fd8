import Foundation
import LikenessCore

// The file is little-endian and mapped straight into memory, which needs a little-endian host.
#if !_endian(little)
#error("the index file format assumes a little-endian host")
#endif

/// The index file is unreadable or not an index file.
public struct IndexFileError: Error, CustomStringConvertible {
    public let file: URL
    public let problem: String

    public var description: String {
        "vector index file \(file.path) is unusable: \(problem). Rebuild it with `likeness reindex`."
    }
}

/// The on-disk form of `InvertedLists`, one little-endian file laid out so it can be mapped
/// and used in place (opening a million-entry index reads nothing but the header, sizes and
/// centroids; search pages in only the lists it probes):
///
///     header        64 bytes: magic "LKNSIVF\0", version u32, dimension u32, list count u32,
///                   centroid count u32 (0 = untrained, else = list count), entry count u64,
///                   applied sequence i64, entry count at training u64, quantizer step f32
///                   (0 = untrained), group count u32 (0 = untrained), 8 reserved zero bytes
///     list sizes    u64 per list
///     group sizes   u64 per group: lists in it (lists are ordered by group)
///     centroids     128 f32 per centroid
///     group centroids  128 f32 per group
///     quantizer     128 f32 minimums (trained only)
///     ids           i64 per entry, list after list
///     collections   i64 per entry, list after list
///     (zero padding to a multiple of 64)
///     vectors       128 f32 per entry, list after list
///     codes         128 u8 per entry, list after list (trained only)
///
/// Version 1 had no quantizer and no codes; version 2 had no groups (one flat k-means), and is
/// still read, as a single group.
enum IndexFile {
    static let magic: [UInt8] = Array("LKNSIVF\0".utf8)
    static let version: UInt32 = 3
    static let readableVersions: ClosedRange<UInt32> = 2...3
    static let headerSize = 64

    /// The contents of the file at `url`, or nil if there is no file.
    static func load(_ url: URL) throws -> InvertedLists? {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw IndexFileError(file: url, problem: "cannot open it (\(String(cString: strerror(errno))))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            close(descriptor)
            throw IndexFileError(file: url, problem: "cannot read its size (\(String(cString: strerror(errno))))")
        }
        let size = Int(status.st_size)
        guard size >= headerSize else {
            close(descriptor)
            throw IndexFileError(file: url, problem: "it is \(size) bytes, shorter than the \(headerSize)-byte header")
        }
        let mapping = try FileMapping(descriptor: descriptor, size: size, file: url)
        return try parse(mapping, file: url)
    }

    private static func parse(_ mapping: FileMapping, file: URL) throws -> InvertedLists {
        let bytes = mapping.bytes
        func corrupt(_ problem: String) -> IndexFileError { IndexFileError(file: file, problem: problem) }
        func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        guard Array(bytes[0..<8]) == magic else { throw corrupt("it does not start with the index file magic") }
        let fileVersion = field(8, UInt32.self)
        guard readableVersions.contains(fileVersion) else {
            throw corrupt("it has format version \(fileVersion); this build reads \(readableVersions.lowerBound) to \(readableVersions.upperBound)")
        }
        let fileDimension = field(12, UInt32.self)
        guard fileDimension == dimension else { throw corrupt("it holds \(fileDimension)-d vectors, not \(dimension)-d") }
        let listCount = Int(field(16, UInt32.self)), centroidCount = Int(field(20, UInt32.self))
        let entryCount = field(24, UInt64.self), appliedSequence = field(32, Int64.self)
        let trainedAtCount = field(40, UInt64.self)
        let step = Float(bitPattern: field(48, UInt32.self))
        let groupCount = fileVersion >= 3 ? Int(field(52, UInt32.self)) : 0
        guard listCount >= 1, centroidCount == 0 ? listCount == 1 : centroidCount == listCount else {
            throw corrupt("its header claims \(listCount) lists and \(centroidCount) centroids")
        }
        let isTrained = centroidCount > 0
        guard fileVersion < 3 || (isTrained ? groupCount >= 1 && groupCount <= listCount : groupCount == 0) else {
            throw corrupt("its header claims \(groupCount) groups for \(listCount) lists")
        }
        guard isTrained ? step > 0 && step.isFinite : step == 0 else {
            throw corrupt("its quantizer step \(step) does not fit \(isTrained ? "a trained" : "an untrained") index")
        }
        guard appliedSequence >= 0, entryCount <= UInt64(Int32.max), trainedAtCount <= UInt64(Int.max) else {
            throw corrupt("its header holds impossible counts")
        }
        let count = Int(entryCount)
        let layout = Layout(listCount: listCount, centroidCount: centroidCount, groupCount: groupCount, entryCount: count)
        guard bytes.count >= layout.centroids else {
            throw corrupt("it is truncated: \(bytes.count) bytes, shorter than its list sizes")
        }
        let sizes = (0..<listCount).map { field(layout.listSizes + $0 * 8, UInt64.self) }
        guard sizes.allSatisfy({ $0 <= entryCount }), sizes.reduce(0, +) == entryCount else {
            throw corrupt("its list sizes do not add up to its \(entryCount) entries")
        }
        guard bytes.count == layout.total else {
            throw corrupt("it is \(bytes.count) bytes but its header describes \(layout.total) (truncated or overwritten)")
        }

        let groupSizes = (0..<groupCount).map { Int(field(layout.groupSizes + $0 * 8, UInt64.self)) }
        guard groupSizes.allSatisfy({ $0 >= 1 }), groupSizes.reduce(0, +) == (groupCount == 0 ? 0 : listCount) else {
            throw corrupt("its group sizes do not add up to its \(listCount) lists")
        }

        let base = bytes.baseAddress!
        func floats(at offset: Int, count: Int) -> [Float] {
            Array(UnsafeBufferPointer(start: (base + offset).bindMemory(to: Float.self, capacity: count), count: count))
        }
        let centroids = floats(at: layout.centroids, count: centroidCount * dimension)
        let coarse: CoarseQuantizer? = !isTrained ? nil : groupCount == 0 ? CoarseQuantizer(flat: centroids) : CoarseQuantizer(
            centroids: centroids, groupCentroids: floats(at: layout.groupCentroids, count: groupCount * dimension),
            groupStarts: groupSizes.reduce(into: [0]) { $0.append($0.last! + $1) })
        guard coarse.map({ $0.centroids.allSatisfy(\.isFinite) && $0.groupCentroids.allSatisfy(\.isFinite) }) ?? true else {
            throw corrupt("its centroids hold non-finite values")
        }
        let quantizer = isTrained ? ScalarQuantizer(
            minimums: Array(UnsafeBufferPointer(
                start: (base + layout.quantizerMinimums).bindMemory(to: Float.self, capacity: dimension), count: dimension)),
            step: step) : nil
        guard quantizer?.minimums.allSatisfy(\.isFinite) ?? true else { throw corrupt("its quantizer holds non-finite values") }
        let ids = (base + layout.ids).bindMemory(to: FaceID.self, capacity: count)
        let collections = (base + layout.collections).bindMemory(to: CollectionID.self, capacity: count)
        let vectors = (base + layout.vectors).bindMemory(to: Float.self, capacity: count * dimension)
        let codes = (base + layout.codes).bindMemory(to: UInt8.self, capacity: layout.codeCount)
        let codesPerEntry = isTrained ? dimension : 0
        var lists = [InvertedList]()
        lists.reserveCapacity(listCount)
        var start = 0
        for size in sizes.map(Int.init) {
            lists.append(InvertedList(
                ids: ListColumn(mapped: UnsafeBufferPointer(start: ids + start, count: size)),
                collections: ListColumn(mapped: UnsafeBufferPointer(start: collections + start, count: size)),
                vectors: ListColumn(mapped: UnsafeBufferPointer(start: vectors + start * dimension, count: size * dimension)),
                codes: ListColumn(mapped: UnsafeBufferPointer(start: codes + start * codesPerEntry, count: size * codesPerEntry))))
            start += size
        }
        return InvertedLists(coarse: coarse, quantizer: quantizer, lists: lists, appliedSequence: appliedSequence,
                             trainedAtCount: Int(trainedAtCount), mapping: mapping)
    }

    /// Writes `contents` to `url` atomically: to a temporary file in the same directory,
    /// fsynced, then renamed over the old file, so a crash mid-write leaves the old file whole.
    static func write(_ contents: InvertedLists, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        func failure(_ action: String) -> IndexFileError {
            IndexFileError(file: url, problem: "\(action) failed (\(String(cString: strerror(errno))))")
        }
        // Owner-only: the file holds biometric templates.
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("creating \(temporary.path)") }
        var renamed = false
        defer {
            close(descriptor)
            if !renamed { unlink(temporary.path) }
        }

        let coarse = contents.coarse
        let layout = Layout(listCount: contents.lists.count, centroidCount: coarse?.listCount ?? 0,
                            groupCount: coarse?.groupCount ?? 0, entryCount: contents.count)
        var output = BufferedOutput(descriptor: descriptor, file: url)
        var header = [UInt8](repeating: 0, count: headerSize)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { header.replaceSubrange(offset ..< offset + $0.count, with: $0) }
        }
        header.replaceSubrange(0..<8, with: magic)
        put(version, at: 8)
        put(UInt32(dimension), at: 12)
        put(UInt32(contents.lists.count), at: 16)
        put(UInt32(coarse?.listCount ?? 0), at: 20)
        put(UInt64(contents.count), at: 24)
        put(contents.appliedSequence, at: 32)
        put(UInt64(contents.trainedAtCount), at: 40)
        put((contents.quantizer?.step ?? 0).bitPattern, at: 48)
        put(UInt32(coarse?.groupCount ?? 0), at: 52)
        try output.write(header)
        try output.write(contents.lists.map { UInt64($0.count).littleEndian })
        if let coarse {
            try output.write(zip(coarse.groupStarts, coarse.groupStarts.dropFirst()).map { UInt64($1 - $0).littleEndian })
            try output.write(coarse.centroids)
            try output.write(coarse.groupCentroids)
        }
        if let quantizer = contents.quantizer { try output.write(quantizer.minimums) }
        for list in contents.lists { try list.ids.withParts { try output.write($0); try output.write($1) } }
        for list in contents.lists { try list.collections.withParts { try output.write($0); try output.write($1) } }
        try output.write([UInt8](repeating: 0, count: layout.vectors - layout.vectorPaddingStart))
        for list in contents.lists { try list.vectors.withParts { try output.write($0); try output.write($1) } }
        for list in contents.lists { try list.codes.withParts { try output.write($0); try output.write($1) } }
        try output.flush()
        guard output.written == layout.total else {
            throw IndexFileError(file: url, problem: "wrote \(output.written) bytes, expected \(layout.total)")
        }
        guard fsync(descriptor) == 0 else { throw failure("fsync of \(temporary.path)") }
        guard rename(temporary.path, url.path) == 0 else { throw failure("renaming \(temporary.path) over it") }
        renamed = true
        // Make the rename itself durable.
        let directoryDescriptor = open(directory.path, O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Byte offsets of the file's sections.
    private struct Layout {
        let listSizes = headerSize
        let groupSizes: Int
        let centroids: Int
        let groupCentroids: Int
        let quantizerMinimums: Int
        let ids: Int
        let collections: Int
        let vectorPaddingStart: Int
        let vectors: Int
        let codes: Int
        /// Code bytes in the file: 128 per entry if trained, else none.
        let codeCount: Int
        let total: Int

        init(listCount: Int, centroidCount: Int, groupCount: Int, entryCount: Int) {
            let isTrained = centroidCount > 0
            groupSizes = listSizes + listCount * 8
            centroids = groupSizes + groupCount * 8
            groupCentroids = centroids + centroidCount * dimension * 4
            quantizerMinimums = groupCentroids + groupCount * dimension * 4
            ids = quantizerMinimums + (isTrained ? dimension * 4 : 0)
            collections = ids + entryCount * 8
            vectorPaddingStart = collections + entryCount * 8
            vectors = (vectorPaddingStart + 63) / 64 * 64
            codes = vectors + entryCount * dimension * 4
            codeCount = isTrained ? entryCount * dimension : 0
            total = codes + codeCount
        }
    }
}

/// A read-only private mapping of a whole file, unmapped when the last user lets go.
final class FileMapping: @unchecked Sendable {
    // Immutable after init and never written through: safe to share between threads.
    let bytes: UnsafeRawBufferPointer
    /// The mapped file, kept open for `read(_:into:)`.
    private let descriptor: Int32

    /// Maps the file open at `descriptor`, which this mapping then owns and closes.
    init(descriptor: Int32, size: Int, file: URL) throws {
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            let problem = String(cString: strerror(errno))
            close(descriptor)
            throw IndexFileError(file: file, problem: "cannot map it into memory (\(problem))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
        self.descriptor = descriptor
        // Reads through the descriptor are re-ranking's scattered vectors: no read-ahead.
        posix_fadvise(descriptor, 0, 0, POSIX_FADV_RANDOM)
    }

    func holds(_ pointer: UnsafeRawPointer) -> Bool {
        pointer >= bytes.baseAddress! && pointer < bytes.baseAddress! + bytes.count
    }

    /// Copies `elements`, which lie in this mapping, to `destination` by reading the file
    /// rather than through the mapping. A read of a few scattered elements through the
    /// mapping leaves their pages in this process, and the kernel maps the cached pages
    /// around each one too: a thousand searches of ten million entries, re-ranking a hundred
    /// vectors each, made all 5 GB of vectors resident. Read from the file, they stay in the
    /// page cache, which the kernel reclaims as it needs.
    func read<Element: BitwiseCopyable>(_ elements: UnsafeBufferPointer<Element>, into destination: UnsafeMutablePointer<Element>) {
        let offset = bytes.baseAddress!.distance(to: UnsafeRawPointer(elements.baseAddress!))
        let length = elements.count * MemoryLayout<Element>.stride
        if pread(descriptor, destination, length, off_t(offset)) != length {
            // The same bytes, through the mapping (which raises SIGBUS if they are unreadable).
            destination.update(from: elements.baseAddress!, count: elements.count)
        }
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        close(descriptor)
    }
}

/// Coalesces the many small column writes (a few per list) into large `write` calls.
private struct BufferedOutput {
    let descriptor: Int32
    let file: URL
    private var buffer: [UInt8] = []
    private(set) var written = 0
    private static let capacity = 1 << 22

    init(descriptor: Int32, file: URL) {
        self.descriptor = descriptor
        self.file = file
        buffer.reserveCapacity(Self.capacity)
    }

    mutating func write<Element: BitwiseCopyable>(_ elements: [Element]) throws {
        try elements.withUnsafeBufferPointer { try write($0) }
    }

    mutating func write<Element: BitwiseCopyable>(_ elements: UnsafeBufferPointer<Element>) throws {
        let bytes = UnsafeRawBufferPointer(elements)
        if buffer.count + bytes.count > Self.capacity { try flush() }
        if bytes.count >= Self.capacity {
            try writeFully(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    mutating func flush() throws {
        try buffer.withUnsafeBytes { try writeFully($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let result = writeToDescriptor(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if result < 0 {
                if errno == EINTR { continue }
                throw IndexFileError(file: file, problem: "writing failed (\(String(cString: strerror(errno))))")
            }
            offset += result
        }
        written += bytes.count
    }
}

/// POSIX `write`, which `BufferedOutput.write` would shadow.
private func writeToDescriptor(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
