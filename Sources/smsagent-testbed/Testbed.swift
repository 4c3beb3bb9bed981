import CUmockdev
#if canImport(Glibc)
import Glibc
#endif

struct TestbedError: Error, CustomStringConvertible {
    var description: String
}

/// Owns one umockdev testbed (a private fake /sys and /dev). Only meaningful when this process runs
/// under `umockdev-wrapper` (the preload redirects libudev, /sys and /dev into the testbed).
final class Testbed {
    private let handle: UnsafeMutablePointer<UMockdevTestbed>

    init() throws {
        // umockdev_in_mock_environment() answers 0 before a testbed exists; check the preload itself.
        let preload = getenv("LD_PRELOAD").map { String(cString: $0) } ?? ""
        guard preload.contains("libumockdev-preload") else {
            throw TestbedError(description: "smsagent-testbed must run under umockdev-wrapper (LD_PRELOAD=libumockdev-preload.so.0)")
        }
        guard let handle = umockdev_testbed_new() else { throw TestbedError(description: "umockdev_testbed_new failed") }
        self.handle = handle
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(handle)) }

    /// The testbed root (`$UMOCKDEV_DIR`).
    var root: String {
        guard let raw = umockdev_testbed_get_root_dir(handle) else { return "" }
        defer { g_free(raw) }
        return String(cString: raw)
    }

    /// Adds devices described in umockdev's text format (sends "add" uevents under the preload).
    func add(_ description: String) throws {
        var error: UnsafeMutablePointer<GError>?
        let ok = umockdev_testbed_add_from_string(handle, description, &error)
        if ok == 0 {
            let message = error.flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "unknown error"
            if let error { g_error_free(error) }
            throw TestbedError(description: "umockdev_testbed_add_from_string: \(message)")
        }
    }

    /// The master side of the pty backing an emulated tty (`/dev/ttyUSB2`).
    func masterFD(devnode: String) throws -> Int32 {
        let fd = umockdev_testbed_get_dev_fd(handle, devnode)
        guard fd >= 0 else { throw TestbedError(description: "no emulated node \(devnode)") }
        return fd
    }

    func uevent(_ syspath: String, _ action: String) {
        umockdev_testbed_uevent(handle, syspath, action)
    }

    /// Unplugs devices: "remove" uevents deepest first, then removes them (umockdev 0.17 sends no
    /// event from remove_device and leaves children behind).
    func unplug(_ syspaths: [String]) {
        let deepestFirst = syspaths.sorted { $0.count > $1.count }
        for path in deepestFirst { uevent(path, "remove") }
        for path in deepestFirst { umockdev_testbed_remove_device(handle, path) }
    }

    /// True once a libudev monitor has bound its socket in the testbed.
    var monitorBound: Bool {
        guard let dir = opendir(root) else { return false }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix("event") { return true }
        }
        return false
    }
}
