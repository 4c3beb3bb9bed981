/// The human-readable form of a discovery result (`smsagent discover`).
public enum DiscoveryTable {
    public static func render(_ snapshot: DiscoverySnapshot) -> String {
        var out = ""
        if snapshot.modems.isEmpty {
            out += "No USB modem found.\n"
        }
        for (number, modem) in snapshot.modems.enumerated() {
            var names = [modem.manufacturer, modem.product].compactMap { $0 }
            if names.count == 2 && names[0] == names[1] { names.removeLast() }
            let name = names.joined(separator: " ")
            out += "Modem \(number + 1): \(name.isEmpty ? "USB device" : name) (\(modem.vendorID):\(modem.productID))"
            if let layout = modem.layout { out += " — layout \(layout)" }
            out += "\n"
            out += "  key:     \(modem.stableKey)\n"
            if let fingerprint = modem.fingerprint {
                let parts = [fingerprint.model.map { "model \($0)" }, fingerprint.imsi.map { "IMSI \($0)" },
                             fingerprint.iccid.map { "ICCID \($0)" }].compactMap { $0 }
                if !parts.isEmpty { out += "  ident:   \(parts.joined(separator: ", "))\n" }
            }
            out += "  AT port: \(modem.atPort ?? "none") — \(modem.reason)\n"
            let rows = modem.ports.map { port in
                [port.devnode, port.interfaceNumber.map(String.init) ?? "-", port.driver ?? "-", port.role.rawValue,
                 port.reason]
            }
            out += table(header: ["PORT", "IF", "DRIVER", "ROLE", "WHY"], rows: rows, indent: "  ")
        }
        for device in snapshot.ignored {
            out += "Ignored: \(device.devnodes.joined(separator: ", ")) (\(device.vendorID):\(device.productID)"
            if let product = device.product { out += " \(product)" }
            out += ") — \(device.reason)\n"
        }
        return out
    }

    static func table(header: [String], rows: [[String]], indent: String) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            var text = indent
            for (i, cell) in cells.enumerated() {
                let isLast = i == cells.count - 1
                text += isLast ? cell : cell + String(repeating: " ", count: widths[i] - cell.count + 2)
            }
            return text + "\n"
        }
        return line(header) + rows.map(line).joined()
    }
}
