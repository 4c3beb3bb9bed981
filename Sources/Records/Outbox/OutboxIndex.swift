#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What the agent knows of the claimable spool (`outbox/queued/` and the drop box `outbox/new/`)
/// without listing it: every file name once, the ones not yet known to be held in a heap by name
/// (the claim order: oldest first, our ids sort by time), the held ones in a heap by
/// `not_before`. A claim costs O(log n) however deep the queue, instead of a listing and a sort of
/// the folder per message (issue 11).
///
/// Fed by one listing (`rebuild`) and then by what happens: the spool's own moves, and inotify
/// events for what other programs drop in (`FileOutbox`). The heaps may hold stale entries (a
/// name taken meanwhile, a held time changed); `places` is the truth and stale entries are
/// skipped when they come up.
struct OutboxIndex {
    struct Key: Hashable, Comparable {
        var name: String
        var folder: OutboxFolder

        static func < (a: Key, b: Key) -> Bool {
            a.name != b.name ? a.name < b.name : a.folder.rawValue < b.folder.rawValue
        }
    }

    enum Place: Equatable {
        /// To be read at the next claim (its `not_before`, if any, is not known yet).
        case ready
        /// Read: not to be claimed before this time.
        case held(Date)
    }

    private struct HeldEntry: Comparable {
        var until: Date
        var key: Key
        static func < (a: HeldEntry, b: HeldEntry) -> Bool { a.until != b.until ? a.until < b.until : a.key < b.key }
    }

    private(set) var places: [Key: Place] = [:]
    private var ready = MinHeap<Key>()
    private var held = MinHeap<HeldEntry>()

    var count: Int { places.count }

    /// A file that is there (listed, or an event said so): ready unless already known as held
    /// (a name met again is read again only when `reread`, e.g. a file renamed over it).
    mutating func insert(_ key: Key, reread: Bool = false) {
        if let place = places[key], place == .ready || !reread { return }
        places[key] = .ready
        ready.push(key)
    }

    mutating func hold(_ key: Key, until: Date) {
        places[key] = .held(until)
        held.push(HeldEntry(until: until, key: key))
    }

    mutating func remove(_ key: Key) {
        places[key] = nil
    }

    /// Replaces the index with the files of a listing, keeping what was learnt of those still there.
    mutating func rebuild(_ keys: [Key]) {
        var fresh: [Key: Place] = [:]
        fresh.reserveCapacity(keys.count)
        for key in keys { fresh[key] = places[key] ?? .ready }
        places = fresh
        ready = MinHeap(fresh.compactMap { $0.value == .ready ? $0.key : nil })
        held = MinHeap(fresh.compactMap { key, place in
            if case let .held(until) = place { return HeldEntry(until: until, key: key) }
            return nil
        })
    }

    /// The first file by name to read for a claim at `now`: held files whose time has come are
    /// ready again first. Removes nothing: the caller says what became of it.
    mutating func next(now: Date) -> Key? {
        while let top = held.peek, top.until <= now {
            held.pop()
            guard places[top.key] == .held(top.until) else { continue }
            places[top.key] = .ready
            ready.push(top.key)
        }
        while let top = ready.peek {
            guard places[top] == .ready else {
                ready.pop()
                continue
            }
            return top
        }
        return nil
    }

    /// Takes `key` off the ready heap once the caller decided what it is (claimed, held, gone).
    mutating func settle(_ key: Key) {
        if ready.peek == key { ready.pop() }
    }

    /// The earliest time a held file becomes claimable.
    mutating func earliestHeldUntil() -> Date? {
        while let top = held.peek {
            if places[top.key] == .held(top.until) { return top.until }
            held.pop()
        }
        return nil
    }
}

/// A binary min-heap.
struct MinHeap<Element: Comparable> {
    private var items: [Element] = []

    init() {}

    init(_ elements: [Element]) {
        items = elements
        var index = items.count / 2 - 1
        while index >= 0 {
            siftDown(index)
            index -= 1
        }
    }

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var peek: Element? { items.first }

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        siftDown(0)
        return top
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < items.count else { return }
            var smallest = left
            if left + 1 < items.count, items[left + 1] < items[left] { smallest = left + 1 }
            guard items[smallest] < items[parent] else { return }
            items.swapAt(smallest, parent)
            parent = smallest
        }
    }
}

/// inotify on the claimable folders (`new/`, `queued/`), read without blocking whenever the
/// index is brought up to date: what arrived (renamed in, written in place, linked) since the
/// last look. Departures are not followed: a name that left is found gone when its turn comes.
final class SpoolWatch {
    enum Event {
        case added(name: String, folder: OutboxFolder)
        /// The kernel dropped events: list the folders again.
        case overflow
        /// A watched folder went away.
        case stopped
    }

    private let fd: Int32
    private var folders: [Int32: OutboxFolder] = [:]
    private(set) var stopped = false

    init(folders watched: [(path: String, folder: OutboxFolder)]) throws {
        fd = try FileSystem.call("inotify_init1", watched.first?.path ?? "outbox") { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
        do {
            for (path, folder) in watched {
                let wd = try FileSystem.call("inotify_add_watch", path) {
                    inotify_add_watch(fd, path, UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_ONLYDIR))
                }
                folders[wd] = folder
            }
        } catch {
            FileSystem.close(fd)
            throw error
        }
    }

    deinit { FileSystem.close(fd) }

    /// Hands every pending event to `body`, in the order they happened.
    func drain(_ body: (Event) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { raw in Glibc.read(fd, raw.baseAddress, raw.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return   // EAGAIN: nothing more
            }
            if n == 0 { return }
            var offset = 0
            while offset + 16 <= n {
                let (wd, mask, length) = buffer.withUnsafeBytes { raw in
                    (raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                     raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                     Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)))
                }
                let nameBytes = buffer[(offset + 16)..<min(n, offset + 16 + length)].prefix { $0 != 0 }
                if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    body(.overflow)
                } else if mask & UInt32(IN_IGNORED) != 0 {
                    stopped = true
                    body(.stopped)
                } else if let folder = folders[wd], !nameBytes.isEmpty,
                          mask & UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) != 0 {
                    body(.added(name: String(decoding: nameBytes, as: UTF8.self), folder: folder))
                }
                offset += 16 + length
            }
        }
    }
}
