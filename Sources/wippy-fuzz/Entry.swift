import Foundation

/// `wippy-fuzz TARGET FILE...`. In the fuzz build (scripts/fuzz.sh: `-sanitize=fuzzer`,
/// `FUZZING`), libFuzzer runs the target with the remaining arguments (corpus folders and
/// libFuzzer's `-flags`). In the regular build, each file runs through the target once: a replay
/// of a corpus or of inputs that once crashed; exit 0 when none crashed.
@main
struct FuzzMain {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: wippy-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE...")
            exit(2)
        }
        #if FUZZING
        selected = target
        var argc = CommandLine.argc - 1  // libFuzzer sees the arguments after the target's name
        var argv = CommandLine.unsafeArgv.advanced(by: 1)
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
        #else
        var count = 0
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("cannot read \(path)")
                exit(2)
            }
            target.run(Array(data))
            count += 1
        }
        print("\(name): \(count) inputs replayed")
        #endif
    }
}

#if FUZZING
/// The target libFuzzer's callback runs (set once, before libFuzzer starts).
nonisolated(unsafe) private var selected: FuzzTarget?

/// One input for the selected target (libFuzzer's runtime also expects this symbol).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selected?.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// libFuzzer's driver (libclang_rt.fuzzer): parses its flags from argv and calls back per input.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                                 _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32
#endif
