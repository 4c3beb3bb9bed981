import ModemKit

/// The receiving side's entry point, as the worker calls it (implemented by `InboundProcessor`).
public protocol InboundDrainer: Sendable {
    func drain(modem: Modem, modemID: String) async throws -> InboundReport
    /// A PDU the modem routed to us (`+CMT` / `+CDS`) instead of storing it: it exists nowhere
    /// else. A report with `failures` means it is not on disk yet: the caller keeps it and retries.
    func receiveRouted(pduHex: String, modemID: String) async -> InboundReport
}

extension InboundProcessor: InboundDrainer {}
