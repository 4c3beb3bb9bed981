/// A scan of the YAML text before Yams composes it: the composer recurses once per level of
/// nesting, so a document nested thousands deep overflows the stack (a segfault, issue 9.6). The
/// configuration is at most a few levels deep; anything much deeper is refused with its line.
///
/// Two measures, both over-estimates of the real depth (never under): flow nesting (`[`/`{`
/// outside quotes and comments, across lines) and block nesting (the column where a line's
/// content starts, after its indentation and any `- `/`? ` indicators).
enum YAMLNesting {
    static let maximumFlowDepth = 64
    static let maximumBlockColumn = 256
    /// Also bounds the work: a configuration file is a few kilobytes.
    static let maximumBytes = 1 << 20

    struct Problem: Equatable {
        var line: Int
        var message: String
    }

    static func check(_ text: String) -> Problem? {
        if text.utf8.count > maximumBytes {
            return Problem(line: 1, message: "the file is larger than \(maximumBytes) bytes; a configuration is a few kilobytes")
        }
        var flowDepth = 0
        var line = 1
        var column = 0
        var atLineStart = true   // still in indentation / block indicators
        var quote: UInt8?        // inside '…' or "…"
        var inComment = false
        var previous: UInt8 = UInt8(ascii: "\n")
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 0
                atLineStart = true
                inComment = false   // a quoted scalar may span lines: `quote` stays
                previous = byte
                continue
            }
            column += 1
            if atLineStart {
                let next = index < bytes.count ? bytes[index] : UInt8(ascii: " ")
                let isIndicator = (byte == UInt8(ascii: "-") || byte == UInt8(ascii: "?")) && (next == UInt8(ascii: " ") || next == UInt8(ascii: "\t"))
                if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || isIndicator {
                    if column > maximumBlockColumn {
                        return Problem(line: line, message: "nested deeper than this configuration ever needs (content starts past column \(maximumBlockColumn)); is this the right file?")
                    }
                    previous = byte
                    continue
                }
                atLineStart = false
            }
            if inComment { previous = byte; continue }
            if let open = quote {
                if byte == open {
                    if open == UInt8(ascii: "'"), index < bytes.count, bytes[index] == UInt8(ascii: "'") {
                        index += 1   // '' inside '…'
                    } else {
                        quote = nil
                    }
                } else if open == UInt8(ascii: "\""), byte == UInt8(ascii: "\\"), index < bytes.count {
                    index += 1       // an escaped character inside "…"
                }
                previous = byte
                continue
            }
            switch byte {
            case UInt8(ascii: "#") where previous == UInt8(ascii: " ") || previous == UInt8(ascii: "\t") || column == 1:
                inComment = true
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                // A quote opens a scalar only where a scalar may start (not inside a plain word).
                if column == 1 || [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: ":")].contains(previous) {
                    quote = byte
                }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                flowDepth += 1
                if flowDepth > maximumFlowDepth {
                    return Problem(line: line, message: "more than \(maximumFlowDepth) nested [ ] / { }; a configuration needs a few")
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                flowDepth = max(0, flowDepth - 1)
            default:
                break
            }
            previous = byte
        }
        return nil
    }
}
