import HTTPTypes
public import Hummingbird
public import Identity
public import NIOCore

/// The request context of Avrop's router: Hummingbird's core, the client's address (for login throttling)
/// and the actor once authenticated.
public struct AvropRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Values of the current API request that the generated handlers cannot take as parameters; set by
/// `APIAuthenticationMiddleware` for the duration of the request.
enum APIRequest {
    @TaskLocal static var actor: Actor?
    /// The actor of a browser session that sent its CSRF token, for the one operation that accepts a
    /// session (creating a token); never set from a bearer token.
    @TaskLocal static var sessionActor: Actor?
    @TaskLocal static var clientAddress: String = "unknown"
}

/// Resolves `Authorization: Bearer …` to the actor (nobody, for a missing, unknown, expired or revoked
/// token: the handlers answer 401) and remembers the client's address.
public struct APIAuthenticationMiddleware: RouterMiddleware {
    public typealias Context = AvropRequestContext
    let tokens: TokenAuthentication
    let sessions: SessionAuthentication

    public init(tokens: TokenAuthentication, sessions: SessionAuthentication) {
        self.tokens = tokens
        self.sessions = sessions
    }

    static let csrfHeader = HTTPField.Name("X-CSRF-Token")

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/") else { return try await next(request, context) }
        var actor: Actor?
        var sessionActor: Actor?
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            actor = try await tokens.authenticate(bearer: String(header.dropFirst("Bearer ".count)))
        } else if request.uri.path == "/api/v1/tokens", request.method == .post,
                  let cookie = request.cookies["avrop_session"]?.value,
                  let sent = Self.csrfHeader.flatMap({ request.headers[$0] }),
                  let session = try await sessions.authenticate(cookie),
                  !session.mustEnrolSecondFactor, sent == session.csrfToken {
            // Without the header a cross-site form could use the cookie; with it, only our own pages can.
            sessionActor = session.actor
        }
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        return try await APIRequest.$actor.withValue(actor) {
            try await APIRequest.$sessionActor.withValue(sessionActor) {
                try await APIRequest.$clientAddress.withValue(address) {
                    try await next(request, context)
                }
            }
        }
    }
}
