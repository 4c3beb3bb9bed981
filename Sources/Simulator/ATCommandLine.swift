/// One command of a command line (V.250 §5.2–5.4): basic (`E0`, `Z`, `&F`) or extended (`+CMGS=…`).
struct ATCommand: Sendable, Equatable {
    enum Form: Sendable, Equatable { case action, read, test, set }
    /// Upper-cased name: `"+CMGS"`, `"^CURC"`, `"E"`, `"&F"`, `"S3"`, `"D"`.
    var name: String
    var form: Form
    /// Parameters for `set` (and the digits of a basic command, e.g. `E1` → ["1"]).
    var arguments: [ATArgument]

    /// Name plus form marker, used for per-command latency (`+COPS=?`).
    /// `+CMEE=?` for the test form, `+CMEE?` for the read form, else the name: a latency may be set
    /// for one form (`latency["+CMEE?"]`) or, by name, for all of them.
    var latencyKey: String {
        switch form {
        case .test: name + "=?"
        case .read: name + "?"
        default: name
        }
    }
}

struct ATArgument: Sendable, Equatable {
    var value: String
    var quoted: Bool
    var int: Int? { quoted ? nil : Int(value) }
    var isEmpty: Bool { value.isEmpty && !quoted }
}

/// Parses what follows `AT` on a command line. Returns nil on a syntax error (answered `ERROR`).
enum ATCommandLine {
    static func parse(_ body: String) -> [ATCommand]? {
        let chars = Array(body)
        var commands: [ATCommand] = []
        var i = 0
        func isNameChar(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "-" }
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == ";" { i += 1; continue }
            if "+^$%*#!".contains(c) {
                var name = String(c)
                i += 1
                while i < chars.count, isNameChar(chars[i]), chars[i].isASCII { name.append(chars[i]); i += 1 }
                name = name.uppercased()
                guard name.count > 1 else { return nil }
                if i + 1 < chars.count, chars[i] == "=", chars[i + 1] == "?" {
                    commands.append(ATCommand(name: name, form: .test, arguments: []))
                    i += 2
                } else if i < chars.count, chars[i] == "?" {
                    commands.append(ATCommand(name: name, form: .read, arguments: []))
                    i += 1
                } else if i < chars.count, chars[i] == "=" {
                    i += 1
                    var args: [ATArgument] = []
                    var current = ""
                    var quoted = false
                    var inQuotes = false
                    while i < chars.count {
                        let ch = chars[i]
                        if inQuotes {
                            if ch == "\"" { inQuotes = false } else { current.append(ch) }
                        } else if ch == "\"" {
                            inQuotes = true
                            quoted = true
                        } else if ch == "," {
                            args.append(ATArgument(value: quoted ? current : current.trimmingSpaces.uppercased(), quoted: quoted))
                            current = ""
                            quoted = false
                        } else if ch == ";" {
                            break
                        } else {
                            current.append(ch)
                        }
                        i += 1
                    }
                    guard !inQuotes else { return nil }
                    args.append(ATArgument(value: quoted ? current : current.trimmingSpaces.uppercased(), quoted: quoted))
                    commands.append(ATCommand(name: name, form: .set, arguments: args))
                } else {
                    commands.append(ATCommand(name: name, form: .action, arguments: []))
                }
                continue
            }
            guard c.isLetter || c == "&" else { return nil }
            var name = String(c).uppercased()
            i += 1
            if c == "&" {
                guard i < chars.count, chars[i].isLetter else { return nil }
                name.append(String(chars[i]).uppercased())
                i += 1
            }
            if name == "D" {
                commands.append(ATCommand(name: "D", form: .set, arguments: [ATArgument(value: String(chars[i...]), quoted: false)]))
                break
            }
            var digits = ""
            while i < chars.count, chars[i].isASCII, chars[i].isNumber { digits.append(chars[i]); i += 1 }
            if name == "S" {
                name += digits
                if i < chars.count, chars[i] == "?" {
                    commands.append(ATCommand(name: name, form: .read, arguments: []))
                    i += 1
                } else if i < chars.count, chars[i] == "=" {
                    i += 1
                    var value = ""
                    while i < chars.count, chars[i].isASCII, chars[i].isNumber { value.append(chars[i]); i += 1 }
                    commands.append(ATCommand(name: name, form: .set, arguments: [ATArgument(value: value, quoted: false)]))
                } else {
                    return nil
                }
                continue
            }
            if i < chars.count, chars[i] == "?" {
                commands.append(ATCommand(name: name, form: .read, arguments: []))
                i += 1
                continue
            }
            commands.append(ATCommand(name: name, form: digits.isEmpty ? .action : .set,
                                      arguments: digits.isEmpty ? [] : [ATArgument(value: digits, quoted: false)]))
        }
        return commands
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
