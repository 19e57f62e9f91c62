import Foundation
import PackagePlugin

/// Embeds every file under the target's `Embedded/` folder (templates, message catalogues, the style
/// sheet) as a Swift string literal in `embeddedFiles`, keyed by its path below `Embedded/`, so the binary
/// serves its pages wherever it runs (no resource bundle to lose). The target excludes `Embedded` itself.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        // Target.directoryURL needs tools version 6.1; the package is 6.0, and targets live in Sources/<name>.
        let root = context.package.directoryURL.appendingPathComponent("Sources/\(target.name)/Embedded")
        var relative: [String] = []
        if let walker = FileManager.default.enumerator(atPath: root.path) {
            for case let path as String in walker {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory),
                   !isDirectory.boolValue, !path.hasPrefix("."), !path.contains("/.") {
                    relative.append(path)
                }
            }
        }
        relative.sort()
        let inputs = relative.map { root.appendingPathComponent($0) }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedFiles.swift")
        // A raw literal with two hashes: neither CSS colours ("#…) nor templates can end it early.
        let script = ###"""
            out="$1"; root="$2"; shift 2
            {
              printf '// Generated from Embedded/ by the EmbedFiles plugin. Do not edit.\n'
              printf 'let embeddedFiles: [String: String] = [\n'
              for f in "$@"; do
                printf '"%s": ##"""\n' "${f#"$root"/}"
                cat "$f"
                printf '\n"""##,\n'
              done
              printf ']\n'
            } > "$out.tmp" && mv "$out.tmp" "$out"
            """###
        return [
            .buildCommand(
                displayName: "Embedding \(relative.count) files of \(target.name)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "embed-files", output.path, root.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            ),
        ]
    }
}
