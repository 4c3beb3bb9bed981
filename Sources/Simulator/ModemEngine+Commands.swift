import Foundation

extension ModemEngine {
    /// Dispatches one parsed command (V.250 basic commands, TS 27.007 and TS 27.005 extended ones,
    /// and the profile's vendor commands).
    mutating func execute(_ c: ATCommand) -> CommandResult {
        switch c.name {
        // V.250 basic commands.
        case "E": return setFlag(c) { $0.echo = $1 }
        case "V": return setFlag(c) { $0.verbose = $1 }
        case "Q": return setFlag(c) { $0.quiet = $1 }
        case "Z", "&F":
            let keepSIM = sim
            powerCycle()
            sim = keepSIM
            return .ok([])
        case "&W", "&C", "&D", "X", "L", "M": return .ok([])
        case "I": return .ok(profile.identification(imei: imei))
        case "D": return .failed(.cme(4))
        case "S0", "S3", "S4", "S5", "S7":
            return c.form == .read ? .ok([["S0": "000", "S3": "013", "S4": "010", "S5": "008", "S7": "060"][c.name] ?? "000"]) : .ok([])
        case "+GCAP": return .ok(["+GCAP: +CGSM"])

        // TS 27.007 identification (§5).
        case "+CGMI", "+GMI": return identification(c, profile.manufacturer)
        case "+CGMM", "+GMM": return identification(c, profile.model)
        // The SIM7600 prefixes its revision (`+CGMR: LE20B04SIM7600M22`), as the SIM800 does in its own way.
        case "+CGMR", "+GMR": return identification(c, profile == .sim7600 ? "+CGMR: \(profile.revision)" : profile.revision)
        case "+CGSN", "+GSN": return identification(c, imei)
        case "+CIMI":
            if let failure = simFailureCME() { return .failed(failure) }
            return identification(c, configuration.imsi)
        case "+CMEE":
            return setting(c, range: 0...2, read: "+CMEE: \(cmee)", test: "+CMEE: (0-2)") { $0.cmee = $1 }
        case "+CSCS":
            if c.form == .read { return .ok(["+CSCS: \"IRA\""]) }
            if c.form == .test { return .ok(["+CSCS: (\"IRA\",\"GSM\",\"UCS2\")"]) }
            return .ok([])
        case "+CFUN": return functionalityCommand(c)
        case "+CPIN" where profile == .wavecom && c.form == .read:
            // Wavecom firmwares never end `AT+CPIN?` with a final result.
            if case .ok(let lines) = pinCommand(c) { return .informationOnly(lines) }
            return pinCommand(c)
        case "+CPIN": return pinCommand(c)
        case "+CPINC" where profile == .wavecom:
            return .ok(["+CPINC: \(pinRemaining),3,\(pukRemaining),10"])
        case "+CPINR" where profile == .generic || profile == .qualcommPinFirst: return pinRetries(c)
        case "^CPIN" where profile == .huawei:
            guard c.form == .read else { return .failed(.unknown) }
            return .ok(["^CPIN: \(simCodeText),\(sim == .puk ? pukRemaining : pinRemaining),\(pukRemaining),\(pinRemaining),10,3"])
        case "+SPIC" where profile == .simcom || profile == .sim7600:
            return .ok(["+SPIC: \(pinRemaining),\(pukRemaining),3,10"])
        case "+QPINC" where profile == .quectel:
            if c.form == .test { return .ok(["+QPINC: (\"SC\",\"P2\")"]) }
            if c.form == .set, c.arguments.first?.value.uppercased() == "P2" { return .ok(["+QPINC: \"P2\",3,10"]) }
            if c.form == .set, c.arguments.first?.value.uppercased() != "SC" { return .failed(.cme(50)) }
            return .ok(c.form == .read ? ["+QPINC: \"SC\",\(pinRemaining),\(pukRemaining)", "+QPINC: \"P2\",3,10"]
                                       : ["+QPINC: \"SC\",\(pinRemaining),\(pukRemaining)"])

        // ICCID, per family.
        case "+CCID" where profile == .wavecom:
            if sim == .absent { return .failed(.cme(10)) }
            return .ok(["+CCID: \"\(configuration.iccid)\""])
        case "+CCID" where profile == .simcom:
            if sim == .absent { return .failed(.cme(10)) }
            return .ok([configuration.iccid])
        case "+CICCID" where profile == .sim7600:
            if sim == .absent { return .failed(.cme(10)) }
            return .ok(["+ICCID: \(configuration.iccid)"])
        case "+QCCID" where profile == .quectel:
            if sim == .absent { return .failed(.cme(10)) }
            return .ok(["+QCCID: \(configuration.iccid)"])
        case "^ICCID" where profile == .huawei:
            if sim == .absent { return .failed(.cme(10)) }
            return .ok(["^ICCID: \(swappedICCID)"])
        case "+CRSM": return restrictedSIMAccess(c)

        // Network (TS 27.007 §7).
        case "+CREG": return registrationCommand(c, name: "+CREG", mode: \.cregMode)
        case "+CGREG": return registrationCommand(c, name: "+CGREG", mode: \.cgregMode)
        case "+CEREG" where profile.supportsEPS: return registrationCommand(c, name: "+CEREG", mode: \.ceregMode)
        case "+COPS": return operatorCommand(c)
        case "+CSQ":
            if c.form == .test { return .ok(["+CSQ: (0-31,99),(0-7,99)"]) }
            return .ok(["+CSQ: \(functionality == 1 ? signal : 99),99"])
        case "+CNUM":
            if let failure = simFailureCME() { return .failed(failure) }
            guard let own = configuration.ownNumber else { return .ok([]) }
            return .ok(["+CNUM: \"\",\"\(own)\",\(own.hasPrefix("+") ? 145 : 129)"])
        case "^CURC" where profile == .huawei:
            return setting(c, range: 0...1, read: "^CURC: \(vendorURCs ? 1 : 0)", test: "^CURC: (0-1)") { $0.vendorURCs = $1 == 1 }

        // SMS (TS 27.005 §3).
        case "+CSMS": return serviceCommand(c)
        case "+CMGF": return formatCommand(c)
        case "+CSCA": return serviceCentreCommand(c)
        case "+CPMS": return storageCommand(c)
        case "+CNMI": return indicationCommand(c)
        case "+CSDH", "+CSMP": return .ok([])
        case "+CNMA":
            guard csmsService == 1, awaitingAck else { return .failed(.cms(340)) }
            awaitingAck = false
            return .ok([])
        case "+CMGS": return sendCommand(c)
        case "+CMGW": return writeCommand(c)
        case "+CMGL": return listCommand(c)
        case "+CMGR": return readCommand(c)
        case "+CMGD": return deleteCommand(c)
        default:
            return c.name.isEmpty ? .ok([]) : .failed(.unknown)
        }
    }

