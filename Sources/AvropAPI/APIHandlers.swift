import Audit
import Foundation
import FrameworkAgreements
import CatalogueSearch
import Identity
import OpenAPIRuntime
import AvropHTTP

/// The JSON API's handlers: each reads the request, calls the same services as the pages, and answers.
struct APIHandlers: APIProtocol {
    let services: Services
    var tokens: TokenAuthentication { services.tokens }
    /// Shared by every request, with its index of the catalogue.
    var catalogue: Catalogue { services.catalogue }
    /// Evidence documents, with the configured size limit.
    var documents: SolutionDocuments { services.documents }

    func createToken(_ input: Operations.CreateToken.Input) async throws -> Operations.CreateToken.Output {
        guard case .json(let request) = input.body else { return .badRequest(Problems.badRequest("expected a JSON body")) }
        do {
            let issued: TokenAuthentication.Issued
            if let email = request.email, let password = request.password {
                issued = try await tokens.issue(
                    email: email, password: password, totpCode: request.totpCode, organizationNumber: request.organizationNumber,
                    address: APIRequest.clientAddress, name: request.name, scopes: request.scopes ?? []
                )
            } else if let actor = APIRequest.sessionActor {
                issued = try await tokens.issue(for: actor, name: request.name, scopes: request.scopes ?? [])
            } else {
                return .unauthorized(Problems.make(401, "unauthorized", "Give email and password, or call from a signed-in session with X-CSRF-Token"))
            }
            return .created(.init(body: .json(.init(id: issued.id.uuidString.lowercased(), token: issued.secret, expiresAt: issued.expiresAt))))
        } catch let error as IdentityError {
            switch error {
            case .invalidCredentials:
                return .unauthorized(Problems.make(401, "invalid-credentials", "The e-mail address, the password or the code is wrong"))
            case .secondFactorRequired:
                return .unauthorized(Problems.make(401, "second-factor-required", "Give the code from your authenticator app (totpCode)"))
            case .secondFactorEnrolmentRequired:
                return .forbidden(Problems.make(403, "second-factor-enrolment-required", "Your organisation requires two-step verification: set it up on your account page first"))
            case .throttled(let wait):
                return .tooManyRequests(.init(
                    headers: .init(retryAfter: Int(wait.components.seconds)),
                    body: .applicationProblemJson(.init(_type: Problems.type("too-many-attempts"), title: "Too many failed attempts; try again later", status: 429))
                ))
            case .organizationRequired, .notFound:
                return .badRequest(Problems.badRequest("name one organisation you are a member of (organizationNumber)"))
            default:
                return .badRequest(Problems.badRequest(error.description))
            }
        }
    }

    func getMe(_ input: Operations.GetMe.Input) async throws -> Operations.GetMe.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        let profile = try await services.profiles.profile(of: actor)
        return .ok(.init(headers: .init(eTag: IfMatch.etag(profile.version)), body: .json(Self.me(actor, profile))))
    }

    func updateMe(_ input: Operations.UpdateMe.Input) async throws -> Operations.UpdateMe.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard case .json(let change) = input.body else { return .badRequest(Problems.badRequest("expected a JSON body")) }
        let version = try IfMatch.version(input.headers.ifMatch)
        do {
            let profile = try await services.profiles.update(
                of: actor, ifVersion: version, displayName: change.displayName, language: change.language?.rawValue
            )
            return .ok(.init(headers: .init(eTag: IfMatch.etag(profile.version)), body: .json(Self.me(actor, profile))))
        } catch IdentityError.versionMismatch {
            return .preconditionFailed(Problems.make(412, "precondition-failed", "The resource has changed since you read it"))
        } catch let error as IdentityError where error == .invalidName || error == .invalidLanguage {
            return .unprocessableContent(Problems.make(422, "invalid-field", "A field has a value that is not allowed", detail: error.description))
        }
    }

    static func me(_ actor: Actor, _ profile: ProfileService.Profile) -> Components.Schemas.Me {
        .init(
            email: profile.email, displayName: profile.displayName, language: .init(rawValue: profile.language) ?? .sv,
            userId: actor.userID.uuidString.lowercased(), organizationId: actor.organizationID.uuidString.lowercased(),
            roles: actor.roles.map(\.rawValue).sorted()
        )
    }

    func listAuditEvents(_ input: Operations.ListAuditEvents.Input) async throws -> Operations.ListAuditEvents.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        let stream = input.query.stream
        let after = input.query.after ?? 0
        guard after >= 0 else { return .badRequest(Problems.badRequest("after: a sequence number, 0 or more")) }
        let limit = try PageLimit.read(input.query.limit)
        let events: [AuditEvent]
        do {
            events = try await services.auditTrail.events(of: stream, after: Int64(after), limit: limit + 1, for: actor)
        } catch IdentityError.notFound {
            return .notFound(Problems.notFound)
        }
        var items = try events.map { event -> Components.Schemas.AuditEvent in
            let data = try JSONDecoder().decode(OpenAPIObjectContainer.self, from: Data(event.dataJSON.utf8))
            return .init(
                stream: event.stream, sequence: event.sequence, occurredAt: event.occurredAt,
                actorUserId: event.actorUserID?.uuidString.lowercased(), action: event.action, data: .init(additionalProperties: data)
            )
        }
        var next: String?
        if items.count > limit {
            items.removeLast()
            next = Pagination.nextLink("/api/v1/audit-events", [
                "stream": stream, "after": String(items.last?.sequence ?? 0), "limit": String(limit),
            ])
        }
        return .ok(.init(body: .json(.init(items: items, next: next))))
    }
}

/// Problem details (RFC 9457) with stable types.
enum Problems {
    static func type(_ name: String) -> String { "https://avrop.se/problems/\(name)" }

    static func make(_ status: Int, _ name: String, _ title: String, detail: String? = nil) -> Components.Responses.Problem {
        .init(body: .applicationProblemJson(.init(_type: type(name), title: title, status: status, detail: detail)))
    }

    static func badRequest(_ detail: String) -> Components.Responses.Problem {
        make(400, "bad-request", "The request is not valid", detail: detail)
    }

    static let unauthorized = make(401, "unauthorized", "Sign in, or send a valid API token")
    static let notFound = make(404, "not-found", "Not found")
}
