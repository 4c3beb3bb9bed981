extension ATCommand {
    /// Huawei `AT^ICCID?`.
    public static let iccidHuawei = vendor("AT^ICCID?")
    /// Quectel `AT+QCCID`.
    public static let iccidQuectel = vendor("AT+QCCID")
    /// SIMCom `AT+CICCID` (SIM7600) answers `+ICCID:`.
    public static let iccidSIMCom = vendor("AT+CICCID")
    /// `AT+CRSM=176,12258,0,0,10`: READ BINARY of EF_ICCID (TS 27.007 §8.18, TS 51.011 §10.1.1).
    public static let iccidFromSIMFile = vendor("AT+CRSM=176,12258,0,0,10")
    /// Huawei `AT^CPIN?`: remaining PIN/PUK attempts.
    public static let pinRetriesHuawei = vendor("AT^CPIN?")
    /// Quectel `AT+QPINC="SC"`: remaining PIN/PUK attempts.
    public static let pinRetriesQuectel = vendor("AT+QPINC=\"SC\"")
    /// SIMCom `AT+SPIC`: remaining PIN/PUK attempts.
    public static let pinRetriesSIMCom = vendor("AT+SPIC")
    /// Wavecom `AT+CPINC`: remaining PIN/PUK attempts.
    public static let pinRetriesWavecom = vendor("AT+CPINC")

    /// The ICCID commands tried in order when `AT+CCID` fails.
    public static let iccidCommands: [ATCommand] = [.iccid, .iccidHuawei, .iccidQuectel, .iccidSIMCom, .iccidFromSIMFile]
    /// The retry-counter commands tried in order (TS 27.007 §8.65 `+CPINR` first).
    public static let pinRetryCommands: [ATCommand] = [.pinRetries, .pinRetriesHuawei, .pinRetriesQuectel, .pinRetriesSIMCom, .pinRetriesWavecom]

    private static func vendor(_ line: String) -> ATCommand {
        // Constant, printable lines: `raw` cannot reject them.
        (try? raw(line)) ?? .attention
    }
}