    // MARK: helpers

    mutating func setFlag(_ c: ATCommand, _ apply: (inout ModemEngine, Bool) -> Void) -> CommandResult {
        let value = c.arguments.first?.int ?? 0
        guard value == 0 || value == 1 else { return .failed(.error) }
        apply(&self, value == 1)
        return .ok([])
    }

    func identification(_ c: ATCommand, _ value: String) -> CommandResult {
        c.form == .test ? .ok([]) : .ok([profile.identityLeadingSpace ? " " + value : value])
    }

    mutating func setting(_ c: ATCommand, range: ClosedRange<Int>, read: String, test: String,
                          _ apply: (inout ModemEngine, Int) -> Void) -> CommandResult {
        switch c.form {
        case .read: return .ok([read])
        case .test: return .ok([test])
        case .action: return .failed(.error)
        case .set:
            guard let value = c.arguments.first?.int, range.contains(value) else { return .failed(.cme(50)) }
            apply(&self, value)
            return .ok([])
        }
    }

    var simCodeText: String {
        switch sim {
        case .ready: "READY"
        case .pin: "SIM PIN"
        case .puk, .blocked: "SIM PUK"
        case .absent: "NOT INSERTED"
        }
    }

    /// CME error for a command that needs an unlocked SIM.
    func simFailureCME() -> ATFailure? {
        switch sim {
        case .ready: simBusy ? .cme(14) : nil
        case .pin: .cme(11)
        case .puk: .cme(12)
        case .absent: .cme(10)
        case .blocked: .cme(262)
        }
    }

