import Foundation
import HTTPTypes
import Hummingbird

/// Address ranges whose requests are relayed for clients: `--trusted-proxy CIDR`.
public struct TrustedProxies: Sendable {
    /// Which header the proxies write the client's address in. Only one is read: a proxy that
    /// writes one passes the other on as the client sent it, forged or not.
    public enum Header: String, Sendable, CaseIterable {
        case xForwardedFor = "x-forwarded-for"
        case forwarded
    }

    struct Range: Sendable {
        var network: [UInt8]
        var prefix: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == network.count else { return false }
            var bits = prefix
            for (a, n) in zip(address, network) {
                guard bits > 0 else { return true }
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if a & mask != n & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    let ranges: [Range]
    public let header: Header

    /// `ranges` as CIDR (`10.0.0.0/8`, `::1/128`) or single addresses; nil if one is neither.
    public init?(_ ranges: [String], header: Header = .xForwardedFor) {
        var parsed: [Range] = []
        for text in ranges {
            let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
            guard let network = Self.bytes(parts[0]) else { return nil }
            let prefix = parts.count == 2 ? Int(parts[1]) : network.count * 8
            guard let prefix, (0...(network.count * 8)).contains(prefix) else { return nil }
            parsed.append(Range(network: network, prefix: prefix))
        }
        self.ranges = parsed
        self.header = header
    }

    public static let none = TrustedProxies([])!

    func trusts(_ address: [UInt8]) -> Bool { ranges.contains { $0.contains(address) } }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the
    /// forwarding header is walked from the right (the hop nearest the server), skipping
    /// trusted proxies, to the first address that is not one. An entry that is not an address
    /// stops the walk at the proxy that wrote it.
    func client(peer: String?, headers: HTTPFields) -> String? {
        guard let peer, let peerBytes = Self.bytes(peer), trusts(peerBytes), !ranges.isEmpty else { return peer }
        let entries = forwardedFor(headers)
        var nearest = peer
        for entry in entries.reversed() {
            guard let bytes = Self.bytes(entry) else { return nearest }
            guard trusts(bytes) else { return Self.text(bytes) }
            nearest = Self.text(bytes)
        }
        return nearest
    }

    /// The header's addresses, left (the client's own claim) to right (the last proxy's).
    func forwardedFor(_ headers: HTTPFields) -> [String] {
        switch header {
        case .xForwardedFor:
            return headers[values: .xForwardedFor].flatMap { $0.split(separator: ",") }
                .map { Self.host($0.trimmingCharacters(in: .whitespaces)) }
        case .forwarded:
            return headers[values: .forwarded].flatMap { $0.split(separator: ",") }.compactMap { element in
                for pair in element.split(separator: ";") {
                    let kv = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    if kv.count == 2, kv[0].lowercased() == "for" {
                        return Self.host(kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
                    }
                }
                return ""  // an element without for= is a hop whose client is unknown
            }
        }
    }

    /// An address without its port or IPv6 brackets: `[2001:db8::1]:4711` → `2001:db8::1`, `192.0.2.1:80` → `192.0.2.1`.
    static func host(_ text: String) -> String {
        if text.hasPrefix("["), let end = text.firstIndex(of: "]") { return String(text[text.index(after: text.startIndex)..<end]) }
        if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") { return String(text[..<colon]) }
        return text
    }

    /// 4 or 16 bytes; an IPv4 address mapped into IPv6 (`::ffff:192.0.2.1`) as its 4.
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }

    static func text(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let written = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil }
        return written ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }
}

/// Sets the request's client address: behind trusted proxies, the client they relay for.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let proxies: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = proxies.client(peer: context.clientAddress, headers: request.headers)
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let forwarded = HTTPField.Name("Forwarded")!
}
