import Foundation
import SMSCodec

/// SMSCodec's network encoder, for cross-checking the simulator's own.
enum SMSCodecBridge {
    static func deliver(from: String, text: String, timestamp: Date, offsetMinutes: Int, smsc: String) throws -> [String] {
        try SMSDeliverEncoder.encode(from: from, text: text, timestamp: timestamp, timeZoneOffsetMinutes: offsetMinutes,
                                     smsc: smsc, concatReference: 0)
    }
}