    /// CMS error for an SMS command that needs an unlocked SIM (TS 27.005 §3.2.5).
    func simFailureCMS() -> ATFailure? {
        switch sim {
        case .ready: simBusy ? .cms(314) : nil
        case .pin: .cms(311)
        case .puk: .cms(316)
        case .absent: .cms(310)
        case .blocked: .cms(313)
        }
    }

    /// EF_ICCID as the SIM stores it: BCD with swapped nibbles, padded with F.
    var swappedICCID: String {
        SimulatorPDU.hex(SimulatorPDU.semiOctets(configuration.iccid))
    }

    /// `AT+CRSM=176,12258,0,0,10` reads EF_ICCID (TS 27.007 §8.18, TS 51.011 §10.1.1).
    func restrictedSIMAccess(_ c: ATCommand) -> CommandResult {
        guard c.form == .set else { return c.form == .test ? .ok([]) : .failed(.cme(50)) }
        if sim == .absent { return .failed(.cme(10)) }
        let args = c.arguments.map { $0.int ?? -1 }
        guard args.count >= 2, args[0] == 176 else { return .failed(.cme(4)) }
        guard args[1] == 12258 else { return .ok(["+CRSM: 106,130"]) }   // 6A82: file not found
        return .ok(["+CRSM: 144,0,\"\(swappedICCID)\""])
    }

    // MARK: functionality and PIN

    mutating func functionalityCommand(_ c: ATCommand) -> CommandResult {
        switch c.form {
        case .read: return .ok(["+CFUN: \(functionality)"])
        case .test: return .ok(["+CFUN: (0,1,4),(0-1)"])
        case .action: return .failed(.error)
        case .set:
            guard let fun = c.arguments.first?.int, [0, 1, 4].contains(fun) else { return .failed(.cme(50)) }
            let reset = c.arguments.count > 1 && c.arguments[1].int == 1
            if reset {
                pendingReboot = true
                return .ok([])
            }
            let before = registrationStat
            functionality = fun
            registrationURCPending = before != registrationStat
            if fun == 1 { startInitialisingWindow() }
            return .ok([])
        }
    }

    mutating func pinCommand(_ c: ATCommand) -> CommandResult {
        switch c.form {
        case .read:
            switch sim {
            case .absent: return .failed(.cme(10))
            case .blocked: return .failed(.cme(262))
            default: return .ok(["+CPIN: \(simCodeText)"])
            }
        case .test: return .ok([])
        case .action: return .failed(.error)
        case .set:
            let code = c.arguments.first?.value ?? ""
            guard (4...8).contains(code.count), code.allSatisfy(\.isNumber) else { return .failed(.cme(50)) }
            switch sim {
            case .absent: return .failed(.cme(10))
            case .blocked: return .failed(.cme(262))
            case .ready: return .failed(.cme(3))
            case .pin:
                guard c.arguments.count == 1 else { return .failed(.cme(3)) }
                if code == pin {
                    pinRemaining = configuration.pinAttempts
                    unlock()
                    return .ok([])
                }
                pinRemaining -= 1
                if pinRemaining <= 0 { pinRemaining = 0; sim = .puk }
                return .failed(.cme(16))
            case .puk:
                guard c.arguments.count >= 2 else { return .failed(.cme(12)) }
                let newPIN = c.arguments[1].value
                guard (4...8).contains(newPIN.count), newPIN.allSatisfy(\.isNumber) else { return .failed(.cme(50)) }
                if code == configuration.puk {
                    pin = newPIN
                    pinRemaining = configuration.pinAttempts
                    pukRemaining = configuration.pukAttempts
                    unlock()
                    return .ok([])
                }
                pukRemaining -= 1
                if pukRemaining <= 0 { pukRemaining = 0; sim = .blocked }
                return .failed(.cme(16))
            }
        }
    }

