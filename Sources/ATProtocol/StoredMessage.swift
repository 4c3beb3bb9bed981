/// A message in the modem's storage, from `+CMGL`/`+CMGR` in PDU mode (TS 27.005 §3.4.2, §3.4.3).
public struct StoredMessage: Sendable, Hashable, Codable {
    /// `<stat>` in PDU mode (TS 27.005 §3.1).
    public enum Status: Int, Sendable, Hashable, Codable {
        case receivedUnread = 0, receivedRead = 1, storedUnsent = 2, storedSent = 3
    }

    /// `<index>` in the storage; for `+CMGR` the index that was read.
    public var index: Int
    public var status: Status
    /// `<length>`: TPDU length in octets (without the SMSC field).
    public var length: Int
    /// The PDU in hex exactly as the modem gave it (SMSC field first).
    public var pduHex: String

    public init(index: Int, status: Status, length: Int, pduHex: String) {
        self.index = index
        self.status = status
        self.length = length
        self.pduHex = pduHex
    }

    /// Parses the answer to `AT+CMGL=<stat>`: pairs of `+CMGL: <index>,<stat>,[<alpha>],<length>` and a
    /// PDU line. Entries whose header is malformed or whose PDU line is missing are returned in `rejected`.
    public static func parseList(_ lines: [String]) -> (messages: [StoredMessage], rejected: [String]) {
        var messages: [StoredMessage] = []
        var rejected: [String] = []
        var i = 0
        while i < lines.count {
            let line = lines[i]
            guard let fields = ATFields.fields(of: line, prefix: "+CMGL") else {
                rejected.append(line)
                i += 1
                continue
            }
            guard fields.count >= 3, let index = fields[0].int, let rawStatus = fields[1].int,
                  let status = Status(rawValue: rawStatus), let length = fields[fields.count - 1].int,
                  i + 1 < lines.count, isHexPDU(lines[i + 1]) else {
                rejected.append(line)
                i += 1
                continue
            }
            messages.append(StoredMessage(index: index, status: status, length: length, pduHex: lines[i + 1]))
            i += 2
        }
        return (messages, rejected)
    }

    /// Parses the answer to `AT+CMGR=<index>`: `+CMGR: <stat>,[<alpha>],<length>` and a PDU line.
    /// nil when the slot is empty (some modems answer a bare `OK`) or the answer is malformed.
    public static func parseRead(_ lines: [String], index: Int) -> StoredMessage? {
        guard let header = lines.firstIndex(where: { ATFields.fields(of: $0, prefix: "+CMGR") != nil }),
              let fields = ATFields.fields(of: lines[header], prefix: "+CMGR"), fields.count >= 2,
              let rawStatus = fields[0].int, let status = Status(rawValue: rawStatus),
              let length = fields[fields.count - 1].int,
              header + 1 < lines.count, isHexPDU(lines[header + 1]) else { return nil }
        return StoredMessage(index: index, status: status, length: length, pduHex: lines[header + 1])
    }

    static func isHexPDU(_ line: String) -> Bool {
        !line.isEmpty && line.utf8.count % 2 == 0 && line.utf8.allSatisfy(\.isHexDigit)
    }
}

/// Memory usage from `+CPMS` (TS 27.005 §3.2.2).
public struct StorageUsage: Sendable, Hashable, Codable {
    public struct Memory: Sendable, Hashable, Codable {
        /// `"SM"`, `"ME"`, `"MT"` …; nil in the answer to a set command, which omits names.
        public var storage: String?
        public var used: Int
        public var total: Int
        public var free: Int { max(0, total - used) }

        public init(storage: String?, used: Int, total: Int) {
            self.storage = storage
            self.used = used
            self.total = total
        }
    }

    /// `<mem1>`: where messages are read and deleted (what `+CMGL` lists).
    public var read: Memory
    /// `<mem2>`: where messages are written.
    public var write: Memory?
    /// `<mem3>`: where received messages are stored.
    public var receive: Memory?

    public init(read: Memory, write: Memory?, receive: Memory?) {
        self.read = read
        self.write = write
        self.receive = receive
    }

    /// Parses `+CPMS: "SM",3,30,"SM",3,30,"SM",3,30` (read command) or `+CPMS: 3,30,3,30,3,30` (set).
    public static func parse(_ line: String) -> StorageUsage? {
        guard let fields = ATFields.fields(of: line, prefix: "+CPMS"), !fields.isEmpty else { return nil }
        var memories: [Memory] = []
        var i = 0
        while i < fields.count {
            if fields[i].int == nil {
                guard i + 2 < fields.count, let used = fields[i + 1].int, let total = fields[i + 2].int else { return nil }
                memories.append(Memory(storage: fields[i].value, used: used, total: total))
                i += 3
            } else {
                guard i + 1 < fields.count, let used = fields[i].int, let total = fields[i + 1].int else { return nil }
                memories.append(Memory(storage: nil, used: used, total: total))
                i += 2
            }
        }
        guard let first = memories.first else { return nil }
        return StorageUsage(read: first, write: memories.count > 1 ? memories[1] : nil,
                            receive: memories.count > 2 ? memories[2] : nil)
    }
}

extension UInt8 {
    var isHexDigit: Bool { (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self) }
}
