/// Why a framework-agreement use case was refused. The message is fit to show the person who asked.
public enum AgreementError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not there, or not for this caller to see or change (DESIGN §4: the same answer for both).
    case notFound
    case invalid(field: String, reason: String)
    /// R1: more than four years (extension included) without a recorded justification.
    case validityTooLong
    /// Only a draft can be changed this way.
    case notDraft
    /// R3: no supplier joins an activated agreement.
    case closedSystem
    case duplicate(String)
    /// Activation found the agreement incomplete.
    case incomplete([ActivationProblem])
    /// Changed since the caller read it.
    case versionMismatch(current: Int)
    /// An uploaded file larger than the limit, in bytes.
    case fileTooLarge(maximumBytes: Int)
    /// An uploaded file whose first bytes are not one of the accepted types (`FileType`).
    case fileTypeRefused

    public var description: String {
        switch self {
        case .notFound: "not found"
        case .invalid(let field, let reason): "\(field): \(reason)"
        case .validityTooLong: "R1: validity and extension may not exceed four years unless a justification is recorded"
        case .notDraft: "only a draft can be changed this way"
        case .closedSystem: "R3: no supplier joins an activated framework agreement"
        case .duplicate(let what): "\(what) exists already"
        case .incomplete(let problems): "the agreement cannot be activated: " + problems.map(\.description).joined(separator: "; ")
        case .versionMismatch: "it has changed since you read it"
        case .fileTooLarge(let maximum): "the file is larger than \(maximum / (1 << 20)) MiB"
        case .fileTypeRefused: "only PDF, Office documents, images (PNG, JPEG, GIF, WebP) and plain text are accepted"
        }
    }
}
