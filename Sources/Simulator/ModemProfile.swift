/// The dialect a simulated modem speaks: the quirks of a real family of USB modems, reproduced from
/// what public sources document (vendor AT manuals, ModemManager's vendor plugins, gammu and
/// smstools3 notes). The AT engine runs the same test suite against every case.
public enum ModemProfile: String, CaseIterable, Sendable, Codable {
    /// Strict TS 27.005 / 27.007: no vendor noise, `+CPINR` retry counters, `+CRSM` for the ICCID,
    /// PDU mode only (`AT+CMGF=1` → `+CMS ERROR: 303`), indices from 1.
    case generic
    /// Huawei E3372 / E1752 sticks: `^RSSI`/`^HCSQ`/`^MODE`/`^BOOT` noise (silenced by `AT^CURC=0`),
    /// `^ICCID?` (nibble-swapped), `^CPIN?` retry counters, `COMMAND NOT SUPPORT` for unknown
    /// commands, SIM indices from 0.
    case huawei
    /// SIMCom SIM800: `RDY`, `+CFUN: 1`, `+CPIN: …`, `Call Ready`, `SMS Ready` at boot, `AT+CCID`
    /// answering bare digits, `AT+SPIC` retry counters, 2G only (no `+CEREG`), slow `AT+CMGS`,
    /// CMS errors follow `+CMEE` like CME ones.
    case simcom
    /// SIMCom SIM7600 (LTE, Qualcomm-based): `RDY`, `+CPIN: …`, `SMS DONE`, `PB DONE` at boot,
    /// `AT+CICCID` (`+ICCID: …`), `AT+SPIC` retry counters, `+CEREG`, `+CGMR: …` with its prefix,
    /// indices from 0.
    case sim7600
    /// Quectel EC25: `RDY`, `+CPIN: …`, `+QUSIM: 1`, `+QIND: SMS DONE`, `+QIND: PB DONE` at boot,
    /// `AT+QCCID`, `AT+QPINC` retry counters, indices from 0, default `+CNMI: 2,1,0,0,0`.
    case quectel

    /// One line for `--help` and the README.
    public var summary: String {
        switch self {
        case .generic: "strict 27.005/27.007, +CPINR, +CRSM ICCID, PDU only"
        case .huawei: "E3372/E1752: ^RSSI noise, ^ICCID, ^CPIN, COMMAND NOT SUPPORT"
        case .simcom: "SIM800: RDY/Call Ready/SMS Ready, +CCID, +SPIC, 2G, slow CMGS"
        case .sim7600: "SIM7600: RDY/SMS DONE/PB DONE, +CICCID, +SPIC, LTE, index 0"
        case .quectel: "EC25: RDY/+QIND, +QCCID, +QPINC, index 0"
        }
    }

    var manufacturer: String {
        switch self {
        case .generic: "SMSAGENT"
        case .huawei: "huawei"
        case .simcom: "SIMCOM_Ltd"
        case .sim7600: "SIMCOM INCORPORATED"
        case .quectel: "Quectel"
        }
    }

    var model: String {
        switch self {
        case .generic: "SIMULATED-27005"
        case .huawei: "E3372"
        case .simcom: "SIMCOM_SIM800L"
        case .sim7600: "SIMCOM_SIM7600E-H"
        case .quectel: "EC25"
        }
    }

    var revision: String {
        switch self {
        case .generic: "1.0.0"
        case .huawei: "22.315.01.00.00"
        case .simcom: "Revision:1418B04SIM800L24"
        case .sim7600: "LE20B04SIM7600M22"
        case .quectel: "EC25EFAR06A06M4G"
        }
    }

    /// Default IMEI (valid Luhn check digit), used when the configuration gives none.
    var defaultIMEI: String {
        switch self {
        case .generic: "490154203237518"
        case .huawei: "867223020000001"
        case .simcom: "865067020000002"
        case .sim7600: "862636050000004"
        case .quectel: "866758040000003"
        }
    }

    /// `ATI` (V.250 §6.1.3): each vendor formats it its own way.
    func identification(imei: String) -> [String] {
        switch self {
        case .generic: ["\(manufacturer) \(model)", "Revision: \(revision)"]
        case .huawei: ["Manufacturer: huawei", "Model: \(model)", "Revision: \(revision)", "IMEI: \(imei)", "+GCAP: +CGSM,+DS,+ES"]
        case .simcom: ["SIM800 R14.18"]
        case .sim7600: ["Manufacturer: \(manufacturer)", "Model: \(model)", "Revision: SIM7600M22_V2.0", "IMEI: \(imei)", "+GCAP: +CGSM"]
        case .quectel: ["Quectel", "EC25", "Revision: \(revision)"]
        }
    }

