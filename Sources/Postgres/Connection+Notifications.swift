import CLibPQ
import Dispatch

extension Connection {
    /// Delivers notifications as they arrive until the connection fails (throws its error) or the task is
    /// cancelled (throws `CancellationError`). A read source on the socket wakes the connection's queue; no
    /// thread waits meanwhile.
    func waitForNotifications(_ deliver: @escaping @Sendable (String, String) -> Void) async throws {
        let box = SourceBox()
        let opaque = try await run { OpaqueHandle($0) }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                queue.async {
                    let handle = opaque.pointer
                    let source = DispatchSource.makeReadSource(fileDescriptor: PQsocket(handle), queue: self.queue)
                    // A read source on Linux may not fire again for an end of stream that arrived together with
                    // the server's goodbye; a slow timer makes sure a lost connection is found all the same.
                    let timer = DispatchSource.makeTimerSource(queue: self.queue)
                    box.install(source, timer, continuation)
                    let poll = {
                        // The second read finds an end of stream that the first one's data hid; libpq's socket
                        // is non-blocking, so neither waits.
                        guard PQconsumeInput(handle) == 1, PQconsumeInput(handle) == 1, PQstatus(handle) == CONNECTION_OK else {
                            box.finish(throwing: LibPQ.connectionError(handle))
                            return
                        }
                        while let notification = PQnotifies(handle) {
                            deliver(String(cString: notification.pointee.relname), String(cString: notification.pointee.extra))
                            PQfreemem(notification)
                        }
                    }
                    source.setEventHandler(handler: poll)
                    timer.setEventHandler(handler: poll)
                    timer.schedule(deadline: .now() + .seconds(1), repeating: .seconds(1), leeway: .milliseconds(100))
                    source.resume()
                    timer.resume()
                    // Notifications that arrived with the LISTEN's answer are already in libpq's buffer.
                    poll()
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
    private var timer: (any DispatchSourceTimer)?
    private var continuation: CheckedContinuation<Void, any Error>?
    private var cancelledEarly = false

    func install(_ source: any DispatchSourceRead, _ timer: any DispatchSourceTimer, _ continuation: CheckedContinuation<Void, any Error>) {
        self.source = source
        self.timer = timer
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
        timer?.cancel()
        timer = nil
        self.continuation = nil
        continuation.resume(throwing: error)
    }
}
