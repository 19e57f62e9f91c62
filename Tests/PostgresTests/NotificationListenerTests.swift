import Postgres
import PostgresTesting
import Testing

@Suite("LISTEN/NOTIFY as an async sequence")
struct NotificationListenerTests {
    @Test(.timeLimit(.minutes(1)))
    func deliversNotificationsAndResubscribesAfterItsSessionIsTerminated() async throws {
        try await TestCluster.withDatabase { configuration in
            let sender = try await Connection.connect(configuration)
            let listener = NotificationListener(configuration: configuration, channels: ["call_off_events"])
            let (readyStream, readyContinuation) = AsyncStream.makeStream(of: Void.self)
            var events = listener.events(ready: { readyContinuation.yield() }).makeAsyncIterator()
            var readyIterator = readyStream.makeAsyncIterator()
            await readyIterator.next()

            try await sender.execute("SELECT pg_notify(\("call_off_events"), \("call-off/42 published ✓"))")
            try await sender.execute("SELECT pg_notify(\("other_channel"), \("not for us"))")
            #expect(await events.next() == .notification(channel: "call_off_events", payload: "call-off/42 published ✓"))

            // Kill the listening session, as a failover or restart would.
            let killed = try await sender.query("""
                SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
                WHERE query = 'LISTEN call_off_events' AND pid <> pg_backend_pid()
                """)
            #expect(killed.count == 1)
            #expect(await events.next() == .reconnected)

            try await sender.execute("SELECT pg_notify(\("call_off_events"), \("after reconnect"))")
            #expect(await events.next() == .notification(channel: "call_off_events", payload: "after reconnect"))
            await sender.close()
        }
    }
}
