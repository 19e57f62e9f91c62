public import AvropCore
public import CallOffs
public import FrameworkAgreements
public import CatalogueSearch
public import Identity
public import Postgres

/// Every service of the running application, built once by the composition root (`AvropApp`) over the
/// runtime pool (role `avrop_app`) and handed to the JSON API and the pages, which call the same ones: a
/// rule lives in one place. Nothing here keeps state of its own but the catalogue's in-memory index.
public struct Services: Sendable {
    // Identity: who is calling, and what they keep of their own.
    public let sessions: SessionAuthentication
    public let tokens: TokenAuthentication
    public let profiles: ProfileService
    public let secondFactor: SecondFactor
    public let inbox: NotificationInbox
    public let webhooks: WebhookAdministration
    public let deadLetters: DeadLetters
    public let auditTrail: AuditTrail
    public let idempotency: IdempotencyStore
    // Framework agreements and their catalogue.
    public let agreements: AgreementService
    public let solutions: SolutionService
    public let documents: SolutionDocuments
    public let catalogue: Catalogue
    // Call-offs.
    public let callOffs: CallOffService

    /// Builds every service over `pool`, with one clock and id source (`environment`).
    ///
    /// - Parameter maximumDocumentBytes: the largest evidence document accepted.
    public init(pool: ConnectionPool, maximumDocumentBytes: Int, environment: ServiceEnvironment = .system) {
        sessions = SessionAuthentication(pool: pool)
        tokens = TokenAuthentication(pool: pool, environment: environment)
        profiles = ProfileService(pool: pool)
        secondFactor = SecondFactor(pool: pool, environment: environment)
        inbox = NotificationInbox(pool: pool)
        webhooks = WebhookAdministration(pool: pool, environment: environment)
        deadLetters = DeadLetters(pool: pool)
        auditTrail = AuditTrail(pool: pool)
        idempotency = IdempotencyStore(pool: pool)
        agreements = AgreementService(pool: pool, environment: environment)
        solutions = SolutionService(pool: pool, environment: environment)
        documents = SolutionDocuments(pool: pool, maximumBytes: maximumDocumentBytes, environment: environment)
        catalogue = Catalogue(pool: pool)
        callOffs = CallOffService(pool: pool, environment: environment)
    }
}
