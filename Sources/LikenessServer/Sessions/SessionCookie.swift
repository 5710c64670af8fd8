import HTTPTypes
import Hummingbird
import LikenessGovernance

/// The browser session: HttpOnly, SameSite=Strict, Secure behind TLS.
enum SessionCookie {
    static let name = AuthenticationMiddleware.sessionCookie

    static func make(_ token: String, secure: Bool) -> Cookie {
        Cookie(name: name, value: token, maxAge: Int(Accounts.sessionLifetime), path: "/", secure: secure, httpOnly: true,
               sameSite: .strict)
    }

    static func expired(secure: Bool) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// Before sign-in there is no session to hold a CSRF token, so the sign-in and sign-up
    /// forms use a double-submit cookie: the form's token must equal this cookie's.
    static let preSessionName = "likeness_csrf"

    static func preSession(_ token: String, secure: Bool) -> Cookie {
        Cookie(name: preSessionName, value: token, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}
