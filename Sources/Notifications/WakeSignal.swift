import Synchronization

/// Lets one waiting task go on early: `wait(atMost:)` returns when `signal()` is called or the time is up,
/// whichever comes first. A signal that comes while nobody waits is kept for the next wait, so none is lost
/// between two rounds of work.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func signal() {
        wake(keepIfNobodyWaits: true)
    }

    private func wake(keepIfNobodyWaits: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                if keepIfNobodyWaits { state.pending = true }
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Waits for a signal, at most `timeout`; only one task may wait at a time.
    func wait(atMost timeout: Duration) async {
        // The time limit wakes only this wait: it is never kept for a later one.
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { wake(keepIfNobodyWaits: false) }
        }
        // A cancelled task (the service stopping) stops waiting at once.
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Read outside the lock: `onCancel` takes this lock while the runtime holds the task's status
                // lock, so nothing about the task itself is asked for under it.
                let cancelled = Task.isCancelled
                let ready = state.withLock { state -> Bool in
                    if state.pending || cancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            wake(keepIfNobodyWaits: false)
        }
        timer.cancel()
    }
}
