import SMSCodec

extension Modem {
    /// Submits one part built by `SMSSubmitEncoder` (`AT+CMGS=<tpduLength>`, prompt, PDU, Ctrl-Z) and
    /// returns its TP-Message-Reference (TS 27.005 §3.5.1, TS 23.040 §9.2.3.6).
    public func send(_ pdu: SubmitPDU) async throws -> Int {
        try await send(pduHex: pdu.hex, tpduLength: pdu.tpduLength)
    }
}
