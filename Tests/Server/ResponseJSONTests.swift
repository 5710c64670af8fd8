import Foundation
import Hummingbird
@testable import LikenessServer
import Testing

/// An answer that cannot be encoded is an error, which ProblemMiddleware reports as a 500: it
/// used to be written as `{}` with the route's own status.
@Suite struct ResponseJSONTests {
    @Test func aValueThatCannotBeEncodedThrowsInsteadOfBecomingAnEmptyObject() {
        // JSON has no NaN: a similarity gone wrong must not pass as an empty answer.
        #expect(throws: EncodingError.self) { try Response.json(["similarity": Double.nan]) }
    }
}