    /// URCs after power-on (SIM800 manual "RDY", "Call Ready", "SMS Ready"; EC25 manual "RDY", "+QIND").
    func bootURCs(simLocked: Bool) -> [String] {
        let cpin = simLocked ? "+CPIN: SIM PIN" : "+CPIN: READY"
        switch self {
        case .generic: return []
        case .huawei: return ["^SYSSTART", "^SIMST: 1"]
        case .simcom: return simLocked ? ["RDY", "+CFUN: 1", cpin] : ["RDY", "+CFUN: 1", cpin, "Call Ready", "SMS Ready"]
        case .sim7600: return simLocked ? ["RDY", cpin] : ["RDY", cpin, "SMS DONE", "PB DONE"]
        case .quectel: return simLocked ? ["RDY", "+CFUN: 1", cpin, "+QUSIM: 1"]
                                        : ["RDY", "+CFUN: 1", cpin, "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE"]
        }
    }

    /// URCs once the PIN has been accepted (the SIM finishes initialising).
    var simReadyURCs: [String] {
        switch self {
        case .generic: []
        case .huawei: ["^SIMST: 1"]
        case .simcom: ["+CPIN: READY", "Call Ready", "SMS Ready"]
        case .sim7600: ["+CPIN: READY", "SMS DONE", "PB DONE"]
        case .quectel: ["+CPIN: READY", "+QIND: SMS DONE", "+QIND: PB DONE"]
        }
    }

    /// Periodic vendor noise (Huawei sticks report signal and mode changes unprompted; E1752 repeats ^BOOT).
    func noise(tick: Int, rssi: Int) -> [String] {
        switch self {
        case .huawei:
            switch tick % 4 {
            case 0: return ["^RSSI: \(rssi)"]
            case 1: return ["^HCSQ: \"LTE\",\(min(97, rssi * 2 + 10)),\(min(97, rssi + 20)),120,20"]
            case 2: return ["^MODE: 7,17"]
            default: return ["^BOOT:20952548,0,0,0,72"]
            }
        default: return []
        }
    }

    /// The final result for a command the modem does not know (V.250 §5.7.1 says `ERROR`).
    var unknownCommandResult: String { self == .huawei ? "COMMAND NOT SUPPORT" : "ERROR" }

    /// First storage index: Huawei, Quectel and the SIM7600 count from 0, the SIM800 and the strict
    /// profile from 1.
    var firstIndex: Int { self == .huawei || self == .quectel || self == .sim7600 ? 0 : 1 }

    var supportsTextMode: Bool { self != .generic }
    var supportsEPS: Bool { self != .simcom }
    /// `<AcT>` in `+COPS?`/`+CREG` (TS 27.007 §7.3): 7 = E-UTRAN, nil = a 2G module that omits it.
    var accessTechnology: Int? { self == .simcom ? nil : 7 }
    /// SIM800 applies `+CMEE` to `+CMS ERROR` as well; the others always report `+CMS ERROR: <n>`.
    var cmsFollowsCMEE: Bool { self == .simcom }
    /// `+CNMI` after power-on (EC25 and SIM800 manuals: 2,1,0,0,0; strict 27.005: 0,0,0,0,0).
    var defaultCNMI: [Int] {
        switch self {
        case .quectel, .simcom, .sim7600: [2, 1, 0, 0, 0]
        default: [0, 0, 0, 0, 0]
        }
    }

    /// Realistic per-command latency (milliseconds) before scaling by the configuration.
    func latencyMilliseconds(for command: String) -> Int {
        switch (self, command) {
        case (.generic, _): 0
        case (.simcom, "+CMGS"), (.simcom, "+CMSS"): 1200
        case (.sim7600, "+CMGS"): 600
        case (.huawei, "+CMGS"), (.quectel, "+CMGS"): 300
        case (_, "+COPS=?"): 2000
        case (_, "+CFUN"): 200
        case (_, "+CPIN"): 100
        case (.simcom, _), (.sim7600, _): 20
        default: 5
        }
    }

    /// URC telling the host that SIM storage is full, where the family has one.
    func storageFullURC(memory: String) -> String? {
        switch self {
        case .huawei: "^SMMEMFULL: \"\(memory)\""
        case .quectel: "+QIND: \"smsfull\",\"\(memory)\""
        case .simcom: "+CIEV: \"SMSFULL\",1"
        case .sim7600, .generic: nil
        }
    }
}
