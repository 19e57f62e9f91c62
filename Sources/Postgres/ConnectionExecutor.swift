import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A thread of one connection's own, which runs the jobs of the task using the connection.
///
/// The pool runs the whole `withConnection` body with this executor as the task's preference, so the
/// task's code and its blocking libpq calls run on this thread one after the other: a statement costs no
/// hop between threads, only the round trip to the server. No SwiftNIO event loop and no thread of the
/// Swift concurrency pool ever blocks in libpq.
final class ConnectionExecutor: TaskExecutor, @unchecked Sendable {
    private enum Work {
        case job(UnownedJob)
        case closure(@Sendable () -> Void)
    }

    // `@unchecked Sendable`: `work` and `stopped` are guarded by `condition`; `threadID` is written once,
    // before `init` returns.
    private let condition = NSCondition()
    private var work: [Work] = []
    private var stopped = false
    private var threadID = pthread_self()

    /// Starts the thread. It keeps the executor alive until `shutdown()` lets it end. (On Linux the name
    /// stays Foundation's: profiles show these threads under the name of the thread that started them.)
    init(name: String) {
        let started = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            threadID = pthread_self()
            started.signal()
            runLoop()
        }
        thread.name = name
        thread.start()
        started.wait()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    /// Runs `closure` on the thread.
    func run(_ closure: @escaping @Sendable () -> Void) {
        submit(.closure(closure))
    }

    /// Whether the caller is running on this executor's thread.
    var isCurrent: Bool {
        pthread_equal(pthread_self(), threadID) != 0
    }

    /// Lets the thread end once the work queued so far is done.
    func shutdown() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func submit(_ item: Work) {
        condition.lock()
        work.append(item)
        condition.signal()
        condition.unlock()
    }

    private func runLoop() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while work.isEmpty && !stopped { condition.wait() }
            if work.isEmpty {
                condition.unlock()
                return
            }
            let next = work.removeFirst()
            condition.unlock()
            switch next {
            case .job(let job): job.runSynchronously(on: executor)
            case .closure(let closure): closure()
            }
        }
    }
}
