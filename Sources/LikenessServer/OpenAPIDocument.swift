import Foundation

/// The API's OpenAPI 3.1 description, served at `/openapi.json`. It is written by hand beside
/// the routes; schemathesis checks the two against each other in `make test`.
enum OpenAPIDocument {
    static let bytes: [UInt8] = {
        let url = ServerResources.directory.appendingPathComponent("openapi.json")
        guard let data = try? Data(contentsOf: url) else { fatalError("\(url.path) is missing from the server's bundle") }
        return [UInt8](data)
    }()
}

/// Templates, static files and the OpenAPI document, copied beside the executable by SwiftPM.
enum ServerResources {
    // `Bundle.module.resourceURL` differs between Linux and Apple platforms; the bundle's own
    // folder does not.
    static let directory = Bundle.module.bundleURL.appendingPathComponent("Resources", isDirectory: true)
}
