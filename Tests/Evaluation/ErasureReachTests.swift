import LikenessCore
import LikenessEvaluation
import Testing

/// A person whose third photo is too far from the selfie, but near their second: only looking
/// up from the confirmed second photo reaches it.
@Suite struct ErasureReachTests {
    static func template(_ x: Float, _ y: Float) -> FaceTemplate {
        var values = [Float](repeating: 0, count: FaceTemplate.dimension)
        values[0] = x
        values[1] = y
        return FaceTemplate(values)
    }

    static let photos: [(identity: String, template: FaceTemplate)] = [
        ("a", template(0, 0)), ("a", template(0.4, 0)), ("a", template(0.8, 0)),
        ("b", template(0, 0.55)),  // a lookalike: within review distance of the selfie, beyond the possible band
        ("c", template(0, 0.3)),   // a close lookalike: shown ticked
    ]

    @Test func widenedLookUpsReachWhatTheSelfieCannot() {
        let selfieOnly = ErasureReach.measure(Self.photos, reviewDistance: 0.62, tickDistance: 0.5309, widen: false)
        #expect(selfieOnly.requests == 1 && selfieOnly.personPhotos == 2 && selfieOnly.reached == 1 && selfieOnly.lookups == 1)
        #expect(selfieOnly.lookalikesShown == 2 && selfieOnly.lookalikesTicked == 1)

        let widened = ErasureReach.measure(Self.photos, reviewDistance: 0.62, tickDistance: 0.5309, widen: true)
        #expect(widened.reached == 2 && widened.reach == 1 && widened.lookups == 3)
        #expect(widened.lookalikesShown == 2 && widened.lookalikesTicked == 1)

        let narrow = ErasureReach.measure(Self.photos, reviewDistance: 0.35, tickDistance: 0.35, widen: true)
        #expect(narrow.reached == 0 && narrow.lookalikesShown == 1)
    }
}
