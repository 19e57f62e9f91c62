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
    @TaskLocal static var clientAddress: String = "unknown"
}

/// Resolves `Authorization: Bearer …` to the actor (nobody, for a missing, unknown, expired or revoked
/// token: the handlers answer 401) and remembers the client's address.
public struct APIAuthenticationMiddleware: RouterMiddleware {
    public typealias Context = AvropRequestContext
    let tokens: TokenAuthentication

    public init(tokens: TokenAuthentication) {
        self.tokens = tokens
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var actor: Actor?
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            actor = try await tokens.authenticate(bearer: String(header.dropFirst("Bearer ".count)))
        }
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        return try await APIRequest.$actor.withValue(actor) {
            try await APIRequest.$clientAddress.withValue(address) {
                try await next(request, context)
            }
        }
    }
}
