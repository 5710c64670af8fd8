import LikenessCore

/// How much of a person an erasure request reaches: each labelled person with at least two
/// photos files a request with one photo as the selfie, and every other labelled photo is the
/// gallery. The reviewer is shown every face within `reviewDistance` of the selfie; with
/// `widen`, the faces they confirm (the person's, as a careful reviewer judges them) are looked
/// up in turn until nothing new of the person appears. Reach is the share of the person's other
/// photos that the reviewer was shown; lookalikes are the other people's faces shown beside them.
public struct ErasureReach: Sendable {
    public var reviewDistance: Float
    public var widen: Bool
    public var requests = 0
    /// The person's photos in the gallery, over all requests, and how many the reviewer saw.
    public var personPhotos = 0
    public var reached = 0
    /// Other people's faces shown for review, and of them those within `tickDistance` (shown
    /// ticked, erased unless the reviewer unticks them).
    public var lookalikesShown = 0
    public var lookalikesTicked = 0
    /// Look-ups made: the selfie's, and one per confirmed face with `widen`.
    public var lookups = 0

    public var reach: Double { personPhotos == 0 ? 0 : Double(reached) / Double(personPhotos) }

    /// `photos`: one template per labelled photo with a face.
    public static func measure(_ photos: [(identity: String, template: FaceTemplate)], reviewDistance: Float, tickDistance: Float,
                               widen: Bool) -> ErasureReach {
        measure(identities: photos.map(\.identity), reviewDistance: reviewDistance, tickDistance: tickDistance, widen: widen) {
            photos[$0].template.distance(to: photos[$1].template)
        }
    }

    /// The same for any score: `distance(i, j)` compares photo i with photo j (lower is more
    /// alike), such as the fused distance of two models.
    public static func measure(identities: [String], reviewDistance: Float, tickDistance: Float, widen: Bool,
                               distance: (Int, Int) -> Float) -> ErasureReach {
        var result = ErasureReach(reviewDistance: reviewDistance, widen: widen)
        let byIdentity = Dictionary(grouping: identities.indices, by: { identities[$0] })
        for identity in byIdentity.keys.sorted() {
            let own = byIdentity[identity]!
            guard own.count >= 2 else { continue }
            let selfie = own[0]
            let wanted = Set(own.dropFirst())
            var shown = Set<Int>()
            var ticked = Set<Int>()
            var probes = [selfie]
            var probed = Set<Int>()
            while let probe = probes.popLast() {
                probed.insert(probe)
                result.lookups += 1
                for index in identities.indices where index != selfie && !shown.contains(index) {
                    let distance = distance(probe, index)
                    guard distance <= reviewDistance else { continue }
                    shown.insert(index)
                    if probe == selfie && distance <= tickDistance { ticked.insert(index) }
                    if widen && wanted.contains(index) && !probed.contains(index) { probes.append(index) }
                }
            }
            result.requests += 1
            result.personPhotos += wanted.count
            result.reached += shown.intersection(wanted).count
            result.lookalikesShown += shown.subtracting(wanted).count
            result.lookalikesTicked += ticked.subtracting(wanted).count
        }
        return result
    }
}
