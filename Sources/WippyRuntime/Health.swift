import WippyManifest
import WippyProcess

/// The runtime's state as `GET /healthz` reports it.
public enum Health: Sendable, Equatable {
    /// Services are starting or restarting (those not yet running are listed); 503.
    case starting([EntryID])
    /// Every auto-start service runs; 200.
    case running
    /// Graceful shutdown has begun; 503.
    case stopping
    /// In a cluster: the node lost its connection to the cluster's server and is cut off from the
    /// other nodes (its own services still run); 503, so that an orchestrator restarts it.
    case cutOff

    public var isHealthy: Bool { self == .running }

    /// `{"status": "running"}`, `{"status": "starting", "waiting": [...]}`, `{"status": "stopping"}`,
    /// `{"status": "cut_off"}`.
    public var json: String {
        switch self {
        case .running: return Payload.object([("status", .string("running"))]).json
        case .stopping: return Payload.object([("status", .string("stopping"))]).json
        case .cutOff: return Payload.object([("status", .string("cut_off"))]).json
        case let .starting(ids):
            return Payload.object([("status", .string("starting")), ("waiting", .array(ids.map { .string($0.description) }))]).json
        }
    }
}
