/// Why an identity use case was refused. The message is fit to show the person who asked.
public enum IdentityError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidOrganizationNumber(OrganizationNumber.Problem)
    case organizationNumberTaken
    case emailTaken
    case invalidEmail
    case invalidName
    case weakPassword(String)
    case roleNotAllowed(Role, Organization.Kind)
    case notFound
    case invalidCredentials
    case throttled(retryAfter: Duration)
    case organizationRequired
    case invalidCursor
    case invalidURL
    case invalidLanguage
    /// The account has a second factor: the login needs its code.
    case secondFactorRequired
    /// The organisation requires a second factor, which the account has not set up.
    case secondFactorEnrolmentRequired
    /// The organisation requires a second factor, so it cannot be turned off.
    case secondFactorEnforced
    /// The resource changed since the caller read it (its version is `current` now).
    case versionMismatch(current: Int)

    public var description: String {
        switch self {
        case .invalidOrganizationNumber(let problem): "invalid organisation number: \(problem)"
        case .organizationNumberTaken: "an organisation with this organisation number exists already"
        case .emailTaken: "a user with this e-mail address exists already"
        case .invalidEmail: "the e-mail address is not valid"
        case .invalidName: "a name must have 1 to 300 characters"
        case .weakPassword(let reason): "the password is too weak: \(reason)"
        case .roleNotAllowed(let role, let kind): "the role \(role.rawValue) does not exist in a \(kind.rawValue)"
        case .notFound: "not found"
        case .invalidCredentials: "the e-mail address or the password is wrong"
        case .throttled(let wait): "too many failed attempts; try again in \(wait.components.seconds / 60) minutes"
        case .organizationRequired: "you are a member of several organisations: say which one"
        case .invalidCursor: "the cursor is not one this service gave out"
        case .invalidURL: "the URL must be http:// or https:// and at most 2000 characters"
        case .invalidLanguage: "the language must be sv or en"
        case .secondFactorRequired: "give the code from your authenticator app"
        case .secondFactorEnrolmentRequired: "your organisation requires two-step verification: set it up on your account page first"
        case .secondFactorEnforced: "your organisation requires two-step verification"
        case .versionMismatch: "it has changed since you read it: read it again and repeat the change"
        }
    }
}
