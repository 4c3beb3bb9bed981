/// The one table of `+CME ERROR` and `+CMS ERROR` codes and their meanings.
///
/// CME: TS 27.007 §9.2.1 (general) and §9.2.2 (GPRS/EPS). CMS: TS 27.005 §3.2.5, whose values 0–127
/// are the RP-cause values of TS 24.011 §E.2 and 128–255 the TP-FCS values of TS 23.040 §9.2.3.22.
public enum ATErrorCatalogue {
    public enum Table: Sendable { case cme, cms }

    /// The meaning of a code, or "unknown error <n>" when the table does not know it (vendor range).
    public static func meaning(of code: Int, in table: Table) -> String {
        let entries = table == .cme ? cme : cms
        if let meaning = entries[code] { return meaning }
        if table == .cms, (1...127).contains(code) { return "network error (RP cause \(code))" }
        return "unknown error \(code)"
    }

    /// The code of a verbose error text (`AT+CMEE=2`), matched case-insensitively.
    public static func code(forMeaning text: String, in table: Table) -> Int? {
        let wanted = text.lowercased()
        let entries = table == .cme ? cme : cms
        return entries.first { $0.value.lowercased() == wanted }?.key
    }

    /// True when the error is worth retrying later as is (network congestion, SIM busy, timeouts),
    /// false when retrying the same request cannot succeed (bad number, barred, invalid PDU).
    public static func isTemporary(_ code: Int, in table: Table) -> Bool {
        switch table {
        case .cme: [14, 30, 31, 100, 515].contains(code)
        case .cms: [38, 41, 42, 47, 192, 194, 212, 314, 331, 332, 500, 512, 513, 514, 515].contains(code)
        }
    }

    static let cme: [Int: String] = [
        0: "phone failure",
        1: "no connection to phone",
        2: "phone-adaptor link reserved",
        3: "operation not allowed",
        4: "operation not supported",
        5: "PH-SIM PIN required",
        6: "PH-FSIM PIN required",
        7: "PH-FSIM PUK required",
        10: "SIM not inserted",
        11: "SIM PIN required",
        12: "SIM PUK required",
        13: "SIM failure",
        14: "SIM busy",
        15: "SIM wrong",
        16: "incorrect password",
        17: "SIM PIN2 required",
        18: "SIM PUK2 required",
        20: "memory full",
        21: "invalid index",
        22: "not found",
        23: "memory failure",
        24: "text string too long",
        25: "invalid characters in text string",
        26: "dial string too long",
        27: "invalid characters in dial string",
        30: "no network service",
        31: "network timeout",
        32: "network not allowed - emergency calls only",
        40: "network personalization PIN required",
        41: "network personalization PUK required",
        42: "network subset personalization PIN required",
        43: "network subset personalization PUK required",
        44: "service provider personalization PIN required",
        45: "service provider personalization PUK required",
        46: "corporate personalization PIN required",
        47: "corporate personalization PUK required",
        48: "hidden key required",
        49: "EAP method not supported",
        50: "incorrect parameters",
        51: "command implemented but currently disabled",
        52: "command aborted by user",
        53: "not attached to network due to MT functionality restrictions",
        54: "modem not allowed - MT restricted to emergency calls only",
        55: "operation not allowed because of MT functionality restrictions",
        56: "fixed dial number only allowed",
        57: "temporarily out of service due to other MT usage",
        58: "language/alphabet not supported",
        59: "unexpected data value",
        60: "system failure",
        61: "data missing",
        62: "call barred",
        63: "message waiting indication subscription failure",
        100: "unknown",
        103: "illegal MS",
        106: "illegal ME",
        107: "GPRS services not allowed",
        108: "GPRS services and non-GPRS services not allowed",
        111: "PLMN not allowed",
        112: "location area not allowed",
        113: "roaming not allowed in this location area",
        114: "GPRS services not allowed in this PLMN",
        115: "no suitable cells in location area",
        122: "congestion",
        132: "service option not supported",
        133: "requested service option not subscribed",
        134: "service option temporarily out of order",
        148: "unspecified GPRS error",
        149: "PDP authentication failure",
        150: "invalid mobile class",
        // Vendor codes above the 27.007 range that modems in the field send.
        515: "please wait, init or command processing in progress",
    ]

    static let cms: [Int: String] = [
        1: "unassigned (unallocated) number",
        8: "operator determined barring",
        10: "call barred",
        17: "network failure",
        21: "short message transfer rejected",
        22: "memory capacity exceeded",
        27: "destination out of service",
        28: "unidentified subscriber",
        29: "facility rejected",
        30: "unknown subscriber",
        38: "network out of order",
        41: "temporary failure",
        42: "congestion",
        47: "resources unavailable, unspecified",
        50: "requested facility not subscribed",
        69: "requested facility not implemented",
        81: "invalid short message transfer reference value",
        95: "invalid message, unspecified",
        96: "invalid mandatory information",
        97: "message type non-existent or not implemented",
        98: "message not compatible with short message protocol state",
        99: "information element non-existent or not implemented",
        111: "protocol error, unspecified",
        127: "interworking, unspecified",
        128: "telematic interworking not supported",
        129: "short message type 0 not supported",
        130: "cannot replace short message",
        143: "unspecified TP-PID error",
        144: "data coding scheme (alphabet) not supported",
        145: "message class not supported",
        159: "unspecified TP-DCS error",
        160: "command cannot be actioned",
        161: "command unsupported",
        175: "unspecified TP-Command error",
        176: "TPDU not supported",
        192: "SC busy",
        193: "no SC subscription",
        194: "SC system failure",
        195: "invalid SME address",
        196: "destination SME barred",
        197: "SM rejected-duplicate SM",
        198: "TP-VPF not supported",
        199: "TP-VP not supported",
        208: "(U)SIM SMS storage full",
        209: "no SMS storage capability in (U)SIM",
        210: "error in MS",
        211: "memory capacity exceeded",
        212: "(U)SIM application toolkit busy",
        213: "(U)SIM data download error",
        255: "unspecified error cause",
        300: "ME failure",
        301: "SMS service of ME reserved",
        302: "operation not allowed",
        303: "operation not supported",
        304: "invalid PDU mode parameter",
        305: "invalid text mode parameter",
        310: "(U)SIM not inserted",
        311: "(U)SIM PIN required",
        312: "PH-(U)SIM PIN required",
        313: "(U)SIM failure",
        314: "(U)SIM busy",
        315: "(U)SIM wrong",
        316: "(U)SIM PUK required",
        317: "(U)SIM PIN2 required",
        318: "(U)SIM PUK2 required",
        320: "memory failure",
        321: "invalid memory index",
        322: "memory full",
        330: "SMSC address unknown",
        331: "no network service",
        332: "network timeout",
        340: "no +CNMA acknowledgement expected",
        500: "unknown error",
    ]
}
