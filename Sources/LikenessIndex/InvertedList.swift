import LikenessCore

/// One column of an inverted list: a read-only view into the mapped index file (its entries
/// as last written), then the entries appended since, in memory. Appending never copies the
/// view, so a bulk load holds in memory only what it added since the last write, not every
/// list it touched. Removing an entry copies the whole column into memory first: the file
/// is read-only, and erasure is rare.
struct ListColumn<Element: BitwiseCopyable> {
    private var mapped = UnsafeBufferPointer<Element>(start: nil, count: 0)
    private var appended: [Element] = []

    init() {}

    /// A view of `elements`, which must stay valid while this column uses them (the index
    /// keeps the file mapping alive).
    init(mapped elements: UnsafeBufferPointer<Element>) {
        mapped = elements
    }

    var count: Int { mapped.count + appended.count }

    /// How many elements are views of the file.
    var mappedCount: Int { mapped.count }

    subscript(index: Int) -> Element {
        index < mapped.count ? mapped[index] : appended[index - mapped.count]
    }

    /// Calls `body` with `width` elements from `start`, which lie wholly in the view or wholly
    /// in memory when every entry is `width` elements wide.
    func withElements<Result>(from start: Int, width: Int, _ body: (UnsafeBufferPointer<Element>) throws -> Result) rethrows -> Result {
        if start < mapped.count { return try body(UnsafeBufferPointer(rebasing: mapped[start ..< start + width])) }
        return try appended.withUnsafeBufferPointer {
            try body(UnsafeBufferPointer(rebasing: $0[start - mapped.count ..< start - mapped.count + width]))
        }
    }

    /// Calls `body` with the mapped part, then the part in memory.
    func withParts<Result>(_ body: (_ mapped: UnsafeBufferPointer<Element>, _ inMemory: UnsafeBufferPointer<Element>) throws -> Result) rethrows -> Result {
        try appended.withUnsafeBufferPointer { try body(mapped, $0) }
    }

    mutating func append(contentsOf elements: UnsafeBufferPointer<Element>) {
        let needed = appended.count + elements.count
        if needed > appended.capacity {
            // Grown by a quarter rather than doubled: a bulk load touches every list, and
            // doubling left the lists of a ten-million-entry index holding half as much again
            // in spare room (gigabytes) until the next persist mapped them from the file.
            appended.reserveCapacity(max(needed, appended.count + appended.count / 4))
        }
        appended.append(contentsOf: elements)
    }

    /// Moves the last `width` elements over the `width` elements at `start` and shrinks the
    /// column. The vacated tail is zeroed first: a removed template must not linger in
    /// spare capacity (erasure of biometric data depends on it).
    mutating func swapRemove(at start: Int, width: Int) {
        copyIntoMemory()
        let last = appended.count - width
        appended.withUnsafeMutableBufferPointer { elements in
            if start != last {
                (elements.baseAddress! + start).update(from: elements.baseAddress! + last, count: width)
            }
            UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(elements)[
                (last * MemoryLayout<Element>.stride)...]).initializeMemory(as: UInt8.self, repeating: 0)
        }
        appended.removeLast(width)
    }

    mutating func reserveCapacity(_ count: Int) {
        appended.reserveCapacity(count - mapped.count)
    }

    /// This column with `written` (a view of the file that holds this column's first
    /// `written.count` elements, unchanged) as its view, keeping in memory only what follows.
    func rebased(onto written: ListColumn) -> ListColumn {
        precondition(written.appended.isEmpty && written.count <= count && mapped.count <= written.count,
                     "the file holds a prefix of this column")
        var column = ListColumn(mapped: written.mapped)
        column.appended = Array(appended[(written.count - mapped.count)...])
        return column
    }

    /// Lets go of the view, copying it into memory.
    mutating func copyIntoMemory() {
        guard mapped.count > 0 else { return }
        appended.insert(contentsOf: mapped, at: 0)
        mapped = UnsafeBufferPointer(start: nil, count: 0)
    }
}

/// The entries assigned to one centroid (or all entries while the index is untrained), as
/// parallel columns: entry `i` is `ids[i]`, `collections[i]`, the 128 floats at
/// `vectors[i * 128 ..< (i + 1) * 128]` and, once the index is trained, their 128 SQ8 codes at
/// `codes[i * 128 ..< (i + 1) * 128]`. Columns keep the scan a straight walk through memory.
/// Every column's view covers the same entries: they are mapped, appended to and copied into
/// memory together.
struct InvertedList {
    var ids = ListColumn<FaceID>()
    var collections = ListColumn<CollectionID>()
    /// The exact vectors: what re-ranking, persistence and rebuilding the codes start from.
    var vectors = ListColumn<Float>()
    /// The quantized vectors the trained search scans; empty while untrained.
    var codes = ListColumn<UInt8>()
    /// Counts this list's changes, so a persist can tell which lists are still as written.
    private(set) var revision = 0
    /// The revision of the last removal: entries before a later persist's are as written
    /// then only if no removal has happened since.
    private(set) var removalRevision = 0

    var count: Int { ids.count }

    /// Appends an entry; `code` is nil exactly when the index is untrained.
    mutating func append(id: FaceID, collection: CollectionID, vector: UnsafeBufferPointer<Float>, code: UnsafeBufferPointer<UInt8>?) {
        withUnsafePointer(to: id) { ids.append(contentsOf: UnsafeBufferPointer(start: $0, count: 1)) }
        withUnsafePointer(to: collection) { collections.append(contentsOf: UnsafeBufferPointer(start: $0, count: 1)) }
        vectors.append(contentsOf: vector)
        if let code { codes.append(contentsOf: code) }
        revision += 1
    }

