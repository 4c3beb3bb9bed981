import Foundation
import Logging
import ModemKit
import Simulator
import Testing

/// How the engine reaches the simulator: the in-memory transport, or a real pseudo-terminal opened
/// with `SerialTransport` (the serial path: exclusive open, termios, poll reader thread).
enum Link: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory, pty
    var testDescription: String { rawValue }
}

/// Every simulator profile over both links.
/// Every profile whose SMS storage the host can read (not `nokia-phone`, a phone that keeps its
/// messages to itself: `DialectSetupTests` covers it).
let storageProfiles: [ModemProfile] = ModemProfile.allCases.filter { $0 != .nokiaPhone }

/// Every such profile over both links.
let everyProfileAndLink: [(ModemProfile, Link)] = storageProfiles.flatMap { profile in Link.allCases.map { (profile, $0) } }

extension ModemOptions {
    /// Short timeouts: the simulator answers at once, so only fault tests ever wait for them.
    static func testing(timeout: Duration = .seconds(3)) -> ModemOptions {
        var options = ModemOptions()
        options.commandTimeout = timeout
        options.promptTimeout = timeout
        options.sendTimeout = timeout
        options.listTimeout = timeout
        options.pinTimeout = timeout
        options.simReadyTimeout = .seconds(5)
        return options
    }
}

/// A simulated modem and a `Modem` talking to it.
struct Bench {
    let simulator: SimulatedModem
    let modem: Modem
    let link: Link

    static func make(_ profile: ModemProfile, _ link: Link, options: ModemOptions = .testing(),
                     wrap: (any ByteTransport, SimulatedModem) -> any ByteTransport = { transport, _ in transport },
                     configure: (inout SimulatorConfiguration) -> Void = { _ in }) async throws -> Bench {
        var configuration = SimulatorConfiguration.fast
        configure(&configuration)
        let simulator = SimulatedModem(profile: profile, configuration: configuration)
        let transport: any ByteTransport
        switch link {
        case .memory:
            transport = await simulator.connectInMemory()
        case .pty:
            let path = try await simulator.openPseudoTerminal()
            transport = try SerialTransport.open(path: path)
        }
        var logger = Logger(label: "test.modem")
        logger.logLevel = .critical
        return Bench(simulator: simulator, modem: Modem(transport: wrap(transport, simulator), options: options, logger: logger), link: link)
    }

    /// A bench whose modem is initialised (and unlocked when `pin` is given).
    static func ready(_ profile: ModemProfile, _ link: Link, options: ModemOptions = .testing(),
                      wrap: (any ByteTransport, SimulatedModem) -> any ByteTransport = { transport, _ in transport },
                      configure: (inout SimulatorConfiguration) -> Void = { _ in }) async throws -> Bench {
        let bench = try await make(profile, link, options: options, wrap: wrap, configure: configure)
        try await bench.modem.initialise()
        return bench
    }

    func tearDown() async {
        await modem.close()
        await simulator.shutdown()
    }
}

/// Waits (on events, not time) for the first URC matching `predicate`; fails after `timeout`.
func firstEvent(on modem: Modem, timeout: Duration = .seconds(5),
                where predicate: @escaping @Sendable (UnsolicitedResult) -> Bool) async -> UnsolicitedResult? {
    await withTaskGroup(of: UnsolicitedResult?.self) { group in
        group.addTask {
            for await event in modem.unsolicited where predicate(event) { return event }
            return nil
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
