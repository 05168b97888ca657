import CLua
import WippyProcess

/// `funcs.call`: runs a function.lua while the calling process waits (only it).
extension Builtins {
    static let funcs: [(String, Builtin)] = [("call", call)]

    static let call: Builtin = { L in
        let L = L!, process = owner(L)
        guard let function = string(L, 1) else { return failure(L, "funcs.call expects a function ID") }
        let arguments: [Payload]
        switch payloads(L, from: 2) {
        case let .success(values): arguments = values
        case let .failure(error): return failure(L, "funcs.call: \(error)")
        }
        let services = process.context.services
        return suspend(L, for: .operation {
            switch await services.call(function: function, arguments: arguments) {
            case let .success(value): return [value]
            case let .failure(error): return [.null, .string(error.message)]
            }
        })
    }
}
