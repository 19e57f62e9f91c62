/// How to reach a PostgreSQL server: libpq connection keywords, passed to `PQconnectdbParams` as
/// keyword/value arrays. Anything not given falls back to the standard `PG*` environment variables and
/// libpq's defaults.
public struct PostgresConfiguration: Sendable {
    /// Keyword/value pairs in order; a later pair overrides an earlier one with the same keyword.
    public var parameters: [(keyword: String, value: String)]
    /// Run repeated statements as named prepared statements, cached per connection (measured in
    /// `bench/run postgres`; see `Connection`).
    public var preparedStatements = true

    /// Only the standard `PG*` variables (`PGHOST`, `PGDATABASE`, …) and libpq's defaults.
    public static var environment: PostgresConfiguration { PostgresConfiguration(parameters: []) }

    public init(parameters: [(keyword: String, value: String)]) {
        self.parameters = parameters
    }

    /// A `postgresql://` URI or a `key=value` conninfo string (libpq expands either).
    public init(url: String) {
        self.parameters = [("dbname", url)]
    }

    /// A server on a Unix socket in `socketDirectory`.
    public static func unixSocket(directory: String, port: Int = 5432, user: String, database: String) -> PostgresConfiguration {
        PostgresConfiguration(parameters: [
            ("host", directory), ("port", String(port)), ("user", user), ("dbname", database),
        ])
    }

    /// A copy with `keyword` set to `value` (overriding what the URL or earlier pairs said).
    public func with(_ keyword: String, _ value: String) -> PostgresConfiguration {
        var copy = self
        copy.parameters.append((keyword, value))
        return copy
    }

    /// Whether the first pair is a URL or conninfo string to expand.
    var expandsDatabaseName: Bool {
        parameters.contains { $0.keyword == "dbname" && ($0.value.contains("=") || $0.value.contains("://")) }
    }
}
