import Dispatch
import HummingbirdBcrypt

/// Passwords: at least 12 characters, not one of the most common ones, stored as bcrypt hashes.
public struct PasswordPolicy: Sendable {
    /// bcrypt's cost factor (2^cost rounds).
    public var cost: UInt8

    public static let minimumLength = 12

    public init(cost: UInt8 = 12) {
        self.cost = cost
    }

    /// Why `password` is refused, or `nil` when it is acceptable.
    public func problem(with password: String) -> String? {
        if password.count < Self.minimumLength { return "use at least \(Self.minimumLength) characters" }
        let folded = password.lowercased()
        if Self.common.contains(folded) { return "it is one of the most common passwords" }
        if Set(folded).count < 4 { return "it repeats too few different characters" }
        return nil
    }

    /// The bcrypt hash of an acceptable password.
    public func hash(_ password: String) throws(IdentityError) -> String {
        if let problem = problem(with: password) { throw .weakPassword(problem) }
        return Bcrypt.hash(password, cost: cost)
    }

    /// Whether `password` matches `hash`.
    public func verify(_ password: String, hash: String) -> Bool {
        Bcrypt.verify(password, hash: hash)
    }

    /// Spends as long as a `verify` (one bcrypt run at `cost`), for a login whose account does not exist.
    public func spendVerificationTime() {
        _ = Bcrypt.hash("no account has this password", cost: cost)
    }

    /// `hash`, on a Dispatch thread: one bcrypt run at cost 12 is a quarter of a second of CPU, which on the
    /// concurrency pool's few threads would hold up every other request meanwhile.
    public func hashOffPool(_ password: String) async throws -> String {
        if let problem = problem(with: password) { throw IdentityError.weakPassword(problem) }
        let cost = cost
        return await Self.offPool { Bcrypt.hash(password, cost: cost) }
    }

    /// `verify`, on a Dispatch thread (see `hashOffPool`).
    public func verifyOffPool(_ password: String, hash: String) async -> Bool {
        await Self.offPool { Bcrypt.verify(password, hash: hash) }
    }

    /// `spendVerificationTime`, on a Dispatch thread (see `hashOffPool`).
    public func spendVerificationTimeOffPool() async {
        let cost = cost
        _ = await Self.offPool { Bcrypt.hash("no account has this password", cost: cost) }
    }

    private static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }

    /// Common passwords of 12 characters or more (lower-cased), from public breach statistics, Swedish ones
    /// included.
    static let common: Set<String> = [
        "123456789012", "1234567890123", "12345678910", "123456789123", "qwertyuiopas", "qwertyuiop123",
        "password1234", "password123!", "passwordpassword", "iloveyou1234", "abcdefghijkl", "abc123abc123",
        "111111111111", "000000000000", "123123123123", "qwerty123456", "1q2w3e4r5t6y", "1qaz2wsx3edc",
        "zaq12wsxcde3", "letmein12345", "welcome12345", "administrator", "sommar2024!!", "sommar123456",
        "lösenord1234", "losenord1234", "lösenordlösenord", "hemligt12345", "sverige12345", "stockholm123",
        "varberg12345", "123456654321", "987654321098", "football1234", "monkey123456", "dragon123456",
        "masterkey123", "trustno1trustno1", "changeme1234", "avropavrop12", "avrop1234567",
    ]
}
