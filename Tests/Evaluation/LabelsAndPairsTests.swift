import Foundation
import LikenessCore
import LikenessEvaluation
import Testing

func scratchDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-eval-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func write(_ text: String, to name: String, in directory: URL) throws -> String {
    let url = directory.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
    return url.path
}

@Test func parsesLabelsWithCountsAndGroupFields() throws {
    let directory = try scratchDirectory()
    let path = try write("""
        {"file": "x/one.jpg", "identity": "ann", "sha256": "ab12", "expected_faces": 1, "group": "indoor", "light": "dim", "quality": 0.7}

        {"file": "x/two.jpg", "identity": null, "expected_faces_min": 3, "notes": "a crowd", "contains": ["ann"]}
        """, to: "labels.jsonl", in: directory)
    let labels = try LabelSet.load(path)
    #expect(labels.photos.count == 2)
    let one = labels.photos[0], two = labels.photos[1]
    #expect(one.identity == "ann" && one.expectedFaces == 1 && one.expectedFacesMin == nil)
    #expect(one.groups == ["group": "indoor", "light": "dim"])
    #expect(two.identity == nil && two.expectedFacesMin == 3 && two.groups.isEmpty)
    #expect(labels.groupFields == ["group", "light"])
    #expect(labels.url(of: one).path == directory.appendingPathComponent("x/one.jpg").standardizedFileURL.path)
}

@Test(arguments: [
    ("{\"file\": \"a.jpg\", \"identity\": \"x\"}\n{\"file\": \"b.jpg\", \"identity\": \"x\"", ":2: not valid JSON"),
    ("{\"file\": \"a.jpg\", \"identity\": \"x\"}\n\n[1, 2]", ":3: expected a JSON object"),
    ("{\"identity\": \"x\"}", ":1: missing \"file\""),
    ("{\"file\": \"a.jpg\"}", ":1: missing \"identity\""),
    ("{\"file\": \"a.jpg\", \"identity\": 3}", ":1: \"identity\" must be a string or null"),
    ("{\"file\": \"a.jpg\", \"identity\": null, \"expected_faces\": 1.5}", ":1: \"expected_faces\" must be a whole number"),
    ("{\"file\": \"a.jpg\", \"identity\": null, \"expected_faces\": true}", ":1: \"expected_faces\" must be a whole number"),
    ("{\"file\": \"a.jpg\", \"identity\": null}\n{\"file\": \"a.jpg\", \"identity\": \"y\"}", ":2: a.jpg is already listed on line 1"),
])
func labelErrorsNameTheFileAndLine(text: String, message: String) throws {
    let path = try write(text, to: "labels.jsonl", in: try scratchDirectory())
    let error = try #require(throws: EvaluationError.self) { try LabelSet.load(path) }
    #expect(error.description.hasPrefix(path + ":"))
    #expect(error.description.contains(message))
}

@Test func readsAFolderPerIdentityTree() throws {
    let directory = try scratchDirectory()
    for name in ["bob/2.jpg", "bob/1.JPG", "ann/a.png", "ann/notes.txt", "ann/crops/c.jpg", "group.jpg"] {
        _ = try write("", to: name, in: directory)
    }
    let labels = try LabelSet.load(directory.path)
    #expect(labels.photos.map(\.file) == ["ann/a.png", "bob/1.JPG", "bob/2.jpg", "group.jpg"])
    #expect(labels.photos.map(\.identity) == ["ann", "bob", "bob", nil])
}

func sampleLabels(identities: [String?]) -> LabelSet {
    LabelSet(directory: URL(fileURLWithPath: "/labels"),
             photos: identities.enumerated().map { LabelledPhoto(file: "p\($0).jpg", identity: $1) })
}

