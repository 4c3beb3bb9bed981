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
    /// Wavecom Fastrack / Multiband (Q2406, Q24 firmwares): `AT+CPIN?` answers `+CPIN: …` and never
    /// a final result; identity answers carry a leading space; `AT+CPMS` refuses three storages (two
    /// work); every command answers `+CME ERROR: 515` (busy) for a few seconds after `AT+CFUN=1`
    /// and after a reset; `AT+CCID`, `AT+CPINC` counters.
    case wavecom
    /// Qualcomm M6280 based sticks (ZTE MF/K series): until the PIN is entered every command but
    /// `AT+CPIN` (and its `AT+CPINR` counters) answers `+CME ERROR: 11` (numeric errors from power-on), `AT+CSCA?` answers
    /// `+CME ERROR: 14` (SIM busy) for a while after the unlock. The SIM starts locked with PIN
    /// 1234 unless the configuration gives another PIN.
    case qualcommPinFirst = "qualcomm-pin-first"
    /// A phone used as a modem (Nokia N79 and similar): sending works, but there is no SMS storage
    /// over AT (`AT+CPMS?` → `+CPMS: ,,,,,,,,`, `AT+CPMS=…` refused), every `AT+CNMI` is refused and
    /// received messages stay in the phone's own inbox, out of the host's reach.
    case nokiaPhone = "nokia-phone"

    /// One line for `--help` and the README.
    public var summary: String {
        switch self {
        case .generic: "strict 27.005/27.007, +CPINR, +CRSM ICCID, PDU only"
        case .huawei: "E3372/E1752: ^RSSI noise, ^ICCID, ^CPIN, COMMAND NOT SUPPORT"
        case .simcom: "SIM800: RDY/Call Ready/SMS Ready, +CCID, +SPIC, 2G, slow CMGS"
        case .sim7600: "SIM7600: RDY/SMS DONE/PB DONE, +CICCID, +SPIC, LTE, index 0"
        case .quectel: "EC25: RDY/+QIND, +QCCID, +QPINC, index 0"
        case .wavecom: "Fastrack: +CPIN? without OK, leading spaces, 2-storage CPMS, CME 515 after CFUN"
        case .qualcommPinFirst: "M6280/ZTE: CME 11 to all but AT+CPIN until the PIN, CSCA busy (CME 14)"
        case .nokiaPhone: "phone as modem: no SMS storage over AT, no CNMI, inbound unreadable"
        }
    }

    var manufacturer: String {
        switch self {
        case .generic: "SMSAGENT"
        case .huawei: "huawei"
        case .simcom: "SIMCOM_Ltd"
        case .sim7600: "SIMCOM INCORPORATED"
        case .quectel: "Quectel"
        case .wavecom: "WAVECOM MODEM"
        case .qualcommPinFirst: "ZTE CORPORATION"
        case .nokiaPhone: "Nokia"
        }
    }

    var model: String {
        switch self {
        case .generic: "SIMULATED-27005"
        case .huawei: "E3372"
        case .simcom: "SIMCOM_SIM800L"
        case .sim7600: "SIMCOM_SIM7600E-H"
        case .quectel: "EC25"
        case .wavecom: "MULTIBAND  900E  1800"
        case .qualcommPinFirst: "MF626"
        case .nokiaPhone: "Nokia N79"
        }
    }

    var revision: String {
        switch self {
        case .generic: "1.0.0"
        case .huawei: "22.315.01.00.00"
        case .simcom: "Revision:1418B04SIM800L24"
        case .sim7600: "LE20B04SIM7600M22"
        case .quectel: "EC25EFAR06A06M4G"
        case .wavecom: "R7.46.0.201108091301.FXT002 2053916 080911 13:01"
        case .qualcommPinFirst: "BD_TMOP673M3V1.0.1B03"
        case .nokiaPhone: "V 31.0.008"
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
        case .wavecom: "012345678901237"
        case .qualcommPinFirst: "358709010000002"
        case .nokiaPhone: "356495020000008"
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
        case .wavecom: [" WAVECOM MODEM", " \(model)"]
        case .qualcommPinFirst: ["Manufacturer: \(manufacturer)", "Model: \(model)", "Revision: \(revision)", "IMEI: \(imei)"]
        case .nokiaPhone: ["Nokia"]
        }
    }

    /// URCs after power-on (SIM800 manual "RDY", "Call Ready", "SMS Ready"; EC25 manual "RDY", "+QIND").
    func bootURCs(simLocked: Bool) -> [String] {
        let cpin = simLocked ? "+CPIN: SIM PIN" : "+CPIN: READY"
        switch self {
        case .generic, .wavecom, .qualcommPinFirst, .nokiaPhone: return []
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
        case .generic, .wavecom, .qualcommPinFirst, .nokiaPhone: []
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
    var supportsEPS: Bool { self != .simcom && self != .wavecom }
    /// `<AcT>` in `+COPS?`/`+CREG` (TS 27.007 §7.3): 7 = E-UTRAN, nil = a 2G module that omits it.
    var accessTechnology: Int? {
        switch self {
        case .simcom, .wavecom: nil
        case .qualcommPinFirst, .nokiaPhone: 2
        default: 7
        }
    }
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
        case .sim7600, .generic, .wavecom, .qualcommPinFirst, .nokiaPhone: nil
        }
    }

    /// The SIM's PIN `SimulatedDialect` gives when the configuration gives none: the PIN-first quirk
    /// shows only on a locked SIM. (A `SimulatedModem` built directly takes the configuration as is.)
    var defaultPIN: String? { self == .qualcommPinFirst ? "1234" : nil }

    /// Wavecom: every command answers `+CME ERROR: 515` for this long after `AT+CFUN=1` or a reset.
    var busyAfterFunctionality: Duration? { self == .wavecom ? .seconds(3) : nil }

    /// Qualcomm M6280: `AT+CSCA?` answers `+CME ERROR: 14` for this long after the PIN is accepted.
    var serviceCentreBusyAfterUnlock: Duration? { self == .qualcommPinFirst ? .seconds(2) : nil }

    /// `+CMEE` after power-on: the PIN-first sticks report numeric errors before anything is set.
    var defaultCMEE: Int { self == .qualcommPinFirst ? 1 : 0 }

    /// Identity answers (`+CGMI`, `+CGMM`, `+CGMR`, `+CGSN`) with a leading space, as Wavecom prints them.
    var identityLeadingSpace: Bool { self == .wavecom }

    /// No SMS storage reachable over AT and no `+CNMI`: a phone used as a modem.
    var hasSMSStorage: Bool { self != .nokiaPhone }
}
