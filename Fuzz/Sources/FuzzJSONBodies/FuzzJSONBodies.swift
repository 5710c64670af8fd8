import Foundation
import Hummingbird
@testable import LikenessServer

/// libFuzzer's entry point for the API's JSON request bodies: every input is decoded as each
/// body type, through `Request.decodeJSON(_:from:)` as the routes decode them (its ISO 8601 date
/// strategy, and the field errors a failure is reported as).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONBodies(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let body = Data(bytes: data, count: count)
    decode(SessionsAPIController.SignInBody.self, body)
    decode(SessionsAPIController.SignUpBody.self, body)
    decode(PasswordsAPIController.ChangeBody.self, body)
    decode(AccountsAPIController.AccountChangeBody.self, body)
    decode(AccountsAPIController.KeyBody.self, body)
    decode(CollectionsAPIController.CollectionBody.self, body)
    decode(OversightAPIController.SettingsBody.self, body)
    decode(SearchAPIController.PivotBody.self, body)
    return 0
}

private func decode<Body: Decodable>(_ type: Body.Type, _ body: Data) {
    _ = try? Request.decodeJSON(type, from: body)
}