    mutating func unlock() {
        let before = registrationStat
        sim = .ready
        if let window = configuration.serviceCentreBusyAfterUnlock ?? profile.serviceCentreBusyAfterUnlock, window > .zero {
            serviceCentreBusyUntil = now.addingTimeInterval(Self.seconds(window))
        }
        simReadyURCPending = true
        registrationURCPending = before != registrationStat
    }

    /// `+CPINR` (TS 27.007 §8.65).
    func pinRetries(_ c: ATCommand) -> CommandResult {
        let all = [("SIM PIN", pinRemaining, configuration.pinAttempts), ("SIM PUK", pukRemaining, configuration.pukAttempts),
                   ("SIM PIN2", 3, 3), ("SIM PUK2", 10, 10)]
        let filter = c.arguments.first?.value.uppercased()
        let lines = all.filter { filter == nil || filter == "" || $0.0 == filter || (filter?.hasSuffix("*") == true && $0.0.hasPrefix(String(filter!.dropLast()))) }
            .map { "+CPINR: \($0.0),\($0.1),\($0.2)" }
        return .ok(lines)
    }

    // MARK: registration and operator

    var registrationStat: Int {
        guard sim == .ready, functionality == 1 else { return 0 }
        return registration.rawValue
    }

    func registrationLine(_ name: String, mode: Int, urc: Bool) -> String {
        let stat = registrationStat
        var fields = urc ? ["\(stat)"] : ["\(mode)", "\(stat)"]
        if mode >= 2, stat == 1 || stat == 5 {
            fields += ["\"1A2B\"", name == "+CEREG" ? "\"01C3D4E5\"" : "\"3C4D\""]
            if let act = profile.accessTechnology { fields.append("\(name == "+CREG" && act == 7 ? 7 : act)") }
        }
        return "\(name): " + fields.joined(separator: ",")
    }

    mutating func registrationCommand(_ c: ATCommand, name: String, mode: WritableKeyPath<ModemEngine, Int>) -> CommandResult {
        switch c.form {
        case .read: return .ok([registrationLine(name, mode: self[keyPath: mode], urc: false)])
        case .test: return .ok(["\(name): (0-2)"])
        case .action: return .failed(.error)
        case .set:
            guard let n = c.arguments.first?.int, (0...2).contains(n) else { return .failed(.cme(50)) }
            self[keyPath: mode] = n
            return .ok([])
        }
    }

    /// Registration URCs for every enabled `+C*REG` (TS 27.007 §7.2).
    mutating func registrationURCs() -> [String] {
        var lines: [String] = []
        if cregMode > 0 { lines.append(registrationLine("+CREG", mode: cregMode, urc: true)) }
        if cgregMode > 0 { lines.append(registrationLine("+CGREG", mode: cgregMode, urc: true)) }
        if ceregMode > 0, profile.supportsEPS { lines.append(registrationLine("+CEREG", mode: ceregMode, urc: true)) }
        return lines
    }

    mutating func operatorCommand(_ c: ATCommand) -> CommandResult {
        let names = [configuration.operatorName, configuration.operatorShortName, configuration.operatorNumeric]
        let act = profile.accessTechnology.map { ",\($0)" } ?? ""
        switch c.form {
        case .read:
            let stat = registrationStat
            guard stat == 1 || stat == 5 else { return .ok(["+COPS: 0"]) }
            return .ok(["+COPS: 0,\(copsFormat),\"\(names[copsFormat])\"\(act)"])
        case .test:
            if functionality != 1 { return .failed(.cme(30)) }
            return .ok(["+COPS: (2,\"\(names[0])\",\"\(names[1])\",\"\(names[2])\"\(act)),,(0-4),(0-2)"])
        case .action: return .failed(.error)
        case .set:
            guard let mode = c.arguments.first?.int, (0...4).contains(mode) else { return .failed(.cme(50)) }
            if c.arguments.count > 1 {
                guard let format = c.arguments[1].int, (0...2).contains(format) else { return .failed(.cme(50)) }
                copsFormat = format
            }
            if mode == 1 || mode == 4, c.arguments.count > 2, !names.contains(c.arguments[2].value) { return .failed(.cme(32)) }
            return .ok([])
        }
    }
}
