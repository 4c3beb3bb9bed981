// The typed answers of `Modem` (SIMStatus, SignalQuality, RegistrationStatus, StoredMessage,
// UnsolicitedResult …) live in the pure ATProtocol layer; re-export them so users of ModemKit
// need one import.
@_exported import ATProtocol
