import Foundation
import PackagePlugin

/// Embeds the package's top-level `sql/*.sql` migrations into the target as Swift string literals, so the
/// `avrop` binary carries its schema with it and finds it wherever it runs (no resource bundle to lose).
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let sqlDirectory = context.package.directoryURL.appendingPathComponent("sql")
        let names = try FileManager.default.contentsOfDirectory(atPath: sqlDirectory.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        let inputs = names.map { sqlDirectory.appendingPathComponent($0) }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedMigrations.swift")
        // A raw multi-line literal keeps the SQL byte for byte, so the checksum of the embedded text is the
        // checksum of the file.
        let script = ##"""
            out="$1"; shift
            {
              printf '// Generated from sql/ by the EmbedMigrations plugin. Do not edit.\n'
              printf 'let embeddedMigrationFiles: [(name: String, sql: String)] = [\n'
              for f in "$@"; do
                printf '("%s", #"""\n' "$(basename "$f")"
                cat "$f"
                printf '\n"""#),\n'
              done
              printf ']\n'
            } > "$out.tmp" && mv "$out.tmp" "$out"
            """##
        return [
            .buildCommand(
                displayName: "Embedding \(names.count) SQL migrations",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "embed-migrations", output.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            ),
        ]
    }
}
