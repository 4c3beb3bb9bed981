import Foundation
@testable import Records

/// A fresh directory under the system temporary folder, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init(_ label: String = "records") {
        path = NSTemporaryDirectory() + "smsagent-\(label)-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: file(name)))
    }

    func read(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: file(name))), as: UTF8.self)
    }

    func list(_ name: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: file(name))) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    func mode(_ name: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: file(name)))?[.posixPermissions] as? Int) ?? -1
    }
}

extension Date {
    /// A fixed, readable test time: 2026-11-29T10:00:00Z plus `seconds`.
    static func fixed(_ seconds: TimeInterval = 0) -> Date { Date(timeIntervalSince1970: 1_795_946_400 + seconds) }
}
