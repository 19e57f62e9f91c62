import Postgres

/// Whether an error says the database had no free connection in time: the outermost middleware answers
/// it with 503 and `Retry-After`, so the API and the pages pass it on untouched. (They see the database
/// only through services, so they ask here instead of naming the pool's error type.)
public func isDatabaseBusy(_ error: any Error) -> Bool {
    error is PoolTimeoutError
}
