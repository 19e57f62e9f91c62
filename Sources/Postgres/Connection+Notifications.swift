import CLibPQ
import Dispatch

extension Connection {
    /// Delivers notifications as they arrive until the connection fails (throws its error) or the task is
    /// cancelled (throws `CancellationError`). A read source on the socket wakes the connection's queue; no
    /// thread waits meanwhile.
    func waitForNotifications(_ deliver: @escaping @Sendable (String, String) -> Void) async throws {
        let box = SourceBox()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                queue.async {
                    guard let handle = self.handle else {
                        continuation.resume(throwing: PostgresError(kind: .closed, message: "the connection is closed"))
                        return
                    }
                    let source = DispatchSource.makeReadSource(fileDescriptor: PQsocket(handle), queue: self.queue)
                    box.install(source, continuation)
                    source.setEventHandler {
                        guard PQconsumeInput(handle) == 1, PQstatus(handle) == CONNECTION_OK else {
                            box.finish(throwing: LibPQ.connectionError(handle))
                            return
                        }
                        while let notification = PQnotifies(handle) {
                            deliver(String(cString: notification.pointee.relname), String(cString: notification.pointee.extra))
                            PQfreemem(notification)
                        }
                    }
                    source.resume()
                }
            }
        } onCancel: {
            queue.async { box.finish(throwing: CancellationError()) }
        }
    }
}

/// The read source and the waiting continuation of `waitForNotifications`; touched only on the
/// connection's queue, hence `@unchecked Sendable`.
private final class SourceBox: @unchecked Sendable {
    private var source: (any DispatchSourceRead)?
    private var continuation: CheckedContinuation<Void, any Error>?
    private var cancelledEarly = false

    func install(_ source: any DispatchSourceRead, _ continuation: CheckedContinuation<Void, any Error>) {
        self.source = source
        self.continuation = continuation
        if cancelledEarly { finish(throwing: CancellationError()) }
    }

    func finish(throwing error: any Error) {
        guard let continuation else {
            cancelledEarly = true
            return
        }
        source?.cancel()
        source = nil
        self.continuation = nil
        continuation.resume(throwing: error)
    }
}
