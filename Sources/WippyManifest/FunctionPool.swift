/// How many warm Lua states serve a `function.lua` (`pool:`).
public struct FunctionPool: Sendable, Equatable {
    public enum Strategy: String, Sendable {
        case inline, lazy, `static`, adaptive
    }

    /// nil: chosen by the runtime (static when `workers` is set, else lazy).
    public var strategy: Strategy?
    public var workers: Int?
    public var buffer: Int?
    public var maxSize: Int?

    public init(strategy: Strategy? = nil, workers: Int? = nil, buffer: Int? = nil, maxSize: Int? = nil) {
        self.strategy = strategy
        self.workers = workers
        self.buffer = buffer
        self.maxSize = maxSize
    }
}