@Test func parsesPairsAndNamesBadLines() throws {
    let directory = try scratchDirectory()
    let labels = sampleLabels(identities: ["a", "a", "b"])
    let good = try write("""
        {"a": "p0.jpg", "b": "p1.jpg", "same": true}
        {"a": "p0.jpg", "b": "p2.jpg", "same": false}
        """, to: "pairs.jsonl", in: directory)
    #expect(try PairList.load(file: good, labels: labels)
        == [LabelledPair(a: "p0.jpg", b: "p1.jpg", same: true), LabelledPair(a: "p0.jpg", b: "p2.jpg", same: false)])

    for (text, message) in [
        ("{\"a\": \"p0.jpg\", \"b\": \"p1.jpg\", \"same\": true}\n{\"a\": \"p0.jpg\", \"b\": \"p9.jpg\", \"same\": false}",
         ":2: \"b\": p9.jpg is not in the labels"),
        ("{\"a\": \"p0.jpg\", \"same\": true}", ":1: missing \"b\""),
        ("{\"a\": \"p0.jpg\", \"b\": \"p1.jpg\", \"same\": 1}", ":1: \"same\" must be true or false"),
        ("{\"a\": \"p0.jpg\", \"b\": \"p0.jpg\", \"same\": true}", ":1: p0.jpg is paired with itself"),
    ] {
        let path = try write(text, to: "bad.jsonl", in: directory)
        let error = try #require(throws: EvaluationError.self) { try PairList.load(file: path, labels: labels) }
        #expect(error.description == path + message)
    }
}

@Test func balancedPairsAreCompleteBalancedAndDeterministic() {
    // a: 3 photos (3 same pairs), b: 2 (1), c: 1, unlabelled: 1 → 4 same pairs, 4 of the 11 different ones.
    let labels = sampleLabels(identities: ["a", "b", "a", nil, "c", "b", "a"])
    let pairs = PairList.balanced(from: labels)
    let identity = Dictionary(uniqueKeysWithValues: labels.photos.map { ($0.file, $0.identity) })
    let same = pairs.filter(\.same), different = pairs.filter { !$0.same }
    #expect(Set(same.map { [$0.a, $0.b] }) == [["p0.jpg", "p2.jpg"], ["p0.jpg", "p6.jpg"], ["p2.jpg", "p6.jpg"], ["p1.jpg", "p5.jpg"]])
    #expect(different.count == 4)
    #expect(Set(different.map { [$0.a, $0.b] }).count == 4)
    for pair in pairs {
        #expect(identity[pair.a]! != nil && identity[pair.b]! != nil)
        #expect((identity[pair.a]! == identity[pair.b]!) == pair.same)
    }
    #expect(PairList.balanced(from: labels) == pairs)
    #expect(PairList.balanced(from: labels, seed: 99).filter { !$0.same } != different)
}

@Test func balancedPairsRespectTheCapOnALargeSet() {
    // 40 people × 30 photos: 17,400 same pairs capped at 500; different pairs drawn at random.
    let labels = sampleLabels(identities: (0 ..< 1_200).map { "person\($0 % 40)" })
    let pairs = PairList.balanced(from: labels, maxSamePairs: 500)
    #expect(pairs.filter(\.same).count == 500)
    #expect(pairs.filter { !$0.same }.count == 500)
    #expect(Set(pairs.map { [$0.a, $0.b] }).count == 1_000)
    #expect(PairList.balanced(from: labels, maxSamePairs: 500) == pairs)
}

@Test func allPairsListsEveryLabelledPair() {
    let labels = sampleLabels(identities: ["a", "b", "a", nil, "c", "b", "a"])
    let pairs = PairList.all(from: labels)
    // 6 labelled photos: 15 pairs, of which a (3 photos) and b (2) make 3 + 1 same.
    #expect(pairs.count == 15)
    #expect(pairs.filter(\.same).count == 4)
    #expect(pairs.prefix(4).allSatisfy { $0.same })
    #expect(Set(PairList.balanced(from: labels)).isSubset(of: Set(pairs)))
}

@Test func theNamedFaceIsTheOneAtThePhotosCentreNotTheLargest() {
    // A 250×250 LFW photo: the named person in the middle, a larger bystander to the right.
    let named = FaceBox(left: 90, top: 80, right: 160, bottom: 150)
    let bystander = FaceBox(left: 150, top: 60, right: 249, bottom: 170)
    let edge = FaceBox(left: 0, top: 0, right: 40, bottom: 40)
    #expect(LabelledPhoto.namedFace(among: [bystander, named, edge], width: 250, height: 250) { $0 } == named)
    #expect(LabelledPhoto.namedFace(among: [edge], width: 250, height: 250) { $0 } == edge)
    #expect(LabelledPhoto.namedFace(among: [FaceBox](), width: 250, height: 250) { $0 } == nil)
}
