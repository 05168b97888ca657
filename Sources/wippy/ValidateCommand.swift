import ArgumentParser

/// `wippy validate [DIR]`: every problem in compiler style, exit 1 if any.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check an app's manifests, schemas, references and dependency graph.",
        discussion: "Prints every problem as path:LINE:COL: error: message and exits 1 if there is any."
    )

    @OptionGroup var app: AppFolderOptions

    func run() throws {
        let checked = try app.check()
        guard checked.isValid else {
            let count = checked.diagnostics.count
            throw ValidationFailure(message: "\(count) \(count == 1 ? "error" : "errors")")
        }
        print(checked.summary)
    }
}

/// Ends a command with exit status 1 after its diagnostics were printed.
struct ValidationFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