    /// Makes room for `count` entries in all, so appending them allocates nothing more.
    mutating func reserveCapacity(_ count: Int, withCodes: Bool) {
        ids.reserveCapacity(count)
        collections.reserveCapacity(count)
        vectors.reserveCapacity(count * dimension)
        if withCodes { codes.reserveCapacity(count * dimension) }
    }

    /// Removes the entry at `slot` by moving the last entry into it. Returns the id of the
    /// moved entry (nil if the removed one was last), whose location the caller must update.
    mutating func swapRemove(at slot: Int) -> FaceID? {
        let last = count - 1
        let moved = slot == last ? nil : ids[last]
        ids.swapRemove(at: slot, width: 1)
        collections.swapRemove(at: slot, width: 1)
        vectors.swapRemove(at: slot * dimension, width: dimension)
        if codes.count > 0 { codes.swapRemove(at: slot * dimension, width: dimension) }
        revision += 1
        removalRevision = revision
        return moved
    }

    /// This list after a persist that wrote it as `written` when its revision was
    /// `writtenRevision`: if it has only been appended to since, the file holds its first
    /// entries and becomes their view; otherwise it is copied into memory, so that it keeps
    /// nothing from a previous file either way.
    func adopting(_ written: InvertedList, writtenRevision: Int) -> InvertedList {
        if revision == writtenRevision { return written }
        var list = self
        if removalRevision <= writtenRevision {
            list.ids = ids.rebased(onto: written.ids)
            list.collections = collections.rebased(onto: written.collections)
            list.vectors = vectors.rebased(onto: written.vectors)
            list.codes = codes.rebased(onto: written.codes)
        } else {
            list.ids.copyIntoMemory()
            list.collections.copyIntoMemory()
            list.vectors.copyIntoMemory()
            list.codes.copyIntoMemory()
        }
        return list
    }

    /// A run of this list's entries held contiguously, from `firstSlot` on; `codes` is empty
    /// while the index is untrained.
    struct Part {
        var firstSlot: Int
        var ids: UnsafeBufferPointer<FaceID>
        var collections: UnsafeBufferPointer<CollectionID>
        var vectors: UnsafeBufferPointer<Float>
        var codes: UnsafeBufferPointer<UInt8>
        var count: Int { ids.count }
    }

    /// Calls `body` with the mapped entries, then those in memory.
    func forEachPart(_ body: (Part) throws -> Void) rethrows {
        try ids.withParts { mappedIDs, idsInMemory in
            try collections.withParts { mappedCollections, collectionsInMemory in
                try vectors.withParts { mappedVectors, vectorsInMemory in
                    try codes.withParts { mappedCodes, codesInMemory in
                        try body(Part(firstSlot: 0, ids: mappedIDs, collections: mappedCollections,
                                      vectors: mappedVectors, codes: mappedCodes))
                        try body(Part(firstSlot: mappedIDs.count, ids: idsInMemory, collections: collectionsInMemory,
                                      vectors: vectorsInMemory, codes: codesInMemory))
                    }
                }
            }
        }
    }

    /// Scans every entry exactly, offering those in `collections` (nil = all) to `best` by
    /// squared distance.
    func scan(query: UnsafePointer<Float>, collections filter: Set<CollectionID>?, into best: inout BoundedNearest<FaceID>) {
        forEachPart { part in
            guard var vector = part.vectors.baseAddress else { return }
            var worst = best.worst
            for slot in 0..<part.count {
                let distance = squaredDistance(query, vector)
                vector += dimension
                // Distance first: it rejects almost everything, so the hash lookup of the
                // collection filter runs only for would-be results.
                guard distance < worst else { continue }
                if let filter, !filter.contains(part.collections[slot]) { continue }
                best.offer(distance, part.ids[slot])
                worst = best.worst
            }
        }
    }

    /// Scans every entry's codes, offering the locations of those in `collections` (nil = all)
    /// to `candidates` by approximate squared distance (in code steps squared). This list is
    /// `lists[list]`; `distances` is scratch space, used a block of its size at a time.
    func scanCodes(query: UnsafePointer<UInt8>, list: Int32, collections filter: Set<CollectionID>?,
                   distances: UnsafeMutableBufferPointer<UInt32>, into candidates: inout BoundedNearest<InvertedLists.Location>) {
        forEachPart { part in
            guard let codes = part.codes.baseAddress else { return }
            var worst = candidates.worst
            for blockStart in stride(from: 0, to: part.count, by: distances.count) {
                let block = UnsafeMutableBufferPointer(rebasing: distances[0 ..< min(distances.count, part.count - blockStart)])
                squaredCodeDistances(query, codes + blockStart * dimension, into: block)
                for (offset, codeDistance) in block.enumerated() {
                    // Exact in Float: code distances stay below 2²⁴.
                    let distance = Float(codeDistance)
                    guard distance < worst else { continue }
                    let slot = blockStart + offset
                    if let filter, !filter.contains(part.collections[slot]) { continue }
                    candidates.offer(distance, InvertedLists.Location(list: list, slot: Int32(part.firstSlot + slot)))
                    worst = candidates.worst
                }
            }
        }
    }
}
