import CLibPQ
import Dispatch

extension Connection {
    /// `ExecutionModel.socketReadiness`: send the statement, then let a dispatch read source on the
    /// connection's socket drive `PQconsumeInput`/`PQgetResult` until the result is complete. The queue is
    /// free while the server works.
    func executeOnReadiness(_ sql: SQL) async throws -> Rows {
        let sent = try await run { handle in
            let sent = LibPQ.withParameters(sql) { count, types, values, lengths, formats in
                PQsendQueryParams(handle, sql.text, count, types, values, lengths, formats, PostgresFormat.text.rawValue)
            }
            // The connection stays in blocking mode, so a successful send has flushed the whole statement.
            guard sent == 1 else { throw LibPQ.connectionError(handle) }
            return OpaqueHandle(handle)
        }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Rows, any Error>) in
            queue.async {
                let handle = sent.pointer
                let waiter = ResultWaiter(handle: handle, continuation: continuation)
                let source = DispatchSource.makeReadSource(fileDescriptor: PQsocket(handle), queue: self.queue)
                source.setEventHandler { waiter.socketReadable(source) }
                source.resume()
            }
        }
    }
}

/// Collects the results of one sent statement as the socket becomes readable. Touched only on the
/// connection's queue (the read source's queue), hence `@unchecked Sendable`.
private final class ResultWaiter: @unchecked Sendable {
    private let handle: OpaquePointer
    private var continuation: CheckedContinuation<Rows, any Error>?
    /// The outcome so far: the last result, or the first error (which wins).
    private var outcome: Result<Rows, any Error>?

    init(handle: OpaquePointer, continuation: CheckedContinuation<Rows, any Error>) {
        self.handle = handle
        self.continuation = continuation
    }

    func socketReadable(_ source: any DispatchSourceRead) {
        // Twice: the second read finds an end of stream that arrived with the data (a read source may not
        // fire again for it on Linux). libpq's socket is non-blocking, so neither read waits.
        guard PQconsumeInput(handle) == 1, PQconsumeInput(handle) == 1 else {
            finish(source, .failure(LibPQ.connectionError(handle)))
            return
        }
        while PQisBusy(handle) == 0 {
            guard let result = PQgetResult(handle) else {
                finish(source, outcome ?? .failure(PostgresError(kind: .client, message: "no result")))
                return
            }
            let checked = Result { try LibPQ.check(result, handle) }
            if case .failure = outcome {} else { outcome = checked }
        }
    }

    private func finish(_ source: any DispatchSourceRead, _ result: Result<Rows, any Error>) {
        source.cancel()
        continuation?.resume(with: result)
        continuation = nil
    }
}
