import Discovery
import Foundation
import Testing

/// Static checks of `udev/78-smsagent.rules` (udevadm is not installed in CI; `udevadm test` was run
/// by hand on systemd 252, see udev/README.md): the syntax udev accepts, labels that exist, and
/// AT-port choices that agree with the layout table discovery uses.
@Suite("udev rules file")
struct UdevRulesTests {
    static func rules() throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("udev/78-smsagent.rules"), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("#") }
    }

    /// `KEY`, `KEY{name}`, then an operator, then a double-quoted value.
    static func isAssignment(_ part: String) -> Bool {
        part.wholeMatch(of: /^\s*([A-Z]+)(\{[^}]+\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*$/) != nil
    }

    @Test("every rule is a comma-separated list of KEY op \"value\"")
    func syntax() throws {
        for line in try Self.rules() {
            for part in line.split(separator: ",") {
                #expect(Self.isAssignment(String(part)), "bad rule part: \(part) in: \(line)")
            }
        }
    }

    @Test("every GOTO has its LABEL")
    func labels() throws {
        let lines = try Self.rules()
        let labels = Set(lines.compactMap { $0.firstMatch(of: /LABEL="([^"]+)"/).map { String($0.1) } })
        let gotos = Set(lines.compactMap { $0.firstMatch(of: /GOTO="([^"]+)"/).map { String($0.1) } })
        #expect(!gotos.isEmpty)
        #expect(gotos.isSubset(of: labels), "missing labels: \(gotos.subtracting(labels))")
    }

    @Test("the AT interface each rule names is the AT interface of the layout table")
    func agreesWithLayoutTable() throws {
        var checked = 0
        for line in try Self.rules() where line.contains(#"ENV{SMSAGENT_PORT}="at""#) {
            guard let vid = line.firstMatch(of: /ENV\{\.SMSAGENT_VID\}=="([0-9a-f]{4})"/)?.1,
                  let ifnum = line.firstMatch(of: /ENV\{\.SMSAGENT_IFNUM\}=="([0-9a-f]{2})"/)?.1,
                  let interface = Int(ifnum, radix: 16) else { continue }
            let products = line.firstMatch(of: /ENV\{\.SMSAGENT_PID\}=="([0-9a-f|]+)"/).map {
                $0.1.split(separator: "|").map(String.init)
            } ?? ["any"]
            for product in products {
                let layout = try #require(VendorLayoutTable.builtIn.layout(vendorID: String(vid), productID: product),
                                          "no layout for \(vid):\(product)")
                #expect(layout.interfaces[interface] == .at, "\(vid):\(product) if\(ifnum) is \(String(describing: layout.interfaces[interface])) in \(layout.name)")
                checked += 1
            }
        }
        #expect(checked >= 20)
    }

    @Test("USB-serial converter vendors are excluded before any modem rule")
    func adaptersExcludedFirst() throws {
        let lines = try Self.rules()
        let exclusion = try #require(lines.firstIndex { $0.contains(#"ENV{.SMSAGENT_VID}=="0403|10c4|067b|1a86""#) })
        let firstModem = try #require(lines.firstIndex { $0.contains(#"ENV{SMSAGENT_MODEM}="1""#) })
        #expect(exclusion < firstModem)
        #expect(lines[exclusion].contains(#"GOTO="smsagent_end""#))
    }
}
